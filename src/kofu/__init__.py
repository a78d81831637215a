"""kofu: an open implementation of Japan's convenience-store certificate service (コンビニ交付)."""

import warnings

from cryptography.utils import CryptographyDeprecationWarning

__version__ = "0.1.0"

# pyHanko imports cryptography's DSA key types, which warn at import; kofu never signs nor trusts DSA
warnings.filterwarnings(
    "ignore",
    message=r"DSA is deprecated and support will be removed in a future release",
    category=CryptographyDeprecationWarning,
    module=r"pyhanko\.",
)
