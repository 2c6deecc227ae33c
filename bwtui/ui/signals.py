"""SIGTERM and SIGHUP end the monitor the way ``q`` does, with the conventional exit code.

systemd, tmux, ``timeout`` and ``kill`` send SIGTERM; an SSH connection that drops sends SIGHUP.
Their default action kills the process on the spot: the terminal stays in the alternate screen,
in raw mode, with the cursor hidden and mouse reporting on, and the last history write is lost.
:func:`run_with_exit_signals` runs the app on a loop whose handlers for these signals ask the app
to exit instead, so Textual restores the terminal, the app flushes history on unmount, and the
caller closes the store; the exit code is 128 + the signal number (143, 129). A second signal of
the same kind while shutting down gets the default action, so a stuck exit can still be ended.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from typing import Any

EXIT_SIGNALS: tuple[signal.Signals, ...] = tuple(
    sig for sig in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if sig
)


def exit_code_for(sig: int) -> int:
    """The shell's convention for a process ended by a signal: 128 + its number."""
    return 128 + int(sig)


def ask_app_to_exit(app: Any, sig: int, loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Exit ``app`` cleanly with ``128 + sig``; the next such signal is left to its default."""
    if loop is not None:
        loop.remove_signal_handler(sig)
    app.exit(return_code=exit_code_for(sig))


def run_with_exit_signals(app: Any, signals: Sequence[int] = EXIT_SIGNALS) -> Any:
    """``app.run()`` on a loop that turns ``signals`` into a clean exit; returns its result."""
    with asyncio.Runner() as runner:
        loop = runner.get_loop()
        installed = []
        for sig in signals:
            try:
                loop.add_signal_handler(sig, ask_app_to_exit, app, sig, loop)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, Windows
                continue
            installed.append(sig)
        try:
            return app.run(loop=loop)
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
