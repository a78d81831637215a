"""kofu.registry."""
