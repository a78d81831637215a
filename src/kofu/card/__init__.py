"""kofu.card."""
