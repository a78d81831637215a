"""kofu.center.auth: proving who is at the kiosk (SEC-1, DAY-1, ELG-1, ELG-6).

A single-use challenge bound to the kiosk session and terminal; the card signs
DigestInfo(SHA-256(challenge ‖ session_id ‖ terminal_id)); the center checks signature, chain,
validity, OCSP status and DAY-1, and answers `Authenticated` or a `Refused` with its reason code.
"""
