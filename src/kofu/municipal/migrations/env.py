"""Alembic environment of the municipal server's chain."""

from kofu.db import run_alembic_env
from kofu.municipal.models import Base

run_alembic_env(Base.metadata)
