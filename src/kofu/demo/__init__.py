"""`kofu demo`: the whole system on embedded SQLite, with Ōhira's records and demo cards."""

from __future__ import annotations

from typing import Annotated

import typer


def demo(
    ctx: typer.Context,
    port: Annotated[int, typer.Option("--port", help="Port of the demo's web server (all parties).")] = 8000,
    host: Annotated[str, typer.Option("--host", help="Address to bind; loopback unless told.")] = "127.0.0.1",
    setup_only: Annotated[
        bool, typer.Option("--setup-only", help="Build the demo world, print it, and exit.")
    ] = False,
) -> None:
    """Build the demo world once (villages, card authorities, demo cards) and serve every party."""
    from rich.console import Console

    from kofu.demo.world import build_world

    console = Console()
    paths = build_world(ctx.obj, console)
    if setup_only:
        from kofu.demo.banner import print_banner

        print_banner(console, paths, None)
        return
    from kofu.demo.server import serve

    serve(ctx.obj, paths, console, host=host, port=port)
