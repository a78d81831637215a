"""kofu.netpki: the private network CA for mutual TLS between kiosk, center and municipal servers (SEC-5)."""
