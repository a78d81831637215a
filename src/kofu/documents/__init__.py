"""kofu.documents."""
