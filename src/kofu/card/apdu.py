"""Command and response APDUs (ISO 7816-4 short form): parsing and building, nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from kofu.card import constants as c


class ApduError(ValueError):
    """A byte string that is no valid short command APDU (the card answers `67 00`)."""


@dataclass(frozen=True)
class Command:
    """A parsed short command APDU; `le` is None when absent, 256 for an encoded 00."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    def encode(self) -> bytes:
        """The APDU bytes (short form only)."""
        if len(self.data) > 255 or (self.le is not None and not 1 <= self.le <= 256):
            raise ApduError("only short APDUs are supported")
        out = bytes([self.cla, self.ins, self.p1, self.p2])
        if self.data:
            out += bytes([len(self.data)]) + self.data
        if self.le is not None:
            out += bytes([self.le & 0xFF])
        return out

    @classmethod
    def parse(cls, raw: bytes) -> Command:
        """Parse cases 1-4 of the short form; extended length is refused."""
        if len(raw) < 4:
            raise ApduError("shorter than a header")
        cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, b"", body[0] or 256)
        lc = body[0]
        if lc == 0:
            raise ApduError("extended length is not supported")
        if len(body) == 1 + lc:
            return cls(cla, ins, p1, p2, bytes(body[1:]))
        if len(body) == 2 + lc:
            return cls(cla, ins, p1, p2, bytes(body[1 : 1 + lc]), body[-1] or 256)
        raise ApduError("Lc does not match the data")


@dataclass(frozen=True)
class Response:
    """A response APDU: data and a 2-byte status word."""

    data: bytes
    sw: int

    @property
    def ok(self) -> bool:
        return self.sw == c.SW_OK

    def encode(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    @classmethod
    def parse(cls, raw: bytes) -> Response:
        if len(raw) < 2:
            raise ApduError("a response needs at least a status word")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))


def status(sw: int) -> Response:
    """A response with no data."""
    return Response(b"", sw)


def select_aid(aid: bytes = c.AID) -> bytes:
    """`00 A4 04 0C Lc <AID>`."""
    return Command(c.CLA_ISO, c.INS_SELECT, c.P1_SELECT_DF_NAME, c.P2_SELECT_NO_FCI, aid).encode()


def select_ef(file_id: int) -> bytes:
    """`00 A4 02 0C 02 <file id>`."""
    return Command(
        c.CLA_ISO, c.INS_SELECT, c.P1_SELECT_EF, c.P2_SELECT_NO_FCI, file_id.to_bytes(2, "big")
    ).encode()


def read_binary(offset: int, length: int) -> bytes:
    """`00 B0 <offset hi> <offset lo> <Le>` (length 256 is encoded as 00)."""
    return Command(c.CLA_ISO, c.INS_READ_BINARY, offset >> 8, offset & 0xFF, le=length).encode()


def verify(secret: bytes | None) -> bytes:
    """`00 20 00 80 [Lc <secret>]`; without data it asks for the tries left."""
    return Command(c.CLA_ISO, c.INS_VERIFY, 0x00, c.P2_VERIFY, secret or b"").encode()


def sign(digest_info: bytes) -> bytes:
    """`80 2A 00 80 Lc <DigestInfo> 00`."""
    return Command(c.CLA_PROPRIETARY, c.INS_SIGN, c.P1_SIGN, c.P2_SIGN, digest_info, 256).encode()


def get_challenge() -> bytes:
    """`00 84 00 00 08`."""
    return Command(c.CLA_ISO, c.INS_GET_CHALLENGE, 0, 0, le=c.CHALLENGE_LENGTH).encode()


def external_authenticate(mac: bytes) -> bytes:
    """`00 82 00 00 20 <HMAC-SHA256(management key, challenge)>`."""
    return Command(c.CLA_ISO, c.INS_EXTERNAL_AUTHENTICATE, 0, 0, mac).encode()


def reset_retry_counter(new_secret: bytes) -> bytes:
    """`00 2C 00 80 Lc <new secret>` (with the PIN EF or password EF selected)."""
    return Command(c.CLA_ISO, c.INS_RESET_RETRY_COUNTER, 0, c.P2_RESET_RETRY_COUNTER, new_secret).encode()
