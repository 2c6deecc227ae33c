"""SIGTERM and SIGHUP give the terminal back and keep the history, as `q` does.

`bwtui --demo` runs in a real pty; after the signal the pty must be in cooked mode again (icanon,
echo: what `stty -a` shows), the output must leave the alternate screen, show the cursor and turn
mouse reporting off, the exit code must be 128 + the signal, and the demo's history file must
hold the data the monitor had when the signal came.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from pty_harness import PtySession, restored_terminal

REPO = Path(__file__).resolve().parent.parent
FIRST_FRAME_TIMEOUT_S = 30.0
# The first Hivelocity row with its rate: the accounts answer in their own time, and the test
# asserts on Hivelocity's stored series, so it waits for that account, not just any first row.
_HIVELOCITY_ROW = re.compile(r"Web frontend\s+\d(\.\d+)?\s?[kMGT]?(bit|B)/s")
_MOUSE_MODES = (b"1000", b"1002", b"1003", b"1006", b"1015")


def _last_mode(raw: bytes, mode: bytes) -> bytes | None:
    """``h`` or ``l``: whether DEC private mode ``mode`` was last set or reset (None: never)."""
    found = re.findall(rb"\x1b\[\?" + mode + rb"([hl])", raw)
    return found[-1] if found else None


def _stty(tty_name: str) -> str:
    fd = os.open(tty_name, os.O_RDWR | os.O_NOCTTY)
    try:
        return subprocess.run(["stty", "-a"], stdin=fd, capture_output=True, text=True,
                              timeout=10).stdout
    finally:
        os.close(fd)


def _stored_samples(state_dir: Path) -> dict[str, int]:
    path = state_dir / "bwtui" / "demo-history.sqlite3"
    assert path.exists(), "the demo history file was never written"
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT r.account, COUNT(*) FROM samples s JOIN resources r ON r.rid = s.rid"
            " GROUP BY r.account"
        ).fetchall()
    return dict(rows)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_restores_the_terminal_and_keeps_history(sig: signal.Signals) -> None:
    with PtySession(
        [sys.executable, "-m", "bwtui", "--demo"],
        cols=100,
        rows=30,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO)},
    ) as session:
        tty_name = session.slave_name
        session.wait_until(
            lambda: any(_HIVELOCITY_ROW.search(line) for line in session.screen.display),
            timeout=FIRST_FRAME_TIMEOUT_S,
            what="the demo's Hivelocity row with its rate",
        )
        lflag = termios.tcgetattr(session._master)[3]
        assert not lflag & termios.ICANON, "the monitor should have the terminal in raw mode"
        os.kill(session.pid, sig)
        code = session.wait_exit(timeout=15)
        raw = session.raw_bytes()
        stty = _stty(tty_name)
        stored = _stored_samples(Path(session.env["XDG_STATE_HOME"]))

    assert code == 128 + sig, raw[-2000:]
    assert b"Traceback" not in raw
    assert restored_terminal(raw), "the alternate screen was not left"
    assert _last_mode(raw, b"25") == b"h", "the cursor was left hidden"
    for mode in _MOUSE_MODES:
        assert _last_mode(raw, mode) in (None, b"l"), f"mouse mode {mode!r} left on"
    flags = stty.split()
    assert "icanon" in flags and "echo" in flags, stty  # cooked mode again, not -icanon/-echo
    assert stored.get("hv-demo", 0) > 0, stored  # the monitor's data reached the history file


def test_the_handler_asks_for_a_clean_exit_once() -> None:
    """The first signal asks the app to exit with 128 + signal; the handler is then removed, so
    a second one (a stuck exit) gets the default action."""
    import asyncio

    from bwtui.ui.signals import ask_app_to_exit

    class App:
        codes: list[int] = []

        def exit(self, return_code: int = 0) -> None:
            self.codes.append(return_code)

    app = App()
    loop = asyncio.new_event_loop()
    try:
        loop.add_signal_handler(signal.SIGTERM, ask_app_to_exit, app, signal.SIGTERM, loop)
        ask_app_to_exit(app, signal.SIGTERM, loop)
        assert app.codes == [143]
        assert not loop.remove_signal_handler(signal.SIGTERM)  # already gone
    finally:
        loop.close()
