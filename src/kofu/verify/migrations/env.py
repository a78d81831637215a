"""Alembic environment of the verification register chain."""

from kofu.db import run_alembic_env
from kofu.verify.models import Base

run_alembic_env(Base.metadata)
