"""`kofu.procstat`: this process and a child of it as `/proc/<pid>/stat` shows them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from kofu.procstat import children, cpu_seconds, descendants, stats


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(["sleep", "30"])
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def test_procstat_finds_this_process_and_its_child(child: subprocess.Popen[bytes]) -> None:
    mine = stats([os.getpid(), child.pid])
    assert mine[os.getpid()].ppid == os.getppid()
    assert mine[child.pid].ppid == os.getpid() and mine[child.pid].name == "sleep"
    assert mine[child.pid].state != "Z"
    assert child.pid in children(os.getpid())
    below = descendants([os.getpid()])
    assert below[0] == os.getpid() and child.pid in below
    assert stats()[child.pid] == stats([child.pid])[child.pid]


def test_procstat_leaves_out_a_process_that_is_gone() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()  # reaped: its /proc entry is gone
    assert stats([process.pid]) == {}
    assert descendants([process.pid]) == [process.pid]


def test_procstat_cpu_seconds_grow_with_work() -> None:
    before = cpu_seconds([os.getpid()])
    until = time.process_time() + 0.3
    while time.process_time() < until:
        sum(range(1000))
    assert cpu_seconds([os.getpid()]) >= before + 0.2
