"""Issue 22, item 5: the box (`kofu.verify.sandbox`) that untrusted files are parsed in.

Each job runs in a fresh child of a zygote; past its wall-clock, CPU-time or memory limit, or when it
crashes, the job answers `Unfinished` in time and the next job runs as if nothing happened. What a child
hands back is JSON, checked field by field, and the child is given no key of the service's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kofu.documents.published import PublishedKeys
from kofu.rules.reasons import Reason
from kofu.verify import core
from kofu.verify.reading import PARSERS, Reading
from kofu.verify.sandbox import Box, Limits, Unfinished
from kofu.verify.trust import Trust
from kofu.verify.verdict import Status

SLACK_S = 2.0  # a busy, shared machine


@pytest.fixture(scope="module")
def box() -> Iterator[Box]:
    made = Box(("json",), Limits(wall_s=1.0, cpu_s=1, memory_mb=256))
    made.warm()
    yield made
    made.close()


def _timed(box: Box, fn: Any, *args: Any) -> tuple[float, Any]:
    start = time.monotonic()
    answer = box.run(fn, *args)
    return time.monotonic() - start, answer


def test_a_job_answers_json_from_a_fresh_child_each_time(box: Box) -> None:
    first, second = box.run(os.getpid), box.run(os.getpid)
    assert isinstance(first, int) and isinstance(second, int)
    assert len({first, second, os.getpid()}) == 3  # never this process, never the same child twice
    assert box.run(sorted, [3, 1, 2]) == [1, 2, 3]


def test_past_its_wall_clock_a_job_is_killed(box: Box) -> None:
    took, answer = _timed(box, time.sleep, 60)
    assert answer == Unfinished("time")
    assert took < box.limits.wall_s + SLACK_S
    assert box.run(os.getpid)  # the next job runs


def test_past_its_cpu_time_a_job_is_killed() -> None:
    """RLIMIT_CPU: a busy child is stopped by the kernel, before the parent's (here longer) wall clock."""
    with_time = Box(("json",), Limits(wall_s=30, cpu_s=1))
    try:
        took, answer = _timed(with_time, sum, range(10**12))
        assert answer == Unfinished("killed")
        assert took < 1 + 1 + 2 * SLACK_S  # the soft limit, then SIGKILL a second later at most
    finally:
        with_time.close()


def test_past_its_memory_a_job_fails(box: Box) -> None:
    """RLIMIT_AS: 512 MiB is more than the 256 MiB this box allows above what the zygote maps."""
    assert box.run(bytearray, 512 * 1024 * 1024) == Unfinished("memory")
    assert box.run(len, bytearray(64)) == 64


@pytest.mark.parametrize(
    ("fn", "args", "why"),
    [(os.abort, (), "killed"), (int, ("not a number",), "error"), (os.urandom, (4,), "error")],
    ids=["crash", "exception", "not_json"],
)
def test_a_job_that_crashes_fails_or_answers_no_json(box: Box, fn: Any, args: Any, why: str) -> None:
    assert box.run(fn, *args) == Unfinished(why)


def test_a_zygote_that_died_is_started_again(box: Box) -> None:
    zygote = box._zygote
    assert zygote is not None
    zygote.kill()
    zygote.wait()
    assert isinstance(box.run(os.getpid), int)


def test_the_zygote_stops_when_its_box_is_closed() -> None:
    box = Box(("json",))
    box.warm()
    zygote = box._zygote
    assert zygote is not None
    box.close()
    assert zygote.poll() is not None


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        {"source": "pdf"},
        {**Reading("pdf").to_json(), "extra": 1},
        {**Reading("pdf").to_json(), "source": "exe"},
        {**Reading("pdf").to_json(), "failure": "no_such_reason"},
        {**Reading("pdf").to_json(), "unknown_key": "yes"},
        {**Reading("pdf").to_json(), "codes": "KF1:"},
        {**Reading("pdf").to_json(), "codes": [1]},
        {**Reading("pdf").to_json(), "order_id": None},
    ],
)
def test_a_reading_from_the_box_is_nothing_but_a_reading(raw: object) -> None:
    with pytest.raises(ValueError):
        Reading.from_json(raw)


def test_a_reading_survives_its_json() -> None:
    reading = Reading("pdf", Reason.KEY_UNKNOWN, True, ("KF1:AB", "KFC1:1:1:00"), "order", "requester")
    assert Reading.from_json(reading.to_json()) == reading


def test_the_box_is_given_the_file_and_the_cas_certificates_only(
    published: PublishedKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The box needs no private key: it is handed the upload and the CAs' certificates (DER), nothing else."""
    given: list[tuple[Any, ...]] = []

    def record(_self: Box, fn: Any, *args: Any) -> Any:
        given.append((fn, *args))
        return Unfinished("time")

    monkeypatch.setattr(Box, "run", record)
    trust = Trust.of(published)
    result = core.verify_untrusted(b"%PDF-1.7\n", trust=trust, box=Box(PARSERS))
    assert result.status is Status.UNKNOWN and result.reasons == (Reason.UNREADABLE,)
    ((fn, data, cas),) = given
    assert fn is core.read_file_json and data == b"%PDF-1.7\n"
    assert cas == core.ca_der(trust) and all(isinstance(c, bytes) for c in cas)
    assert all(b"PRIVATE" not in c for c in cas)


def test_the_parsers_are_imported_by_the_zygote_not_by_each_job() -> None:
    """A job costs a fork: the zygote has imported pyHanko, qpdf, Pillow and zxing before any job."""
    box = Box(PARSERS, Limits(wall_s=10))
    names = ["pyhanko.sign.validation", "pikepdf", "PIL.Image", "zxingcpp"]
    try:
        assert box.run(eval, f"all(n in __import__('sys').modules for n in {names!r})") is True
    finally:
        box.close()


def test_a_job_the_zygote_cannot_import_is_an_error(box: Box) -> None:
    assert box.run(_not_importable_by_the_zygote) == Unfinished("error")


def _not_importable_by_the_zygote() -> None:  # this test module is not on the zygote's path
    pass
