"""Rewrite the README's reason-code table from `kofu.rules.reasons` (run after adding a reason)."""

import re
from pathlib import Path

from kofu.rules.reasons import reasons_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def main() -> None:
    text = README.read_text(encoding="utf-8")
    table = "<!-- reasons:start -->\n" + reasons_markdown().strip() + "\n<!-- reasons:end -->"
    README.write_text(
        re.sub(r"<!-- reasons:start -->.*<!-- reasons:end -->", table, text, flags=re.S), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
