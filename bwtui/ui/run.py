"""Run the monitor on a real terminal: refuse without one, exit cleanly on SIGTERM/SIGHUP."""

from __future__ import annotations

import gc
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from bwtui.clock import Clock
from bwtui.exits import EXIT_USAGE, NOT_A_TERMINAL
from bwtui.history import HistoryStore
from bwtui.prefs import PrefsKeeper
from bwtui.runtime import AccountRuntime
from bwtui.session.core import MonitorSession
from bwtui.session.source import MonitorSource
from bwtui.terminal import ColorDepth
from bwtui.ui.app import BwtuiApp

if TYPE_CHECKING:
    from bwtui.demo import DemoEnv
    from bwtui.ui.first_run import DemoFactory


def run_app(
    runtimes: list[AccountRuntime],
    *,
    theme: str = "default",
    ascii: bool = False,
    colors: ColorDepth = "truecolor",
    keymap: Mapping[str, str] | None = None,
    prefs: PrefsKeeper | None = None,
    demo_factory: DemoFactory | None = None,
    first_run: bool = False,
    clock: Clock | None = None,
    history: HistoryStore | None = None,
    demo: bool = False,
    demo_env: DemoEnv | None = None,
    config_path: Path | None = None,
    history_problem: str | None = None,
    source: MonitorSource | None = None,
    session: MonitorSession | None = None,
) -> int:
    """Run the monitor until the user quits; returns the exit code.

    ``history`` is an open HistoryStore (or None); ``history_problem`` is shown once when the
    store could not be opened. The caller owns (and closes) the store. ``source``: where the
    data comes from (default: poll ``runtimes`` from this process); ``session``: one started with
    ``source`` before the app (:func:`bwtui.session.early.start_core`).
    ``demo_env``: the demo being shown (the app says so if its simulator process ends; stopped
    when the app ends).
    """
    if not sys.stdout.isatty():
        print(NOT_A_TERMINAL, file=sys.stderr)
        return EXIT_USAGE
    app = BwtuiApp(runtimes, theme=theme, ascii=ascii, colors=colors, keymap=keymap, prefs=prefs,
                   demo_factory=demo_factory,
                   first_run=first_run, clock=clock, history=history, demo=demo, demo_env=demo_env,
                   config_path=config_path, history_problem=history_problem, source=source,
                   session=session)
    from bwtui.ui.signals import run_with_exit_signals

    gc.freeze()  # what exists now lives as long as the app: collections need never walk it
    gc.enable()  # (the monitor command turns collection off while it starts up)

    try:
        result = run_with_exit_signals(app)  # SIGTERM/SIGHUP: a clean exit, 143/129
    finally:
        if app.demo_env is not None:
            app.demo_env.stop()
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code)
