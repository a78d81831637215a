"""Alembic environment of the center's rate-limit chain."""

from kofu.center.ratelimit import Base
from kofu.db import run_alembic_env

run_alembic_env(Base.metadata)
