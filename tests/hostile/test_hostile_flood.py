"""A terminal flooding the center is slowed without hurting the others (issue 6 §3, rate limits).

The real center app carries `kofu.center.ratelimit.TerminalRateLimit` (wired in its `create_app`),
buckets in the center's own database. Two honest terminals authenticate real
cards one after another, first alone and then while a third terminal floods …/authenticate from two
threads. The flood is refused quickly (429 rate_limited), and the honest terminals keep succeeding
with a median latency within a generous factor of what it was without the flood.
"""

from __future__ import annotations

import base64
import statistics
import threading
import time
import uuid

from fastapi.testclient import TestClient
from hostile_world import FLOOD_TERMINAL, OTHER_TERMINAL, TERMINAL, Card, HostileWorld, b64, is_refusal

from kofu.center.ratelimit import TERMINAL_LIMIT

ROUNDS = 6  # authentications per honest terminal per phase (well under 30 a minute)
CARDS = 3  # cards per honest terminal, taken in turn: 2 phases x ROUNDS stay under the card limit (5)


def _honest_latencies(client: TestClient, world: HostileWorld, cards: dict[str, list[Card]]) -> list[float]:
    """Each honest terminal authenticates its cards ROUNDS times; the latency of each authenticate call."""
    latencies = []
    for i in range(ROUNDS):
        for terminal, own in cards.items():
            card = own[i % len(own)]
            opened = client.post("/v1/sessions", json={"terminal_id": terminal, "request_key": _key()})
            assert opened.status_code == 200, opened.text
            sid = opened.json()["session_id"]
            answer = world.card_answer(card, sid, base64.b64decode(opened.json()["challenge_b64"]), terminal)
            started = time.perf_counter()
            reply = client.post(f"/v1/sessions/{sid}/authenticate", json=answer)
            latencies.append(time.perf_counter() - started)
            assert reply.status_code == 200, reply.text
    return latencies


def _key() -> str:
    return uuid.uuid4().hex


def test_a_flooding_terminal_is_refused_quickly_and_the_others_keep_their_latency(
    world: HostileWorld,
) -> None:
    app = world.center_app  # the center app carries TerminalRateLimit itself
    cards = {t: [world.issue(world.person()) for _ in range(CARDS)] for t in (TERMINAL, OTHER_TERMINAL)}
    with TestClient(app) as client:
        quiet = _honest_latencies(client, world, cards)

        flood_sid = client.post("/v1/sessions", json={"terminal_id": FLOOD_TERMINAL, "request_key": _key()})
        sid = flood_sid.json()["session_id"]
        junk = {
            "terminal_id": FLOOD_TERMINAL,
            "certificate_b64": b64(b"\x30" * 900),
            "signature_b64": b64(b"x"),
        }
        stop = threading.Event()
        flood: list[tuple[int, float, bool]] = []

        def flooder() -> None:
            while not stop.is_set():
                started = time.perf_counter()
                reply = client.post(f"/v1/sessions/{sid}/authenticate", json=junk)
                flood.append((reply.status_code, time.perf_counter() - started, is_refusal(reply)))

        threads = [threading.Thread(target=flooder) for _ in range(2)]
        for thread in threads:
            thread.start()
        flood_started = time.monotonic()
        try:
            time.sleep(0.2)
            loud = _honest_latencies(client, world, cards)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        flood_seconds = time.monotonic() - flood_started

    limited = [latency for status, latency, refusal in flood if status == 429 and refusal]
    assert len(flood) > TERMINAL_LIMIT.capacity + 20, "the flood was not a flood"
    # the flood got its burst and its bucket's refill, then only refusals: slowed to 30 a minute
    passed = len(flood) - len(limited)
    assert passed <= TERMINAL_LIMIT.capacity + flood_seconds * TERMINAL_LIMIT.rate + 1
    print(
        f"median authenticate: quiet {statistics.median(quiet):.4f}s, flooded {statistics.median(loud):.4f}s,"
        f" refusal {statistics.median(limited):.4f}s; flood {len(flood)} requests, {passed} passed"
    )
    # refused quickly: a refusal costs less than an honest authentication at the same time
    assert statistics.median(limited) < statistics.median(loud)
    # the others kept succeeding (asserted per call) with their latency holding (a generous bound)
    assert statistics.median(loud) < 5 * statistics.median(quiet) + 0.1, (quiet, loud)


def test_rate_limited_answers_carry_the_reason_and_retry_after(world: HostileWorld) -> None:
    """Past its burst a terminal gets 429 rate_limited with Retry-After; another terminal is untouched."""
    app = world.center_app  # the center app carries TerminalRateLimit itself
    with TestClient(app) as client:
        sid = client.post("/v1/sessions", json={"terminal_id": TERMINAL, "request_key": _key()}).json()[
            "session_id"
        ]
        junk = {"terminal_id": TERMINAL, "certificate_b64": b64(b"\x30"), "signature_b64": b64(b"x")}
        replies = [client.post(f"/v1/sessions/{sid}/authenticate", json=junk) for _ in range(35)]
        other = client.post(f"/v1/sessions/{sid}/authenticate", json={**junk, "terminal_id": OTHER_TERMINAL})
    statuses = [r.status_code for r in replies]
    assert 429 not in statuses[: TERMINAL_LIMIT.capacity]
    assert statuses[TERMINAL_LIMIT.capacity :] == [429] * (35 - TERMINAL_LIMIT.capacity)
    last = replies[-1]
    assert last.json()["reason"] == "rate_limited" and int(last.headers["retry-after"]) >= 1
    assert other.status_code != 429 and is_refusal(other)


def test_servers_run_no_more_handler_threads_than_pooled_connections(world: HostileWorld) -> None:
    """A flood cannot make a server open database connections beyond its pool: threads are capped to it."""
    import anyio.to_thread

    from kofu.db import WORKER_THREADS

    def tokens() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    assert world.center.portal is not None and world.municipal.portal is not None
    assert world.center.portal.call(tokens) == WORKER_THREADS
    assert world.municipal.portal.call(tokens) == WORKER_THREADS
