"""The README opens with the two commands, and lists every reason code as the code does."""

import re
from pathlib import Path

from kofu.rules.reasons import reasons_markdown

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands() -> None:
    block = re.search(r"```sh\n(.*?)```", README, flags=re.S)
    assert block is not None and README.index("```sh") < 20
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["scripts/demo", "scripts/test"]


def test_readme_reason_table_matches_the_code() -> None:
    table = re.search(r"<!-- reasons:start -->\n(.*?)\n<!-- reasons:end -->", README, flags=re.S)
    assert table is not None
    assert table.group(1).strip() == reasons_markdown().strip(), (
        "README reason codes are stale: run .venv/bin/python scripts/update_readme_reasons.py"
    )
