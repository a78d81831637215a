"""`kofu village`: generate, import and export the municipality's records."""

import typer

app = typer.Typer(help="The village's records: generate, import, export.", no_args_is_help=True)
