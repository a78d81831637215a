"""Per-certificate floor of kofu's documents: render + seal a one-sheet, one-person 住民票 (front and back).

Run from the project root: `.venv/bin/python bench/documents.py [--n 60]`. In the same run it calls the
shared reference pipeline (`../shared/bench/reference_pipeline.py --e2e-only`) for `naive_ms` and
`tuned_ms`, and reports the ratios. Goal: floor <= 1.0 x tuned and <= 0.25 x naive.
The LAST line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "bench" / "reference_pipeline.py"


def make_case(home: Path) -> tuple[Callable[[], bytes], int]:
    """The floor's case: render + seal of one resident's 住民票 on one sheet; returns (run, bytes)."""
    from kofu.documents import samples
    from kofu.documents.issue import render_and_seal
    from kofu.documents.keys import sealing_keys
    from kofu.rules.rulebook import load_rulebook
    from kofu.verify.key import verifier_key

    book = load_rulebook("ohira")
    content = samples.juminhyo(book, members=(0,))
    keys = sealing_keys(home, book.code, book.name)
    verifier = verifier_key(home).public
    for _ in range(5):  # warm-up: fonts, caches, first subsets
        pdf = render_and_seal(content, keys, verifier)
    return (lambda: render_and_seal(content, keys, verifier)), len(pdf)


def sample_floor(run: Callable[[], bytes], n: int, console: Console, label: str) -> list[float]:
    """n timings of `run` in ms."""
    gc.collect()
    times: list[float] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(label, total=n)
        for _ in range(n):
            t0 = time.perf_counter_ns()
            run()
            times.append((time.perf_counter_ns() - t0) / 1e6)
            progress.advance(task)
    return times


def reference(console: Console) -> dict[str, float]:
    """naive_ms and tuned_ms from the shared reference pipeline, run with this interpreter."""
    with console.status("reference pipeline (--e2e-only)…"):
        out = subprocess.run(
            [sys.executable, str(REFERENCE), "--e2e-only"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
    last = [line for line in out.splitlines() if line.strip()][-1]
    data: dict[str, float] = json.loads(last)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--n", type=int, default=80, help="timed iterations (half before, half after the reference)"
    )
    args = parser.parse_args()
    console = Console(stderr=True)
    with tempfile.TemporaryDirectory(prefix="kofu-bench-") as home:
        run, size = make_case(Path(home))
        _measure(run, size, args.n, console)


def _measure(run: Callable[[], bytes], size: int, n: int, console: Console) -> None:
    # The machine is shared: sample kofu before and after the reference so both see the same load.
    times = sample_floor(run, n // 2, console, "render + seal (1 sheet, 1 person), first half")
    ref = reference(console)
    times += sample_floor(run, n - n // 2, console, "render + seal (1 sheet, 1 person), second half")
    times.sort()
    floor = statistics.median(times)
    p90 = times[max(0, int(len(times) * 0.9) - 1)]
    console.print(f"kofu floor: median {floor:.2f} ms  p90 {p90:.2f}  n={len(times)}  pdf {size} bytes")
    console.print(f"reference: naive {ref['naive_ms']} ms  tuned {ref['tuned_ms']} ms")
    result = {
        "floor_ms": round(floor, 3),
        "floor_p90_ms": round(p90, 3),
        "naive_ms": ref["naive_ms"],
        "tuned_ms": ref["tuned_ms"],
        "floor_over_tuned": round(floor / ref["tuned_ms"], 3),
        "floor_over_naive": round(floor / ref["naive_ms"], 3),
        "goal_met": floor <= ref["tuned_ms"] and floor <= 0.25 * ref["naive_ms"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
