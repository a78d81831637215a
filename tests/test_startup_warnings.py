"""Issue 26 (6): pyHanko's import-time DSA deprecation warning is not printed by kofu, and only that
warning is silenced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import warnings
import kofu
import pyhanko.sign.signers.pdf_cms
from cryptography.utils import CryptographyDeprecationWarning
warnings.warn("another deprecation", CryptographyDeprecationWarning)
"""


def test_the_dsa_warning_is_filtered_and_no_other() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "DSA is deprecated" not in done.stderr
    assert "another deprecation" in done.stderr


def test_a_command_that_loads_pyhanko_prints_no_warning(tmp_path: Path) -> None:
    from kofu.rules.reasons import Reason
    from kofu.settings import Settings
    from kofu.verify.register import migrate_verify

    home = tmp_path / "home"
    migrate_verify(Settings(home=home).db_url)
    note = tmp_path / "note.txt"
    note.write_text("hello")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOFU_")} | {"KOFU_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "kofu", "verify", str(note)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 1 and Reason.UNSUPPORTED.en in done.stdout, done.stdout + done.stderr
    assert "Warning" not in done.stderr, done.stderr
