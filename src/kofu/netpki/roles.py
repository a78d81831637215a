"""Who a caller is on the parties' network: the role its network certificate names, and its name.

Every network certificate carries a SAN URI `urn:kofu:role:<role>`; a terminal's also carries
`urn:kofu:terminal:<id>` (its CN). A certificate that names no role, or two, names no one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.x509.oid import NameOID

ROLE_URN = "urn:kofu:role:"
TERMINAL_URN = "urn:kofu:terminal:"


class Role(StrEnum):
    """The parties a network certificate may speak for (architecture: who may call whom)."""

    TERMINAL = "terminal"  # a store's kiosk: the center's kiosk routes
    CENTER = "center"  # the center: the municipal servers' routes, the JPKI responder
    MUNICIPAL = "municipal"  # a municipal server (it calls no one's routes but its own feeds)
    OFFICE = "office"  # a municipal office's application
    VERIFY = "verify"  # the verification service


@dataclass(frozen=True)
class Peer:
    """A caller as proven: its role and, over mutual TLS, its certificate's name and serial.

    A caller on the demo's plain-HTTP loopback has a role by configuration and no name (`proven` False).
    """

    role: Role
    name: str | None = None
    serial: int | None = None

    @property
    def proven(self) -> bool:
        return self.name is not None


def role_uri(role: Role) -> x509.UniformResourceIdentifier:
    """The SAN entry naming `role` in a network certificate."""
    return x509.UniformResourceIdentifier(ROLE_URN + role.value)


def peer_of_certificate(cert: x509.Certificate) -> Peer | None:
    """The peer a network certificate proves: exactly one role URI, one CN, and for a terminal its URI."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    roles = [u[len(ROLE_URN) :] for u in uris if u.startswith(ROLE_URN)]
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(roles) != 1 or roles[0] not in Role.__members__.values() or len(names) != 1:
        return None
    role, name = Role(roles[0]), names[0].value
    if not isinstance(name, str):
        return None
    terminals = [u[len(TERMINAL_URN) :] for u in uris if u.startswith(TERMINAL_URN)]
    if (role is Role.TERMINAL) != bool(terminals) or (terminals and terminals != [name]):
        return None  # a terminal names itself twice, alike; no other role names a terminal
    return Peer(role, name, cert.serial_number)
