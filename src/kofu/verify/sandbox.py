"""The box: untrusted files are parsed in a child process under CPU-time, memory and wall-clock limits.

A zygote process imports the parsers once and forks a fresh child per job, so a job costs a fork, not an
interpreter, and no job sees what an earlier one left. The parent kills a child that overruns its time;
the child's own limits (RLIMIT_CPU, RLIMIT_AS, an alarm) stop it even when the parent is gone. A child
answers in JSON, never pickle: what a parser hands back is data, even if the file took over the parser.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import logging
import math
import os
import pickle
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

MB = 1024 * 1024
MAX_ANSWER = 4 * MB  # what a child may hand back; more is not an answer
START_TIMEOUT_S = 60.0  # a zygote that is still importing the parsers (not counted as the job's time)
_ZYGOTE = "import sys; from kofu.verify.sandbox import zygote; zygote(int(sys.argv[1]), sys.argv[2:])"
_PID = struct.Struct("!I")
_SIZE = struct.Struct("!Q")


@dataclass(frozen=True)
class Limits:
    """What one job may use."""

    wall_s: float = 1.5  # the parent kills the child past this, so an answer comes within 2 s
    cpu_s: int = 2  # RLIMIT_CPU
    memory_mb: int = 768  # RLIMIT_AS, on top of what the zygote already maps
    jobs: int = 0  # children at once (parsing is CPU-bound); 0: one per CPU


@dataclass(frozen=True)
class Unfinished:
    """A job that gave no answer, and why: "time", "memory", "error" or "killed" (a limit or a crash)."""

    why: str


class Box:
    """Runs `fn(*args)` in a limited child forked from a zygote that imported `preload` once.

    `fn` must be importable by name and return JSON data (dicts, lists, strings, numbers, None).
    """

    def __init__(self, preload: Sequence[str], limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._preload = tuple(preload)
        self._slots = threading.BoundedSemaphore(self.limits.jobs or os.cpu_count() or 1)
        self._lock = threading.Lock()  # guards the zygote and its control socket
        self._zygote: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None

    def warm(self) -> None:
        """Start the zygote now, so that it has imported the parsers before the first job."""
        with self._lock:
            self._ensure_zygote()

    def close(self) -> None:
        """Stop the zygote (it also stops by itself when this process ends: its control socket closes)."""
        with self._lock:
            self._stop_zygote()

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """The JSON answer of `fn(*args)` computed in a fresh child, or `Unfinished`."""
        job = pickle.dumps((self.limits, fn, args))
        with self._slots:
            return self._run(job)

    def _run(self, job: bytes) -> Any:
        try:
            sock = self._fork()
        except OSError:  # no zygote can be started (no processes or files left)
            return Unfinished("error")
        pid = 0
        with sock:
            try:
                sock.settimeout(START_TIMEOUT_S)
                (pid,) = _PID.unpack(_recv_exactly(sock, _PID.size))
                deadline = time.monotonic() + self.limits.wall_s
                sock.settimeout(self.limits.wall_s)
                sock.sendall(_SIZE.pack(len(job)) + job)
                answer = _recv_to_end(sock, deadline)
                pid = 0  # it closed its end: it has ended
            except TimeoutError:
                return Unfinished("time")
            except (OSError, EOFError):
                return Unfinished("killed")
            except ValueError:  # more than an answer
                return Unfinished("error")
            finally:
                if pid:
                    _kill(pid)
        try:
            reply = json.loads(answer)
        except (ValueError, RecursionError):
            return Unfinished("killed")  # nothing, or half an answer: the child was stopped
        if not isinstance(reply, dict):
            return Unfinished("error")
        if "ok" in reply:
            return reply["ok"]
        return Unfinished("memory" if reply.get("failed") == "memory" else "error")

    def _fork(self) -> socket.socket:
        """A socket to a new child of the zygote (started, or restarted, when needed)."""
        ours, theirs = socket.socketpair()
        try:
            with self._lock:
                for attempt in range(2):
                    control = self._ensure_zygote()
                    try:
                        socket.send_fds(control, [b"j"], [theirs.fileno()])
                        break
                    except OSError:
                        self._stop_zygote()  # gone: start another once
                        if attempt:
                            raise
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return ours

    def _ensure_zygote(self) -> socket.socket:
        if self._zygote is not None and self._zygote.poll() is None and self._control is not None:
            return self._control
        self._stop_zygote()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)  # one message, one socket
        with theirs:
            self._zygote = subprocess.Popen(
                [sys.executable, "-c", _ZYGOTE, str(theirs.fileno()), *self._preload],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C at the terminal is for the parent, not for the zygote
            )
        self._control = ours
        return ours

    def _stop_zygote(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._zygote is not None:
            if self._zygote.poll() is None:
                self._zygote.kill()
            self._zygote.wait()
            self._zygote = None


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended on its own a moment ago
        os.kill(pid, signal.SIGKILL)


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return bytes(data)


def _recv_to_end(sock: socket.socket, deadline: float) -> bytes:
    """Everything the child sends until it closes its end, at most MAX_ANSWER bytes, by `deadline`."""
    data = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock.settimeout(left)
        chunk = sock.recv(64 * 1024)
        if not chunk:
            return bytes(data)
        data += chunk
        if len(data) > MAX_ANSWER:
            raise ValueError("more than an answer")


def zygote(control_fd: int, preload: Sequence[str]) -> None:
    """The zygote: import `preload`, then fork one child for each socket the parent sends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    for name in preload:
        importlib.import_module(name)
    gc.freeze()  # the children's collector leaves these objects alone: their pages stay shared
    control = socket.socket(fileno=control_fd)
    while True:
        message, fds, _flags, _address = socket.recv_fds(control, 1, 1)
        if not message:  # the parent has gone
            return
        for fd in fds:
            if os.fork() == 0:
                control.close()
                _child(fd)
            os.close(fd)


def _child(fd: int) -> None:
    """In a fresh child: say who it is, take the job, limit itself, answer, exit."""
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        with socket.socket(fileno=fd) as sock:
            sock.sendall(_PID.pack(os.getpid()))
            (size,) = _SIZE.unpack(_recv_exactly(sock, _SIZE.size))
            job = _recv_exactly(sock, size)
            _quiet()
            try:
                limits, fn, args = pickle.loads(job)  # from the parent: trusted
                _limit(limits)
                answer = json.dumps({"ok": fn(*args)})
            except MemoryError:
                answer = '{"failed": "memory"}'
            except Exception:
                answer = '{"failed": "error"}'
            sock.sendall(answer.encode())
    finally:
        os._exit(0)


def _quiet() -> None:
    """Nothing of an upload reaches a log or a terminal: the answer is the only output."""
    logging.disable(logging.CRITICAL)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)


def _limit(limits: Limits) -> None:
    signal.alarm(math.ceil(limits.wall_s) + 1)  # SIGALRM's default ends the child if no parent does
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a killed parser leaves no core file of the upload
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
    mapped = _mapped_bytes()
    if mapped:
        space = mapped + limits.memory_mb * MB
        resource.setrlimit(resource.RLIMIT_AS, (space, space))


def _mapped_bytes() -> int:
    """The address space this process maps now (0 where /proc is not there to say)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")
