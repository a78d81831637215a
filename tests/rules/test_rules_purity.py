"""Nothing under kofu.rules imports a database, web or PDF library, or reads the clock."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import kofu.rules

RULES_DIR = Path(kofu.rules.__file__).parent
MODULES = sorted(RULES_DIR.rglob("*.py"))
ALLOWED_THIRD_PARTY = {"jpholiday", "japanera", "kanjize"}
FORBIDDEN_STDLIB = {"sqlite3", "socket", "http", "urllib", "ssl", "asyncio", "subprocess", "smtplib", "dbm"}
FORBIDDEN_LIBRARIES = [
    "sqlalchemy",
    "psycopg",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "reportlab",
    "pyhanko",
    "segno",
    "jinja2",
    "smartcard",
    "kofu.db",
    "kofu.registry",
    "kofu.documents",
]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def import_violations(path: Path) -> list[str]:
    bad = []
    for name in sorted(imported_modules(path)):
        top = name.split(".")[0]
        if name.startswith("kofu."):
            if not name.startswith("kofu.rules"):
                bad.append(name)
        elif top == "__future__" or top in ALLOWED_THIRD_PARTY:
            continue
        elif top not in sys.stdlib_module_names or top in FORBIDDEN_STDLIB:
            bad.append(name)
    return bad


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_rules_modules_import_only_stdlib_calendar_libs_and_rules(path: Path) -> None:
    assert import_violations(path) == []


def test_import_scan_would_catch_io_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import sqlite3\nfrom sqlalchemy import select\nimport reportlab.pdfgen\nfrom kofu.db import x\n"
        "from kofu.rules.kinds import Kind\nimport jpholiday\n",
        encoding="utf-8",
    )
    assert import_violations(sample) == ["kofu.db", "reportlab.pdfgen", "sqlalchemy", "sqlite3"]


def clock_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr, owner = node.func.attr, node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else ""
            if attr in ("now", "today", "utcnow") or (owner_name == "time" and attr in ("time", "monotonic")):
                found.append(f"{owner_name}.{attr}() at line {node.lineno}")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_rules_never_read_the_clock(path: Path) -> None:
    assert clock_reads(path) == [], f"{path.name} reads the clock; take the instant as an argument"


def test_clock_scan_would_catch_a_clock_read(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from datetime import date\nx = date.today()\n", encoding="utf-8")
    assert clock_reads(sample) == ["date.today() at line 2"]


def test_importing_every_rules_module_loads_no_io_library() -> None:
    names = [f"kofu.rules.{p.stem}" for p in MODULES if p.stem != "__init__"]
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        f"forbidden = {FORBIDDEN_LIBRARIES!r}\n"
        "bad = [m for m in sys.modules if any(m == f or m.startswith(f + '.') for f in forbidden)]\n"
        "print(','.join(sorted(bad)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
