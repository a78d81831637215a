"""Alembic environment of the center-auth chain."""

from kofu.center.auth.models import Base
from kofu.db import run_alembic_env

run_alembic_env(Base.metadata)
