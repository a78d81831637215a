"""`kofu verify FILE`: is this certificate genuine?"""

from pathlib import Path
from typing import Annotated

import typer


def verify(
    file: Annotated[Path, typer.Argument(help="A certificate PDF, or a photo or scan of its back.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object for machines.")] = False,
) -> None:
    """Check a certificate and print a verdict."""
    typer.echo("verification is not implemented yet", err=True)
    raise typer.Exit(2)
