"""kofu.jpki."""
