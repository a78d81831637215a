"""kofu.rules."""
