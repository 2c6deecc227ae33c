"""Real-terminal smoke test: `bwtui --demo` in a pty, its screen read with pyte.

What a user on an SSH jump host would notice: the monitor draws the demo accounts and resources
under common TERM values, `q` quits with exit code 0, and the terminal is given back (the
alternate screen is left). Without a terminal, `bwtui` says to use `bwtui status` and exits 2.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pty_harness import LEAVE_ALT_SCREEN, PtySession, isolated_env, restored_terminal

REPO = Path(__file__).resolve().parent.parent
DEMO_ACCOUNTS = ("hv-demo", "vpn-demo")
FIRST_FRAME_TIMEOUT_S = 12.0

pytestmark = pytest.mark.skipif(
    not (REPO / "bwtui" / "ui" / "app.py").exists(),
    reason="the Textual monitor (bwtui.ui.app) does not exist yet",
)

_LISTED = re.compile(r"\b[1-9]\d* resources\b")
_RATE = re.compile(r"\d(\.\d+)?\s?[kMGT]?(bit|B)/s")
_EXTENDED_COLOUR = re.compile(rb"\x1b\[[0-9;]*[34]8;[25];")
_ESCAPE = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


@pytest.mark.parametrize("term", ["xterm-256color", "linux", "xterm"])
def test_demo_draws_and_quits_cleanly(term: str) -> None:
    with PtySession(
        [sys.executable, "-m", "bwtui", "--demo"],
        cols=100,
        rows=30,
        term=term,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO)},
    ) as session:
        session.wait_until(
            lambda: _lists_demo(session.screen.display),
            timeout=FIRST_FRAME_TIMEOUT_S,
            what="the demo accounts or resource count",
        )
        session.wait_until(
            lambda: _shows_a_rate(session.screen.display),
            timeout=FIRST_FRAME_TIMEOUT_S,
            what="a demo resource with its rate",
        )
        session.send_keys("q")
        code = session.wait_exit(timeout=10)
        raw = session.raw_bytes()

    assert code == 0, raw[-2000:]
    assert b"Traceback" not in raw
    assert restored_terminal(raw), "the alternate screen was not left on exit"
    tail = raw[raw.rfind(LEAVE_ALT_SCREEN) :]
    assert _ESCAPE.sub(b"", tail).strip() == b"", f"text printed after leaving: {tail!r}"
    if "256color" not in term:
        # 16-colour terminals (the Linux console, plain xterm over SSH) get no 256/truecolor codes.
        assert not _EXTENDED_COLOUR.search(raw), "256-colour or truecolor codes on a 16-colour TERM"


def _lists_demo(display: list[str]) -> bool:
    """Both demo accounts (sidebar) or the header's resource count (overview) are shown."""
    shown = "\n".join(display)
    return all(name in shown for name in DEMO_ACCOUNTS) or _LISTED.search(shown) is not None


def _shows_a_rate(display: list[str]) -> bool:
    """Some row carries a polled rate with its unit (``12.3 Mbit/s``)."""
    return any(_RATE.search(line) for line in display)


@pytest.mark.parametrize("args", [[], ["--demo"]])
def test_without_a_terminal_suggests_status(args: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [sys.executable, "-m", "bwtui", *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=isolated_env(Path(tmp), term="xterm-256color", extra={"PYTHONPATH": str(REPO)}),
            cwd=REPO,
            timeout=20,
            text=True,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "bwtui status" in output
    assert "Traceback" not in output
