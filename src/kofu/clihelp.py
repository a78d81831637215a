"""`kofu … --help` shows no type beside a flag: a flag takes no value.

Typer 0.29's rich help writes `<bool>` beside every flag (`--tls/--no-tls`, `--setup-only`, even
`--help`), where its plain help and Click write nothing; `quiet_flags` makes the rich help do the same.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperOption

_MARK = "_kofu_quiet_flags"


def quiet_flags() -> None:
    """Leave the type column of a flag empty in every command's help (once per process)."""
    shown = TyperOption.display_type_rich
    if getattr(shown, _MARK, False):
        return

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag and self.metavar is None else shown(self, ctx)

    setattr(display_type_rich, _MARK, True)
    setattr(TyperOption, "display_type_rich", display_type_rich)  # noqa: B010 (a method, set on the class)
