"""The default command: the full-screen monitor (``bwtui``, ``bwtui --demo``)."""

from __future__ import annotations

import argparse
import sys

from bwtui.commands.common import CommandError, fail, load_config_for

NOT_A_TERMINAL = (
    "bwtui: the monitor needs a terminal (stdout is not a TTY).\n"
    "For scripts and cron jobs use `bwtui status` (add --json or --csv)."
)


def run(args: argparse.Namespace) -> int:
    """Start the monitor on the configured accounts, the demo, or the first-run screen."""
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        print(NOT_A_TERMINAL, file=sys.stderr)
        return 2
    try:
        config = load_config_for(args)
    except CommandError as error:
        return fail(str(error))
    from bwtui.demo import start_demo

    theme = args.theme or config.theme
    ascii_mode = bool(args.ascii) if args.ascii is not None else config.ascii
    demo_size = args.demo_size or 12

    def demo_factory():  # noqa: ANN202 - returns DemoEnv
        return start_demo(speed=args.demo_speed, services=demo_size)

    from bwtui.ui.app import run_app

    if args.demo:
        demo = demo_factory()
        try:
            return run_app(demo.runtimes, theme=theme, ascii=ascii_mode, demo=True)
        finally:
            demo.stop()
    if not config.accounts:
        return run_app([], theme=theme, ascii=ascii_mode, demo_factory=demo_factory, first_run=True)
    from bwtui.runtime import build_runtimes

    return run_app(build_runtimes(config), theme=theme, ascii=ascii_mode)
