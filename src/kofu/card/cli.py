"""`kofu card`: virtual JPKI cards (serve into a PC/SC reader, info, export)."""

import typer

app = typer.Typer(help="Virtual JPKI cards: serve into vpcd, show, export.", no_args_is_help=True)
