"""kofu: an open implementation of Japan's convenience-store certificate service (コンビニ交付)."""

__version__ = "0.1.0"
