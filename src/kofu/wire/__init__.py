"""kofu.wire."""
