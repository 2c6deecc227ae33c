"""Helpers shared by sub-commands: config loading with friendly errors, account runtimes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bwtui.config import Config

EXIT_OK = 0
EXIT_FAILURES = 3
EXIT_USAGE = 2


class CommandError(Exception):
    """A usage or config problem: printed as one line on stderr, exit code 2."""


class ConfigProblem(CommandError):
    """The config file could not be used (its message names the file, line and fix)."""


def load_config_for(args: argparse.Namespace) -> Config:
    """Load the config named by ``--config`` (or found by discovery); raise CommandError."""
    from bwtui.config import ConfigError, load_config

    path = Path(args.config).expanduser() if getattr(args, "config", None) else None
    try:
        return load_config(path)
    except ConfigError as error:
        raise ConfigProblem(str(error)) from None


def fail(message: str) -> int:
    """Print a usage/config error and return exit code 2."""
    print(f"bwtui: {message}", file=sys.stderr)
    return EXIT_USAGE


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="config file (default: $BWTUI_CONFIG, else the user config dir's bwtui/config.toml)",
    )
