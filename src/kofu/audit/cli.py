"""`kofu audit`: verify the hash-chained audit log, show its last entries, create the home's audit key.

Both read only: they also report how many recorded decisions the center has not chained yet (`pending`).

Mount with `app.add_typer(kofu.audit.cli.app, name="audit")`; the Settings object is in `ctx.obj`.
Exit codes of `verify`: 0 intact, 1 problems found (each printed with its entry), 2 cannot check.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from kofu.audit.entry import AuditEntry
    from kofu.audit.verifier import Head
    from kofu.settings import Settings

app = typer.Typer(help="The audit trail: verify the chain, show entries.", no_args_is_help=True)

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (default: the home's database).")]
KeyOption = Annotated[
    Path | None, typer.Option("--key", help="Audit key file (default: keys/audit/chain.key of the home).")
]


def _settings(ctx: typer.Context) -> Settings:
    from kofu.settings import Settings, load_settings

    return ctx.obj if isinstance(ctx.obj, Settings) else load_settings()


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _key(ctx: typer.Context, key_file: Path | None) -> bytes | None:
    from kofu.audit.keys import KEY_BYTES, load_audit_key

    if key_file is None:
        try:
            return load_audit_key(_settings(ctx).home)
        except ValueError as exc:
            raise _fail(f"bad_request: {exc}") from None
    try:
        key = bytes.fromhex(key_file.read_text().strip())
    except (OSError, ValueError):
        raise _fail(f"bad_request: cannot read an audit key from {key_file}") from None
    if len(key) != KEY_BYTES:
        raise _fail(f"bad_request: an audit key is {KEY_BYTES} bytes of hex") from None
    return key


def _chain(ctx: typer.Context, db: str | None) -> tuple[list[AuditEntry], Head | None, int]:
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from kofu.audit.log import AuditError, pending_count, read_chain
    from kofu.db import make_engine, session_factory

    url = db or _settings(ctx).db_url
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise _fail("bad_request: not a database URL") from None
    try:
        with session_factory(engine)() as session:
            entries, head = read_chain(session)
            return entries, head, pending_count(session)
    except (DBAPIError, AuditError) as exc:
        raise _fail(f"unreadable: cannot read the audit tables ({type(exc).__name__})") from None
    finally:
        engine.dispose()


def _anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digest):
        raise _fail("bad_request: an anchor is SEQ:HASH (64 hex digits)")
    return int(seq), digest.lower()


@app.command()
def verify(
    ctx: typer.Context,
    db: DbOption = None,
    key_file: KeyOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line instead of text.")] = False,
    anchor: Annotated[
        list[str] | None,
        typer.Option("--anchor", help="SEQ:HASH noted earlier (e.g. from a past verify); repeatable."),
    ] = None,
) -> None:
    """Check every entry's hash and link and the head: name each altered, removed or reordered entry."""
    from kofu.audit.verifier import verify_chain

    anchors = [_anchor(text) for text in anchor or []]
    key = _key(ctx, key_file)
    entries, head, pending = _chain(ctx, db)
    report = verify_chain(entries, head, key, anchors)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": report.ok,
                    "entries": report.count,
                    "head": report.head_hash,
                    "keyed": key is not None,
                    "pending": pending,
                    "problems": [{"seq": p.seq, "kind": p.kind, "detail": p.detail} for p in report.problems],
                }
            )
        )
    else:
        for problem in report.problems:
            typer.echo(str(problem))
        state = "intact" if report.ok else f"BROKEN ({len(report.problems)} problems)"
        typer.echo(f"audit chain {state}: {report.count} entries, head {report.head_hash}, pending {pending}")
        if report.ok and report.count:
            typer.echo(f"anchor for later checks: --anchor {report.count}:{report.head_hash}")
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def show(
    ctx: typer.Context,
    last: Annotated[int, typer.Option("--last", min=1, max=100_000, help="How many entries.")] = 20,
    db: DbOption = None,
) -> None:
    """The last N entries, oldest first: seq, time (UTC), actor, action, subject, outcome, hash prefix."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from kofu.audit.log import last_entries, pending_count
    from kofu.db import make_engine, session_factory

    url = db or _settings(ctx).db_url
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise _fail("bad_request: not a database URL") from None
    try:
        with session_factory(engine)() as session:
            entries = last_entries(session, last)
            pending = pending_count(session)
    except DBAPIError as exc:
        raise _fail(f"unreadable: cannot read the audit tables ({type(exc).__name__})") from None
    finally:
        engine.dispose()
    for e in entries:
        typer.echo(f"{e.seq:>8} {e.at} {e.actor} {e.action} {e.subject or '-'} {e.outcome} {e.hash[:16]}")
    typer.echo(f"pending {pending}")


@app.command("key")
def make_key(ctx: typer.Context) -> None:
    """Create the home's audit key (before the first entry), so the chain is HMAC-keyed."""
    from kofu.audit.keys import ensure_audit_key, key_path

    home = _settings(ctx).home
    ensure_audit_key(home)
    typer.echo(f"audit key at {key_path(home)}")
