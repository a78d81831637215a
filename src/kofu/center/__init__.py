"""kofu.center: the certificate-issuance center (J-LIS role): kiosk sessions, authentication, orders,
fees and settlement, terminal and maintenance registers."""
