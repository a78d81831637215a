"""Alembic environment of the center app's chain (kiosk sessions, card records, card routes)."""

from kofu.center.app.models import Base
from kofu.db import run_alembic_env

run_alembic_env(Base.metadata)
