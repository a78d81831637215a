"""Does a CUPS server keep the files of printed jobs? Read from its `cupsd.conf` (`PreserveJobFiles`).

CUPS keeps each job's document in its spool (`/var/spool/cups/d*`) after printing unless told not to:
by default for a day (`PreserveJobFiles 86400`). A certificate kept there outlives its session (SEC-4),
so the kiosk prints only through a server set to `PreserveJobFiles No`.
"""

from __future__ import annotations

from pathlib import Path

CUPSD_CONF = Path("/etc/cups/cupsd.conf")
_OFF = {"no", "off", "false", "disabled", "0"}

HOW_TO_FIX = (
    "Set `PreserveJobFiles No` in {conf} (a line of its own, outside any <Location> or <Policy> section) "
    "and restart CUPS (`systemctl restart cups`); the kiosk's user must be able to read that file."
)


def preserves_job_files(conf_text: str) -> bool:
    """True unless the configuration says `PreserveJobFiles No` (or Off, False, 0): CUPS's default keeps
    them. Directive names and values are case-insensitive; the last directive wins; `#` starts a comment."""
    value = None
    for line in conf_text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[0].lower() == "preservejobfiles":
            value = words[1].lower()
    return value not in _OFF


def job_files_problem(conf: Path) -> str | None:
    """None when the CUPS server at `conf` drops job files after printing; else the sentence to act on."""
    fix = HOW_TO_FIX.format(conf=conf)
    try:
        text = conf.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        cause = exc.__class__.__name__
        return f"The kiosk cannot read {conf} ({cause}) to check that CUPS deletes printed jobs. {fix}"
    if preserves_job_files(text):
        return f"CUPS keeps the files of printed jobs (certificates would stay on disk). {fix}"
    return None
