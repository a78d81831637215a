"""`kofu audit`: verify the hash-chained audit log, checkpoint it, reconcile it with the charges, show it.

`verify`, `show` and `reconcile` only read; they also report how many recorded decisions are not chained
yet (`pending`). `checkpoint` appends the signed head to a file outside the database, against which
every later `verify` holds the chain. `key` creates the home's audit keys.

Mount with `app.add_typer(kofu.audit.cli.app, name="audit")`; the Settings object is in `ctx.obj`.
Exit codes of `verify`, `checkpoint` and `reconcile`: 0 intact, 1 problems found (each printed with
its entry), 2 cannot check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from sqlalchemy.orm import Session

    from kofu.audit.entry import AuditEntry, PendingRow
    from kofu.audit.verifier import Checkpoint, Head, Report
    from kofu.settings import Settings

app = typer.Typer(
    help="The audit trail: verify, checkpoint and reconcile the chain, show entries.", no_args_is_help=True
)

DbOption = Annotated[
    str | None, typer.Option("--db", help="Database URL (default: the center's, $KOFU_HOME/db/center.db).")
]
KeyOption = Annotated[
    Path | None, typer.Option("--key", help="Audit key file (default: keys/audit/chain.key of the home).")
]
CheckpointsOption = Annotated[
    Path | None,
    typer.Option(
        "--checkpoints",
        help="Checkpoint file, outside the database (default: audit/checkpoints.jsonl of the home).",
    ),
]
LogOption = Annotated[
    str, typer.Option("--log", help="Which log the checkpoints are of: center, or municipal-CODE.")
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


def _head_public(ctx: typer.Context) -> Ed25519PublicKey | None:
    from kofu.audit.keys import load_head_public

    try:
        return load_head_public(_settings(ctx).home)
    except ValueError as exc:
        raise _fail(f"bad_request: {exc}") from None


@contextmanager
def _session(ctx: typer.Context, db: str | None) -> Iterator[Session]:
    """A session on the database (the center's unless `db`), its errors turned into exit code 2; a
    database that is not there is said, never created (every command here only reads it)."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from kofu.audit.log import AuditError
    from kofu.db import make_engine, session_factory
    from kofu.layout import Layout, read_only

    url = read_only(db or Layout.of(_settings(ctx)).center)
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise _fail("bad_request: not a database URL") from None
    try:
        with session_factory(engine)() as session:
            yield session
    except (DBAPIError, AuditError) as exc:
        raise _fail(f"unreadable: cannot read the audit tables ({type(exc).__name__})") from None
    finally:
        engine.dispose()


@dataclass(frozen=True)
class _Read:
    entries: list[AuditEntry]
    head: Head | None
    pending: list[PendingRow]


def _chain(ctx: typer.Context, db: str | None) -> _Read:
    from kofu.audit.log import read_chain, read_pending

    with _session(ctx, db) as session:
        entries, head = read_chain(session)
        return _Read(entries, head, read_pending(session))


def _anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digest):
        raise _fail("bad_request: an anchor is SEQ:HASH (64 hex digits)")
    return int(seq), digest.lower()


def _checked(
    ctx: typer.Context,
    db: str | None,
    key_file: Path | None,
    checkpoints_file: Path | None,
    log: str,
    anchors: list[tuple[int, str]],
) -> tuple[Report, _Read, list[Checkpoint]]:
    """The chain read and verified against its head, signature, checkpoints and anchors."""
    from kofu.audit.checkpoints import default_path, read_checkpoints
    from kofu.audit.verifier import Report, verify_chain

    key = _key(ctx, key_file)
    public = _head_public(ctx)
    path = checkpoints_file or default_path(_settings(ctx).home)
    try:
        checkpoints, file_problems = read_checkpoints(path, public, log)
    except OSError as exc:
        raise _fail(f"unreadable: cannot read the checkpoints ({exc.strerror})") from None
    read = _chain(ctx, db)
    report = verify_chain(
        read.entries,
        read.head,
        key,
        anchors,
        head_public=public,
        checkpoints=checkpoints,
        pending=read.pending,
    )
    report = Report(report.count, report.head_hash, (*file_problems, *report.problems))
    return report, read, checkpoints


@app.command()
def verify(
    ctx: typer.Context,
    db: DbOption = None,
    key_file: KeyOption = None,
    checkpoints_file: CheckpointsOption = None,
    log: LogOption = "center",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line instead of text.")] = False,
    anchor: Annotated[
        list[str] | None,
        typer.Option("--anchor", help="SEQ:HASH noted earlier (e.g. from a past verify); repeatable."),
    ] = None,
) -> None:
    """Check every entry and link, the signed head, the checkpoints: name each altered, removed,
    inserted, suppressed or reordered entry, and a chain cut or rewritten since a checkpoint."""
    anchors = [_anchor(text) for text in anchor or []]
    report, read, checkpoints = _checked(ctx, db, key_file, checkpoints_file, log, anchors)
    key = _key(ctx, key_file)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": report.ok,
                    "entries": report.count,
                    "head": report.head_hash,
                    "keyed": key is not None,
                    "signed": read.head is not None and read.head.signature is not None,
                    "checkpoints": len(checkpoints),
                    "pending": len(read.pending),
                    "problems": [{"seq": p.seq, "kind": p.kind, "detail": p.detail} for p in report.problems],
                }
            )
        )
    else:
        for problem in report.problems:
            typer.echo(str(problem))
        state = "intact" if report.ok else f"BROKEN ({len(report.problems)} problems)"
        pending = len(read.pending)
        typer.echo(f"audit chain {state}: {report.count} entries, head {report.head_hash}, pending {pending}")
        if checkpoints:
            last = checkpoints[-1]
            typer.echo(
                f"held to {len(checkpoints)} checkpoints, the last at entry {last.seq} ({last.written})"
            )
        if report.ok and report.count:
            typer.echo(f"anchor for later checks: --anchor {report.count}:{report.head_hash}")
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def checkpoint(
    ctx: typer.Context,
    db: DbOption = None,
    key_file: KeyOption = None,
    checkpoints_file: CheckpointsOption = None,
    log: LogOption = "center",
    force: Annotated[
        bool, typer.Option("--force", help="Write it even when verify finds problems (once looked into).")
    ] = False,
) -> None:
    """Verify the chain, then append its signed head (seq, hash, time) to the checkpoint file."""
    from kofu.audit.checkpoints import append_checkpoint, default_path
    from kofu.audit.entry import utc_text
    from kofu.audit.keys import load_head_key
    from kofu.audit.verifier import Checkpoint

    home = _settings(ctx).home
    try:
        head_key = load_head_key(home)
    except ValueError as exc:
        raise _fail(f"bad_request: {exc}") from None
    if head_key is None:
        raise _fail("bad_request: no head key to sign with: run `kofu audit key` first")
    report, read, _ = _checked(ctx, db, key_file, checkpoints_file, log, [])
    for problem in report.problems:
        typer.echo(str(problem))
    if not report.ok and not force:
        typer.echo(f"audit chain BROKEN ({len(report.problems)} problems): no checkpoint written")
        raise typer.Exit(1)
    last = read.entries[-1] if read.entries else None
    noted = Checkpoint(
        log=log,
        seq=last.seq if last else 0,
        hash=report.head_hash,
        at=last.at if last else None,
        written=utc_text(datetime.now(UTC)),
    )
    path = checkpoints_file or default_path(home)
    try:
        append_checkpoint(path, noted, head_key)
    except OSError as exc:
        raise _fail(f"unreadable: cannot write the checkpoint ({exc.strerror})") from None
    typer.echo(f"checkpoint of {log} written to {path}: entry {noted.seq}, hash {noted.hash}, at {noted.at}")


@app.command()
def reconcile(
    ctx: typer.Context,
    db: DbOption = None,
    key_file: KeyOption = None,
    render_db: Annotated[
        list[str] | None,
        typer.Option("--render-db", help="A municipal server's database: its renders count too; repeatable."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line instead of text.")] = False,
) -> None:
    """Name every charged order whose quote, pay, render or confirm has no allowed entry in the chain."""
    from kofu.center.reconcile import (
        RENDER,
        STEPS,
        allowed_orders,
        charged_orders,
        recorded_decisions,
        unaudited,
    )

    key = _key(ctx, key_file)
    with _session(ctx, db) as session:
        charged = charged_orders(session)
        allowed = allowed_orders(recorded_decisions(session, key))
    steps: tuple[str, ...] = STEPS
    for url in render_db or []:
        with _session(ctx, url) as session:
            allowed |= allowed_orders(recorded_decisions(session, key))
        steps = (*STEPS, RENDER)
    missing = unaudited(charged, allowed, steps)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": not missing,
                    "charged": len(charged),
                    "unaudited": [{"order": u.order_id, "missing": list(u.missing)} for u in missing],
                }
            )
        )
    else:
        for u in missing:
            when = u.charged_at.isoformat() if u.charged_at else "?"
            typer.echo(f"order {u.order_id} charged {when}: no {', '.join(u.missing)} in the chain")
        state = "every charge audited" if not missing else f"{len(missing)} charges without their decisions"
        typer.echo(f"{len(charged)} charged orders: {state}")
    if missing:
        raise typer.Exit(1)


@app.command()
def show(
    ctx: typer.Context,
    last: Annotated[int, typer.Option("--last", min=1, max=100_000, help="How many entries.")] = 20,
    db: DbOption = None,
) -> None:
    """The last N entries, oldest first: seq, time (UTC), actor, action, subject, outcome, hash prefix."""
    from kofu.audit.log import last_entries, pending_count

    with _session(ctx, db) as session:
        entries = last_entries(session, last)
        pending = pending_count(session)
    for e in entries:
        typer.echo(f"{e.seq:>8} {e.at} {e.actor} {e.action} {e.subject or '-'} {e.outcome} {e.hash[:16]}")
    typer.echo(f"pending {pending}")


@app.command("key")
def make_key(ctx: typer.Context) -> None:
    """Create the home's audit keys (before the first entry): the chain key and the head's signing pair."""
    from kofu.audit.keys import ensure_audit_keys, head_key_path, key_path

    home = _settings(ctx).home
    ensure_audit_keys(home)
    typer.echo(f"audit key at {key_path(home)}, head key at {head_key_path(home)}")
