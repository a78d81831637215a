"""The servers' wall clock moved by a fixed offset, from outside: a tiny LD_PRELOAD library.

Why not libfaketime (Debian `faketime` 0.9.10): with Python 3.11 on glibc 2.36 it either fakes the
monotonic clock too, and then every timed wait (`threading.Event.wait`, which uses `sem_clockwait`, a
call libfaketime does not intercept) sleeps for the whole offset — uvicorn's supervisor never wakes up to
restart a killed worker — or, with DONT_FAKE_MONOTONIC=1, `time.sleep` fails with EINVAL. This library
moves CLOCK_REALTIME (and `gettimeofday`, `time`) only; sleeps and timeouts keep the real monotonic clock.
The offset is read from a file (re-read every 100 ms), so the running servers' clock is stepped between
the storm's phases as an NTP step would, without restarting them. It is compiled once per run with the C
compiler the project's setup already installs (gcc).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

ENV = "KOFU_CHAOS_CLOCK_FILE"
SETTLE_S = 0.4  # longer than the library's re-read interval: every process has the new offset
SOURCE = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *path;
static volatile long long offset_s;
static volatile long long next_read_ns;
static int (*real_clock_gettime)(clockid_t, struct timespec *);

__attribute__((constructor)) static void init(void) {
    path = getenv("KOFU_CHAOS_CLOCK_FILE");
    real_clock_gettime = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
}

/* The offset (whole seconds) is re-read from the file at most every 100 ms of real monotonic time. */
static void refresh(void) {
    struct timespec now;
    if (!path || real_clock_gettime(CLOCK_MONOTONIC_COARSE, &now) != 0) return;
    long long ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
    if (ns < next_read_ns) return;
    next_read_ns = ns + 100000000LL;
    int saved = errno;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[32];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n > 0) { buf[n] = 0; offset_s = atoll(buf); }
    }
    errno = saved;
}

int clock_gettime(clockid_t id, struct timespec *ts) {
    if (!real_clock_gettime) init();
    int r = real_clock_gettime(id, ts);
    if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) {
        refresh();
        ts->tv_sec += offset_s;
    }
    return r;
}

int gettimeofday(struct timeval *tv, void *tz) {
    struct timespec ts;
    int r = clock_gettime(CLOCK_REALTIME, &ts);
    (void)tz;
    if (r == 0 && tv) { tv->tv_sec = ts.tv_sec; tv->tv_usec = ts.tv_nsec / 1000; }
    return r;
}

time_t time(time_t *out) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (out) *out = ts.tv_sec;
    return ts.tv_sec;
}
"""


def build_library(folder: Path) -> Path:
    """Compile the library into `folder` (gcc, or cc); its path."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise RuntimeError("no C compiler (gcc) to build the clock library; scripts/setup.sh installs it")
    folder.mkdir(parents=True, exist_ok=True)
    source, library = folder / "kofu_clock.c", folder / "libkofu_clock.so"
    source.write_text(SOURCE, encoding="utf-8")
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-O2", "-o", str(library), str(source), "-ldl"],
        check=True,
        capture_output=True,
    )
    return library


def clock_env(library: Path | None, clock_file: Path | None) -> dict[str, str]:
    """The environment that runs a process (and every worker it spawns) on the clock `clock_file` sets."""
    if library is None or clock_file is None:
        return {}
    return {"LD_PRELOAD": str(library), ENV: str(clock_file)}


def set_offset(clock_file: Path, offset_s: int) -> None:
    """Move every process on this clock to real time + `offset_s` (forward only, by the caller's plan).

    Written whole (a rename), then a pause until every process has read it.
    """
    draft = clock_file.with_suffix(".new")
    draft.write_text(f"{offset_s:d}\n", encoding="ascii")
    draft.replace(clock_file)
    time.sleep(SETTLE_S)
