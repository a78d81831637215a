"""kofu.wire: the request/response models of the APIs between kiosk, center and municipal server.

`common` (strict base, identifier patterns, the error body, HTTP statuses of refusals), `orders` (the
order steps), `registers` (terminal, municipalities, maintenance notices), `challenge` (what the card
signs for the center), `credentials` (what a JPKI certificate says about itself, for every relying party).
"""
