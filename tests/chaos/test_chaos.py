"""The short chaos storm of CI: `kofu bench chaos` with 8 kiosks and 150 visits, on SQLite and PostgreSQL.

The same code as the full benchmark (servers with two workers each, every fault type, the three clock
edges); the figure's last line must show every invariant at 0 and every fault type really injected.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kofu.chaos.plan import FAULT_EVERY
from kofu.chaos.runner import ALSO_ZERO, INVARIANTS

PG_SKIP = "PostgreSQL chaos run skipped: set KOFU_TEST_DATABASE_URL (scripts/test sets it when reachable)"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_chaos_short_storm_keeps_every_invariant_INC_1_to_8_NRF_1_FEE_1_SEC_4_HRS_1(
    backend: str, tmp_path: Path
) -> None:
    workdir = tmp_path / "not" / "yet"  # the bench makes the folder it is told to work in
    command = [sys.executable, "-m", "kofu", "bench", "chaos", "--kiosks", "8", "--issuances", "150"]
    command += ["--kiosk-processes", "2", "--municipal-timeout", "10", "--workdir", str(workdir)]
    if backend == "sqlite":
        command.append("--sqlite")
    else:
        url = os.environ.get("KOFU_TEST_DATABASE_URL")
        if not url:
            pytest.skip(PG_SKIP)
        command += ["--database-url", url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOFU_")}
    done = subprocess.run(command, capture_output=True, text=True, timeout=280, env=env, check=False)
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr[-4000:]
    figure = json.loads(lines[-1])  # the last line is the figure
    broken = {k: figure[k] for k in (*INVARIANTS, *ALSO_ZERO) if figure[k] != 0}
    assert broken == {}, done.stderr[-4000:]
    assert done.returncode == 0, done.stderr[-4000:]
    assert {*FAULT_EVERY, "clock_edge"} <= {k for k, n in figure["faults"].items() if n > 0}, figure["faults"]
    assert figure["workers_not_restarted"] == 0  # uvicorn's supervisor replaced the killed workers
    assert figure["recovered_by_recovery"] >= 1  # the kiosk that died after paying: voided, cash back
    assert figure["issued"] > 0 and figure["documents_judged"] >= figure["issued"]
    assert figure["phases"]["edge_1228"]["issued"] == 0  # closed: 23:59:59, then the year end
    assert figure["database"] == backend and figure["visits"] == 150
    assert workdir.is_dir()


def test_chaos_without_a_database_says_what_it_needs_without_a_traceback() -> None:
    env = {k: v for k, v in os.environ.items() if k != "KOFU_TEST_DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "kofu", "bench", "chaos", "--issuances", "8"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "KOFU_TEST_DATABASE_URL" in done.stderr and "--database-url" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
