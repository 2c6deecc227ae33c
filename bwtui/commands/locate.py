"""``bwtui locate [config|state|data|tokens]``: where bwtui's files live."""

from __future__ import annotations

import argparse
import os
import stat

from bwtui import paths
from bwtui.commands.common import add_config_option, config_arg
from bwtui.exits import EXIT_OK

_WHAT = ("config", "state", "data", "tokens")


def _exists(path: os.PathLike[str]) -> str:
    return "exists" if os.path.exists(path) else "not created yet"


def _token_note(path: os.PathLike[str]) -> str:
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return "not created; only used after `bwtui auth set NAME --insecure-file`"
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    warning = "" if not mode & 0o077 else "; TOO OPEN, refused: chmod 600 it"
    return f"exists, mode {mode:04o}{warning}"


def run(args: argparse.Namespace) -> int:
    """Print the paths (one bare path when a single one is asked for, for scripts)."""
    location = paths.locate_config(config_arg(args))
    found = {
        "config": location.path,
        "state": paths.state_dir(),
        "data": paths.data_dir(),
        "tokens": paths.token_file(),
    }
    if args.what:
        print(found[args.what])
        return EXIT_OK
    print(f"config file: {location.path} ({location.source}; {_exists(location.path)})")
    print(f"state dir:   {found['state']} (history; {_exists(found['state'])})")
    print(f"data dir:    {found['data']} ({_exists(found['data'])})")
    print(f"token file:  {found['tokens']} ({_token_note(found['tokens'])})")
    return EXIT_OK


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``locate``."""
    parser = subparsers.add_parser("locate", help="print which config file, state dir and token file are used")
    parser.add_argument("what", nargs="?", choices=_WHAT, help="print only this path")
    add_config_option(parser)
    parser.set_defaults(func=run)
