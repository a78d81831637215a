"""Alembic environment of the registry chain."""

from kofu.db import run_alembic_env
from kofu.registry.models import Base

run_alembic_env(Base.metadata)
