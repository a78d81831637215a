"""`kofu documents`: render and seal sample certificates."""

import typer

app = typer.Typer(help="Certificates: render and seal samples.", no_args_is_help=True)
