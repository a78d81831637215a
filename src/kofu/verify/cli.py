"""`kofu verify FILE`: is this certificate genuine?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from kofu.verify.verdict import Status, Verdict


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
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        issuer = trust.name_of(result.claims.municipality_code) if result.claims else None
        typer.echo(human_text(result, issuer))
    raise typer.Exit(exit_code(result.status))


EXIT_GENUINE, EXIT_NOT_GENUINE, EXIT_NOT_CHECKED, EXIT_SEAL_ONLY = 0, 1, 2, 3


def exit_code(status: Status) -> int:
    """The process's exit code for a verdict (see `verify`'s help)."""
    from kofu.verify.verdict import Status

    if status is Status.GENUINE:
        return EXIT_GENUINE
    return EXIT_SEAL_ONLY if status is Status.SEAL_ONLY else EXIT_NOT_GENUINE


def human_text(result: Verdict, issuer: str | None = None) -> str:
    """The verdict for a person: each sentence in Japanese, then English; the items in printed words."""
    from kofu.verify.present import present
    from kofu.verify.words import words

    ja, en = present(result, "ja", issuer=issuer), present(result, "en", issuer=issuer)
    lines = [f"{ja.headline} / {en.headline}"]
    if ja.sample and en.sample:
        lines += [ja.sample, en.sample]
    lines += [f"{j} / {e}" for j, e in zip(ja.reasons, en.reasons, strict=True)]
    lines += [f"→ {j}\n  {e}" for j, e in zip(ja.hints, en.hints, strict=True)]
    if ja.document:
        lines.append("")
        lines += [f"{j.label} ({e.label}): {j.value}" for j, e in zip(ja.document, en.document, strict=True)]
    if ja.content:
        say_ja, say_en = words("ja"), words("en")
        lines += ["", f"{say_ja['content']} / {say_en['content']}", say_ja["compare"], say_en["compare"]]
        for block in ja.content:
            lines.append(f"【{block.title}】")
            lines += [f"  {item.label}: {item.value or '(画像 / image)'}" for item in block.items]
    return "\n".join(lines)
