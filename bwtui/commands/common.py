"""What every sub-command shares: the one ``--config`` option, config loading with friendly
errors, and printing (an error line, a plain table).

Exit codes, :class:`~bwtui.exits.UsageError` and the not-a-terminal message live in
:mod:`bwtui.exits`, below the command line, so the monitor and ``oneshot`` use them without
importing anything from ``bwtui.commands``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

# The shared options live in their own light module (so `bwtui --help` needs no config code);
# commands keep importing them from here.
from bwtui.options import add_collector_option, add_config_option
from bwtui.config import AccountConfig, Config, ConfigError
from bwtui.exits import EXIT_USAGE, ConfigProblem

if TYPE_CHECKING:
    from bwtui.oneshot import OneShot


def collector_arg(args: argparse.Namespace) -> str | None:
    """The ``--collector`` value (None: not given)."""
    value = getattr(args, "collector", None)
    return str(value) if value else None


def config_arg(args: argparse.Namespace) -> str | None:
    """The ``--config`` value from whichever parser level it was given at (None: not given)."""
    value = getattr(args, "config", None)
    return str(value) if value else None


def load_config_for(args: argparse.Namespace) -> Config:
    """Load the config named by ``--config`` (or found by discovery); raise ConfigProblem."""
    from bwtui.config import load_config

    value = config_arg(args)
    path = Path(value).expanduser() if value else None
    try:
        return load_config(path)
    except ConfigError as error:
        raise ConfigProblem(str(error)) from None


def error(message: str) -> None:
    """One error line on stderr."""
    print(f"bwtui: {message}", file=sys.stderr)


def fail(message: str) -> int:
    """Print a usage/config error and return exit code 2."""
    error(message)
    return EXIT_USAGE


def table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    )


def find_account(config: Config, name: str, config_path: Path) -> AccountConfig:
    """The named account, or a ConfigError that says how to add it."""
    for account in config.accounts:
        if account.name == name:
            return account
    known = ", ".join(a.name for a in config.accounts) or "none yet"
    raise ConfigError.at(
        config_path, None, f"no account named {name!r} in the config (accounts: {known})",
        f"add it first: bwtui account add {name} --provider hivelocity|altostrat",
    )


def poll_for(
    args: argparse.Namespace, *, only_account: str | None = None, when_short: str = "cached"
) -> OneShot:
    """One poll of the demo (``--demo``) or of the config's accounts; raises UsageError.

    ``when_short``: what to do when the host's shared request budget cannot pay for the whole
    poll: ``"cached"`` (serve history for the rest) or ``"unknown"`` (spend nothing).
    """
    from bwtui.oneshot import poll_demo_once, poll_once

    if getattr(args, "demo", False):
        return poll_demo_once(only_account=only_account, when_short=when_short)
    config = load_config_for(args)
    from bwtui.collector.viewer import oneshot_via_collector

    shot = oneshot_via_collector(config, option=collector_arg(args), only_account=only_account)
    return shot if shot is not None else poll_once(config, only_account=only_account, when_short=when_short)
