"""kofu.card: the JPKI card as a kiosk sees it (jpki-card.md).

`applet` is the card (a pure APDU state machine), `cardfile` its storage (TEST KEYS ONLY), `virtual`
binds the two, `vpcd` puts a virtual card into a real PC/SC stack, and `reader`/`pcsc`/`phone` are the
transports the kiosk side (`client`) speaks through.
"""
