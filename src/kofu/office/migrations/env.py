"""Alembic environment of the office chain."""

from kofu.db import run_alembic_env
from kofu.office.models import Base

run_alembic_env(Base.metadata)
