"""Alembic environment of the center chain."""

from kofu.center.models import Base
from kofu.db import run_alembic_env

run_alembic_env(Base.metadata)
