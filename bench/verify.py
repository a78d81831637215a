"""What the box costs a verification: the same files verified in this process and in the box, interleaved.

Run from the project root: `.venv/bin/python bench/verify.py [--n 40]`. A genuine 課税証明書 PDF and a
200-dpi scan of its back are verified `n` times each by `verify_bytes` (parsed in this process, as before
the box) and by `verify_untrusted` (parsed in a child forked from the box's zygote), alternating, so both
see the same machine. The LAST line printed is one JSON object: medians in ms and the box's overhead.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console


def make_files(home: Path) -> tuple[Callable[[bytes], object], Callable[[bytes], object], dict[str, bytes]]:
    """(in-process verify, boxed verify, {name: file}) over one municipality's keys."""
    from kofu.documents import samples
    from kofu.documents.issue import render_and_seal
    from kofu.documents.keys import document_keys
    from kofu.rules.rulebook import load_rulebook
    from kofu.verify.core import parser_box, verify_bytes, verify_untrusted
    from kofu.verify.trust import Trust

    book = load_rulebook("ohira")
    content = samples.kazei(book)
    keys = document_keys(home, book.code, book.name)
    trust = Trust.of(keys)
    pdf = render_and_seal(content, keys)
    (home / "doc.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-f", "2", "-l", "2", str(home / "doc.pdf"), str(home / "back")],
        check=True,
    )
    (png,) = home.glob("back*.png")
    day = content.header.issued_on
    parser_box().warm()

    def inside(data: bytes) -> object:
        result = verify_bytes(data, trust=trust, today=day)
        assert result.genuine, result
        return result

    def boxed(data: bytes) -> object:
        result = verify_untrusted(data, trust=trust, today=day)
        assert result.genuine, result
        return result

    return inside, boxed, {"pdf": pdf, "scan_200dpi": png.read_bytes()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=40, help="verifications of each file each way")
    n = parser.parse_args().n
    console = Console(stderr=True)
    with tempfile.TemporaryDirectory() as folder:
        inside, boxed, files = make_files(Path(folder))
        report: dict[str, object] = {"benchmark": "verify", "n": n}
        for name, data in files.items():
            times: dict[str, list[float]] = {"inside": [], "boxed": []}
            for _ in range(3):  # warm-up: caches in this process, the zygote's imports
                inside(data)
                boxed(data)
            for _ in range(n):
                for way, run in (("inside", inside), ("boxed", boxed)):
                    t0 = time.perf_counter_ns()
                    run(data)
                    times[way].append((time.perf_counter_ns() - t0) / 1e6)
            medians = {way: statistics.median(ts) for way, ts in times.items()}
            console.print(f"{name}: {medians}")
            report[name] = {
                "inside_ms": round(medians["inside"], 1),
                "boxed_ms": round(medians["boxed"], 1),
                "overhead_ms": round(medians["boxed"] - medians["inside"], 1),
            }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
