"""Alembic environment of the jpki chain."""

from kofu.db import run_alembic_env
from kofu.jpki.models import Base

run_alembic_env(Base.metadata)
