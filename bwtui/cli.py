"""Command-line entry point: the monitor by default, sub-commands for scripts.

Sub-command modules live in ``bwtui.commands`` and expose ``add_parser(subparsers)`` and
``run(args) -> int``. Only the module of the command being run is imported (its full parser
then registers itself); every other command is listed from :data:`SUBCOMMANDS` with its one-line
help, so ``bwtui --help`` imports no command at all and ``bwtui status`` none but status's.
Nothing here imports Textual unless the monitor itself is started.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bwtui import __version__
from bwtui.cli_options import (
    SPEED_MAX as DEMO_SPEED_MAX,
    SPEED_MIN as DEMO_SPEED_MIN,
    add_collector_option,
    add_config_option,
    speed_option,
)
from bwtui.exits import EXIT_INTERRUPTED
from bwtui.themes import THEMES

# Every sub-command and the help line `bwtui --help` shows for it: the same words as the
# module's own add_parser (tests/test_startup.py checks), kept here so listing them imports
# nothing.
SUBCOMMANDS: dict[str, str] = {
    "status": "print every resource's rate and period totals once (table, --json, --csv)",
    "check": "one monitoring-plugin line (Nagios/Icinga/Zabbix), exit 0/1/2/3",
    "export": "write the stored history as CSV or JSON",
    "report": "traffic per hour, day, month or billing period from the stored history",
    "image": "save the provider's own bandwidth graph (Hivelocity) as a PNG",
    "auth": "store, delete and check API tokens",
    "account": "add, remove and list accounts in the config file",
    "locate": "print which config file, state dir and token file are used",
    "simulate": "serve the simulated Hivelocity, Altostrat, Hetzner Cloud and Vultr APIs on loopback",
    "providers": "list the installed providers (built-in and plug-ins) and their versions",
    "serve": "run the collector: poll once for every viewer, serve /metrics and a feed",
    "web": "serve the monitor to browsers as a read-only wall screen (needs `bwtui serve`)",
}
# Top-level options that take a value (the value is never the sub-command's name).
_VALUED = ("--config", "--collector", "--demo-speed", "--demo-size", "--theme")


class _VersionAction(argparse.Action):
    """``--version``: bwtui's version and every installed provider's package version."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show bwtui's and the installed providers' versions and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from bwtui.commands.providers import version_text

        print(version_text(__version__))
        parser.exit()


def chosen_command(argv: Sequence[str]) -> str | None:
    """The sub-command ``argv`` runs (None: the monitor, or something argparse will reject)."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token in _VALUED:
            skip = True
        elif token == "--" or not token.startswith("-"):
            return token if token in SUBCOMMANDS else None
    return None


def build_parser(command: str | None = None, *, lazy: bool = False) -> argparse.ArgumentParser:
    """The argument parser with every sub-command's full parser; ``lazy``: only ``command``'s
    (None: none), the others as one-line entries (what ``main`` uses)."""
    parser = argparse.ArgumentParser(
        prog="bwtui",
        description="Terminal bandwidth monitor for Hivelocity servers and Altostrat VPN instances.",
        epilog="Run `bwtui --demo` to try it against the built-in simulated provider APIs.",
    )
    parser.add_argument("--version", action=_VersionAction)
    add_config_option(parser)
    add_collector_option(parser)
    parser.add_argument(
        "--demo", action="store_true", help="monitor the built-in simulated provider APIs"
    )
    parser.add_argument(
        "--demo-speed",
        type=speed_option("--demo-speed"),
        default=1.0,
        metavar="N",
        help=f"with --demo: run simulated time N times faster, {DEMO_SPEED_MIN:g} to "
        f"{DEMO_SPEED_MAX:g} (default 1: real time)",
    )
    parser.add_argument(
        "--demo-size",
        type=int,
        default=None,
        metavar="N",
        help="with --demo: number of simulated Hivelocity services (default 12)",
    )
    parser.add_argument(
        "--theme", choices=THEMES, default=None,
        help="colour theme: default (dark), light, or the terminal's own 16 colours on a dark "
             "(ansi) or light (ansi-light) background",
    )
    glyphs = parser.add_mutually_exclusive_group()
    glyphs.add_argument(
        "--ascii", action="store_true", default=None,
        help="draw with ASCII only (automatic on TERM=linux/vt100 or a non-UTF-8 locale)",
    )
    glyphs.add_argument(
        "--unicode", dest="ascii", action="store_false",
        help="draw with Unicode even where ASCII would be chosen automatically",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in SUBCOMMANDS.items():
        if not lazy or name == command:
            importlib.import_module(f"bwtui.commands.{name}").add_parser(subparsers)
        else:
            subparsers.add_parser(name, help=help_text)
    return parser


def _command_parser(parser: argparse.ArgumentParser, name: str | None) -> argparse.ArgumentParser | None:
    """The sub-command's own parser (None for the monitor, or an unknown name)."""
    for action in parser._actions:  # argparse keeps its sub-parsers on this action
        if isinstance(action, argparse._SubParsersAction) and name is not None:
            found = action.choices.get(name)
            return found if isinstance(found, argparse.ArgumentParser) else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the chosen command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(chosen_command(argv), lazy=True)
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the command's own parser: its usage, not the top level's
        command_parser = _command_parser(parser, getattr(args, "command", None)) or parser
        command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    func = getattr(args, "func", None)
    try:
        if func is None:
            from bwtui.commands.monitor import run as run_monitor

            return run_monitor(args)
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
