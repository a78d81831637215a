"""The SEC-4 search itself must find what it looks for: planted text in every form is found (no browser)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from e2e_content import files_holding

NAME = "山本\u3000翼"


def test_e2e_search_finds_planted_certificate_text_in_any_form_SEC_4(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "db").mkdir(parents=True)
    (home / "kiosk" / "t").mkdir(parents=True)
    db = sqlite3.connect(home / "db" / "center.db")
    db.execute("CREATE TABLE t (v TEXT)")
    db.execute("INSERT INTO t VALUES (?)", (NAME,))
    db.commit()
    db.close()
    (home / "kiosk" / "t" / "session.json").write_text(json.dumps({"label": NAME}), encoding="utf-8")
    (home / "logs.txt").write_bytes(NAME.encode("utf-16-le"))
    (home / "db" / "registry-ohira.db").write_text(NAME, encoding="utf-8")  # a source of record
    (home / "db" / "jpki.db-wal").write_text(NAME, encoding="utf-8")
    (home / "db" / "registry-ohira.db.bak").write_text(NAME, encoding="utf-8")  # not a source of record
    found = files_holding(home, {"name": NAME})
    assert sorted(found) == ["db/center.db", "db/registry-ohira.db.bak", "kiosk/t/session.json", "logs.txt"]
