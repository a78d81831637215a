"""`kofu audit verify` and `kofu audit show`: the count and head of an intact log, each tampering named."""

from __future__ import annotations

import json
from pathlib import Path

from audit_helpers import chain, fill, tamper
from typer.testing import CliRunner

from kofu.audit.cli import app
from kofu.audit.keys import load_audit_key
from kofu.audit.log import AuditLog
from kofu.settings import Settings

runner = CliRunner()


def _run(home: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), obj=Settings(home=home))
    return result.exit_code, result.output


def test_audit_verify_intact_prints_count_and_head(audit_url: str, kofu_home: Path) -> None:
    fill(audit_url, 5)
    entries, _ = chain(audit_url)
    code, out = _run(kofu_home, "verify", "--db", audit_url)
    assert code == 0, out
    assert f"intact: 5 entries, head {entries[-1].hash}" in out


def test_audit_verify_names_the_tampered_entries(audit_url: str, kofu_home: Path) -> None:
    fill(audit_url, 6)
    tamper(
        audit_url,
        "UPDATE audit_entries SET subject = 'order:other' WHERE seq = 2",
        "DELETE FROM audit_entries WHERE seq = 4",
    )
    code, out = _run(kofu_home, "verify", "--db", audit_url)
    assert code == 1
    assert "entry 2: altered" in out and "entry 4: missing" in out and "BROKEN (2 problems)" in out
    code, out = _run(kofu_home, "verify", "--db", audit_url, "--json")
    assert code == 1
    report = json.loads(out.strip().splitlines()[-1])
    assert [(p["seq"], p["kind"]) for p in report["problems"]] == [(2, "altered"), (4, "missing")]


def test_audit_show_last_entries(sqlite_audit_url: str, kofu_home: Path) -> None:
    fill(sqlite_audit_url, 5)
    code, out = _run(kofu_home, "show", "--last", "2", "--db", sqlite_audit_url)
    assert code == 0, out
    *lines, pending = out.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["4", "5"]
    assert pending == "pending 0"
    assert "terminal:T-SEJ-0001 order.pay order:ord-00003 order_state_conflict" in lines[0]
    assert "order:ord-00004 allowed" in lines[1]


def test_audit_home_key_is_used_by_verify(sqlite_audit_url: str, kofu_home: Path) -> None:
    """With the home's keys the chain is HMAC-keyed and its head signed; verify uses that key, and
    without it cannot vouch."""
    code, out = _run(kofu_home, "key")
    assert code == 0, out
    key = load_audit_key(kofu_home)
    for name in ("chain.key", "head.key"):
        assert (kofu_home / "keys/audit" / name).stat().st_mode & 0o077 == 0
    assert (kofu_home / "keys/audit").stat().st_mode & 0o077 == 0
    log = AuditLog.for_home(kofu_home)
    assert key is not None and log.key == key
    fill(sqlite_audit_url, 3, log=log)
    assert _run(kofu_home, "verify", "--db", sqlite_audit_url)[0] == 0
    other = kofu_home / "other"
    other.mkdir()
    code, out = _run(other, "verify", "--db", sqlite_audit_url)
    assert code == 1 and "key: the chain is keyed" in out


def test_audit_cli_bad_input_is_a_reason_not_a_traceback(
    sqlite_url: str, kofu_home: Path, tmp_path: Path
) -> None:
    code, out = _run(kofu_home, "verify", "--db", "nonsense://x")
    assert code == 2 and "bad_request" in out
    code, out = _run(kofu_home, "verify", "--db", sqlite_url)  # no audit tables there
    assert code == 2 and "unreadable" in out
    bad_key = tmp_path / "k"
    bad_key.write_text("zz")
    code, out = _run(kofu_home, "verify", "--db", sqlite_url, "--key", str(bad_key))
    assert code == 2 and "bad_request" in out
    assert _run(kofu_home, "show", "--last", "0")[0] == 2


def test_audit_anchor_catches_a_tail_cut_with_a_rewound_head(sqlite_audit_url: str, kofu_home: Path) -> None:
    """A tail removed and the head record rewound to match (seq, hash and time) is caught by an anchor
    noted earlier; the head's time alone gives away a rewind that forgot it."""
    fill(sqlite_audit_url, 5)
    code, out = _run(kofu_home, "verify", "--db", sqlite_audit_url)
    anchor = out.strip().splitlines()[-1].split("--anchor ")[1]
    entries, _ = chain(sqlite_audit_url)
    tamper(
        sqlite_audit_url,
        "DELETE FROM audit_entries WHERE seq > 3",
        f"UPDATE audit_head SET seq = 3, hash = '{entries[2].hash}'",
    )
    code, out = _run(kofu_home, "verify", "--db", sqlite_audit_url)
    assert code == 1 and "entry 3: head: the head records another time" in out
    tamper(sqlite_audit_url, f"UPDATE audit_head SET at = '{entries[2].at}'")
    assert _run(kofu_home, "verify", "--db", sqlite_audit_url)[0] == 0  # an unsigned head cannot tell
    code, out = _run(kofu_home, "verify", "--db", sqlite_audit_url, "--anchor", anchor)
    assert code == 1 and "entry 5: anchor" in out
    assert _run(kofu_home, "verify", "--db", sqlite_audit_url, "--anchor", "5:zz")[0] == 2
