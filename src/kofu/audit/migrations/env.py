"""Alembic environment of the audit chain."""

from kofu.audit.models import Base
from kofu.db import run_alembic_env

run_alembic_env(Base.metadata)
