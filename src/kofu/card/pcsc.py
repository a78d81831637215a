"""PC/SC transport (pyscard): a real reader with a real card, or vpcd with a served virtual card."""

from __future__ import annotations

from typing import Any

from kofu.card.reader import ReaderBase, ReaderError


class PcscReader(ReaderBase):
    """A PC/SC reader by name (exact, or a unique part of it); without a name, the first with a card."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self._connection: Any = None
        self._atr = b""

    @property
    def atr(self) -> bytes:
        return self._atr

    def connect(self) -> None:
        from smartcard.CardConnection import CardConnection
        from smartcard.Exceptions import CardConnectionException, NoCardException
        from smartcard.System import readers

        try:
            available = readers()
        except Exception as exc:  # pyscard raises its own error types when pcscd is absent
            raise ReaderError(f"PC/SC is not available: {exc}") from None
        candidates = [r for r in available if self.name is None or str(r) == self.name]
        if not candidates and self.name is not None:
            candidates = [r for r in available if self.name in str(r)]
        if not candidates:
            raise ReaderError(f"no PC/SC reader named {self.name!r} (readers: {[str(r) for r in available]})")
        errors = []
        for reader in candidates:
            connection = reader.createConnection()
            try:
                connection.connect(CardConnection.T1_protocol | CardConnection.T0_protocol)
            except (NoCardException, CardConnectionException) as exc:
                errors.append(f"{reader}: {exc}")
                continue
            self._connection = connection
            self._atr = bytes(connection.getATR())
            return
        raise ReaderError("no card: " + "; ".join(errors))

    def disconnect(self) -> None:
        if self._connection is not None:
            try:
                self._connection.disconnect()
            finally:
                self._connection = None

    def transmit(self, apdu: bytes) -> bytes:
        from smartcard.Exceptions import CardConnectionException

        if self._connection is None:
            raise ReaderError("the reader is not connected to a card")
        try:
            data, sw1, sw2 = self._connection.transmit(list(apdu))
            if sw1 == 0x6C and len(apdu) >= 5:  # wrong Le: resend with the length the card offers
                data, sw1, sw2 = self._connection.transmit([*apdu[:-1], sw2])
            collected = list(data)
            while sw1 == 0x61:  # T=0: more data waiting, fetch with GET RESPONSE
                data, sw1, sw2 = self._connection.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
                collected += data
        except CardConnectionException as exc:
            raise ReaderError(f"card communication failed: {exc}") from None
        return bytes([*collected, sw1, sw2])
