"""The default command: the full-screen monitor (``bwtui``, ``bwtui --demo``)."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from typing import TYPE_CHECKING, Any

from bwtui.commands.common import collector_arg, config_arg, fail, load_config_for
from bwtui.exits import EXIT_USAGE, NOT_A_TERMINAL, UsageError

if TYPE_CHECKING:
    from pathlib import Path

    from bwtui.collector.discovery import CollectorRef
    from bwtui.config import Config
    from bwtui.history import HistoryStore


def _open_history(demo: bool) -> tuple[HistoryStore | None, str | None]:
    """The history store (demo or real), or ``(None, problem)`` to run without it."""
    from bwtui.history import open_history
    from bwtui.paths import demo_history_file

    return open_history(demo_history_file() if demo else None)


def _run_attached(collector: CollectorRef, config: Config, *, config_path: Path,
                  look: dict[str, Any]) -> int:
    """The monitor as a viewer of a collector (polling directly only while it is gone).

    The collector keeps the history, so this process opens none."""
    from bwtui.clock import RealClock
    from bwtui.collector.client import collector_token
    from bwtui.collector.fallback import FallbackSource
    from bwtui.runtime import build_runtimes
    from bwtui.ui.run import run_app

    runtimes = build_runtimes(config)
    source = FallbackSource(collector, runtimes, clock=RealClock(), token=collector_token())
    return run_app(runtimes, config_path=config_path, source=source, **look)


def run(args: argparse.Namespace) -> int:
    """Start the monitor on the configured accounts, the demo, or the first-run screen.

    The garbage collector is off until the app starts (``run_app`` freezes what exists then and
    turns it back on): importing the UI, reading the config and starting the demo create
    hundreds of thousands of objects that live as long as the app, and collections during
    start-up would only walk them again and again (tens of milliseconds before the first frame).
    """
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        print(NOT_A_TERMINAL, file=sys.stderr)
        return EXIT_USAGE
    gc.disable()
    try:
        return _start(args)
    finally:
        gc.enable()


def _start(args: argparse.Namespace) -> int:
    try:
        config = load_config_for(args)
    except UsageError as error:
        return fail(str(error))
    from bwtui.demo import DemoEnv, start_demo
    from bwtui.prefs import PrefsKeeper, load_prefs, prefs_file
    from bwtui.session.early import start_core
    from bwtui.terminal import ascii_choice, detect

    terminal = detect(os.environ, ascii_choice(args.ascii, config.ascii))
    prefs = PrefsKeeper(load_prefs(), prefs_file(), config_theme=config.theme)
    # How the monitor looks and reacts: the theme (--theme, else the one last chosen in the
    # monitor, else the config's), ASCII or not, the terminal's colours, the [keys] remapping.
    look: dict[str, Any] = {"theme": args.theme or prefs.prefs.theme_for(config.theme),
                            "ascii": terminal.ascii_only, "colors": terminal.colors,
                            "keymap": config.keys, "prefs": prefs}
    demo_size = args.demo_size or 12

    def demo_factory() -> DemoEnv:
        return start_demo(speed=args.demo_speed, services=demo_size, separate_process=True)

    if args.demo:
        demo = demo_factory()
        history, problem = _open_history(demo=True)
        try:
            core = start_core(demo.runtimes, history=history)  # polling, while the UI imports
            from bwtui.ui.run import run_app

            return run_app(demo.runtimes, demo=True, demo_env=demo, history=history,
                           history_problem=problem, session=core.session, source=core.source,
                           **look)
        finally:
            demo.stop()
            if history is not None:
                history.close()
    from bwtui.paths import locate_config
    from bwtui.runtime import build_runtimes

    config_path = locate_config(config_arg(args)).path
    from bwtui.collector.viewer import choose_collector

    try:
        collector = choose_collector(config, collector_arg(args))
    except UsageError as error:
        return fail(str(error))
    if collector is not None:
        return _run_attached(collector, config, config_path=config_path, look=look)
    # On the first-run screen an account added with `a` keeps its history; if the user starts
    # the demo there instead, the app drops the store so simulated data never lands in it.
    first_run = not config.accounts
    history, problem = _open_history(demo=False)
    try:
        runtimes = build_runtimes(config)
        core = start_core(runtimes, history=history) if not first_run else None
        from bwtui.ui.run import run_app

        return run_app(runtimes, history=history, history_problem=problem,
                       config_path=config_path, first_run=first_run,
                       demo_factory=demo_factory if first_run else None,
                       session=core.session if core else None,
                       source=core.source if core else None, **look)
    finally:
        if history is not None:
            history.close()
