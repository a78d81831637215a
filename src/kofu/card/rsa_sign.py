"""What the card's RSA engine does with a sign command: PKCS#1 v1.5 type-1 padding of the given bytes.

The card does not hash: it pads whatever DigestInfo it is sent (as OpenSC's driver expects, with
`SC_ALGORITHM_RSA_HASH_NONE | SC_ALGORITHM_RSA_PAD_PKCS1`). A DigestInfo of a known hash goes through
`cryptography`; any other input is padded and exponentiated here (CRT), giving the identical result.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

# DER prefixes of DigestInfo (RFC 8017, section 9.2, note 1).
DIGEST_INFO_PREFIXES: dict[bytes, hashes.HashAlgorithm] = {
    bytes.fromhex("3021300906052b0e03021a05000414"): hashes.SHA1(),
    bytes.fromhex("302d300d06096086480165030402040500041c"): hashes.SHA224(),
    bytes.fromhex("3031300d060960864801650304020105000420"): hashes.SHA256(),
    bytes.fromhex("3041300d060960864801650304020205000430"): hashes.SHA384(),
    bytes.fromhex("3051300d060960864801650304020305000440"): hashes.SHA512(),
}


def digest_info(algorithm: hashes.HashAlgorithm, digest: bytes) -> bytes:
    """DER DigestInfo for a digest (what a kiosk sends to the card)."""
    for prefix, alg in DIGEST_INFO_PREFIXES.items():
        if alg.name == algorithm.name:
            if len(digest) != alg.digest_size:
                raise ValueError("digest length does not match the algorithm")
            return prefix + digest
    raise ValueError(f"unsupported hash {algorithm.name}")


def max_input_length(key: rsa.RSAPrivateKey) -> int:
    """PKCS#1 v1.5 type 1 needs at least 8 bytes of padding plus 3 framing bytes."""
    return key.key_size // 8 - 11


def pkcs1_sign(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    """Pad `data` with PKCS#1 v1.5 type 1 and apply the private key."""
    if not 1 <= len(data) <= max_input_length(key):
        raise ValueError("input length does not fit the key")
    for prefix, alg in DIGEST_INFO_PREFIXES.items():
        if data.startswith(prefix) and len(data) == len(prefix) + alg.digest_size:
            return key.sign(data[len(prefix) :], padding.PKCS1v15(), Prehashed(alg))
    k = key.key_size // 8
    encoded = b"\x00\x01" + b"\xff" * (k - 3 - len(data)) + b"\x00" + data
    nums = key.private_numbers()
    m = int.from_bytes(encoded, "big")
    m1 = pow(m, nums.dmp1, nums.p)
    m2 = pow(m, nums.dmq1, nums.q)
    h = (nums.iqmp * (m1 - m2)) % nums.p
    return (m2 + h * nums.q).to_bytes(k, "big")
