"""Fonts are parsed once per process, even when many server threads render their first document at once."""

from __future__ import annotations

import subprocess
import sys

PROGRAM = """
import threading
from kofu.documents import fonts

made = []
real = fonts.TTFont

def counting(*args, **kwargs):
    made.append(args[0])
    return real(*args, **kwargs)

fonts.TTFont = counting
start = threading.Barrier(8)

def first_render():
    start.wait()
    fonts.coverage(fonts.MINCHO)
    fonts.register_fonts()

threads = [threading.Thread(target=first_render) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(made), len(set(made)))
"""


def test_concurrent_first_renders_parse_each_font_once() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True, timeout=120
    )
    made, distinct = map(int, out.stdout.split())
    assert distinct == 4  # IPAex Mincho, BIZ UD Gothic, IPAex Gothic, IPAmj Mincho
    assert made == distinct  # not once per thread (1.2 GB in a worker before the lock)
