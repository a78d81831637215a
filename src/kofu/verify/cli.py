"""`kofu verify FILE`: is this certificate genuine?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from kofu.verify.verdict import Status


def verify(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A certificate PDF, or a photo or scan of its back.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object for machines.")] = False,
) -> None:
    """Check a certificate and print a verdict.

    Exit codes: 0 genuine (the content was decrypted and matches the seal); 1 not genuine (altered,
    revoked, expired, or unknown / unreadable); 2 nothing was checked (no such file, the trusted key set
    is refused, or no register of issued documents under KOFU_HOME); 3 seal only (the seal is valid but
    the encrypted content could not be read: compare the paper with the issuing office).
    """
    import logging

    from kofu.documents.published import KeySetError
    from kofu.layout import read_only
    from kofu.settings import Settings, load_settings
    from kofu.verify.core import verify_untrusted
    from kofu.verify.register import Register, migrate_verify
    from kofu.verify.trust import Trust, keyset_location

    # pyHanko logs a full traceback for an untrusted chain; the verdict already says key_unknown.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    settings: Settings = ctx.obj if isinstance(ctx.obj, Settings) else load_settings()
    if not file.is_file():
        typer.echo(f"unreadable: no such file {file}", err=True)
        raise typer.Exit(EXIT_NOT_CHECKED)
    try:
        trust = Trust.from_home(settings.home.resolve(), keyset_location(settings))
    except KeySetError as exc:
        typer.echo(f"key set refused: {exc}", err=True)
        raise typer.Exit(EXIT_NOT_CHECKED) from None
    url = read_only(settings.db_url)  # without the register nothing is checked: said, never made empty
    migrate_verify(url)
    register = Register(url)
    try:
        result = verify_untrusted(file.read_bytes(), trust=trust, register=register)
    finally:
        register.close()
    summary = result.to_json()
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        _show(summary)
    raise typer.Exit(exit_code(result.status))


EXIT_GENUINE, EXIT_NOT_GENUINE, EXIT_NOT_CHECKED, EXIT_SEAL_ONLY = 0, 1, 2, 3


def exit_code(status: Status) -> int:
    """The process's exit code for a verdict (see `verify`'s help)."""
    from kofu.verify.verdict import Status

    if status is Status.GENUINE:
        return EXIT_GENUINE
    return EXIT_SEAL_ONLY if status is Status.SEAL_ONLY else EXIT_NOT_GENUINE


def _show(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.panel import Panel
    from rich.pretty import Pretty
    from rich.table import Table

    from kofu.verify.verdict import Status

    status = Status(summary["status"])
    console = Console()
    colour = {Status.GENUINE: "green", Status.SEAL_ONLY: "yellow"}.get(status, "red")
    lines = [f"[bold {colour}]{status.value.upper()}[/] — {status.ja} / {status.en}"]
    lines += [f"{r['code']}: {r['ja']} / {r['en']}" for r in summary["reasons"]]
    console.print(Panel("\n".join(lines), title="kofu verify"))
    if "document" in summary:
        table = Table(show_header=False)
        for key, value in summary["document"].items():
            table.add_row(key, str(value))
        console.print(table)
    if "content" in summary:
        console.print("[bold]原本の内容 (decrypted original content — compare it with the front)[/]")
        console.print(Pretty(summary["content"], max_string=80))
