"""The options every level of the command line accepts (``--config``, ``--collector``).

Kept apart from :mod:`bwtui.commands.common` (which loads the config code), and outside the
commands package, so ``bwtui --help`` can offer them without importing any command.
"""

from __future__ import annotations

import argparse

CONFIG_HELP = "config file (default: $BWTUI_CONFIG, else the user config dir's bwtui/config.toml)"
COLLECTOR_HELP = ("attach to this collector (`bwtui serve`'s URL), or 'off' to poll directly "
                  "(default: the config's collector, else one found on this host)")


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """``--config PATH`` on ``parser``; given at any level (``bwtui --config X auth status`` or
    ``bwtui auth status --config X``), it is read back with
    :func:`bwtui.commands.common.config_arg`."""
    parser.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help=CONFIG_HELP)


def add_collector_option(parser: argparse.ArgumentParser) -> None:
    """``--collector URL|off`` on ``parser`` (any level, like ``--config``)."""
    parser.add_argument("--collector", metavar="URL", default=argparse.SUPPRESS, help=COLLECTOR_HELP)
