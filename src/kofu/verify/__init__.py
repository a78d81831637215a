"""kofu.verify."""
