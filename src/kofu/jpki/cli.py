"""`kofu jpki`: the card authorities (init, issue cards, revoke, OCSP and CRL)."""

import typer

app = typer.Typer(help="JPKI card authorities: init, issue-card, revoke, serve.", no_args_is_help=True)
