"""The options every level of the command line accepts (``--config``, ``--collector``).

Kept out of :mod:`bwtui.commands` (whose ``common`` loads the config code) so ``bwtui --help``
can offer them without importing any command.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

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


SPEED_MIN, SPEED_MAX = 0.1, 3600.0


def speed_option(option: str) -> Callable[[str], float]:
    """An argparse ``type`` for a simulated-time speed-up (``--demo-speed``, ``simulate
    --speed``): a finite number from 0.1 to 3600, else a usage error (exit 2) naming the range."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and SPEED_MIN <= value <= SPEED_MAX):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a speed: give a number from {SPEED_MIN:g} "
                f"(slower than real time) to {SPEED_MAX:g} (an hour a second); 1 is real time"
            )
        return value

    parse.__name__ = option  # argparse names the option's type in some messages
    return parse
