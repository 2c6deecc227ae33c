"""``bwtui serve``: the collector. One per host; polls every account once for everybody.

It runs the monitor's poller headless (same request budgets, thresholds, billing and history)
and serves ``/metrics`` for Prometheus, ``/healthz`` and ``/readyz``, and a read-only feed that
``bwtui``, ``status``, ``check``, ``export`` and ``bwtui web`` attach to. See
:mod:`bwtui.collector`.
"""

from __future__ import annotations

import argparse

from bwtui.cli_options import add_config_option
from bwtui.commands.common import fail, load_config_for
from bwtui.exits import ADD_ACCOUNT_FIX, UsageError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the collector: poll once for every viewer, serve /metrics and a feed",
        description=(
            "Poll every configured account (headless, same budgets, thresholds, billing and "
            "history as the monitor) and serve /metrics (Prometheus), /healthz, /readyz and a "
            "read-only feed that bwtui, status, check, export and web attach to. Loopback only "
            "unless --allow-remote (which needs a token). SIGTERM/SIGINT stop it cleanly."
        ),
    )
    parser.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:9848",
                        help="address to serve on (default 127.0.0.1:9848)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a non-loopback --listen address (a token is then required)")
    parser.add_argument("--token-file", metavar="PATH",
                        help="bearer token for every endpoint but /healthz (default: "
                             "$BWTUI_COLLECTOR_TOKEN; required with --allow-remote)")
    parser.add_argument("--history", metavar="PATH",
                        help="history database (default: the state dir's bwtui/history.sqlite3)")
    parser.add_argument("--no-history", action="store_true", help="keep no history on disk")
    parser.add_argument("--no-discovery", action="store_true",
                        help="write no discovery file (viewers then need collector = URL)")
    parser.add_argument("--demo", action="store_true",
                        help="collect from the built-in simulated provider APIs")
    add_config_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bwtui.collector.access import access_for, parse_listen, read_token
    from bwtui.collector.service import (
        ServeOptions,
        configure_logging,
        demo_accounts,
        load_systemd_credentials,
        serve,
    )
    from bwtui.config import Config

    history_path: Path | None
    try:
        listen = parse_listen(args.listen)
        access = access_for(listen, allow_remote=args.allow_remote, token=read_token(args.token_file))
        if args.demo:
            from bwtui.paths import demo_history_file

            accounts, _demo = demo_accounts()  # the simulator serves until this process ends
            config = Config(path=None, accounts=accounts)
            history_path = Path(args.history).expanduser() if args.history else demo_history_file()
        else:
            config = load_config_for(args)
            history_path = Path(args.history).expanduser() if args.history else None
            if not config.accounts:
                where = config.path or "the config file"
                raise UsageError(f"no accounts configured in {where}. Fix: add one with "
                                 f"{ADD_ACCOUNT_FIX}, or try --demo")
    except UsageError as error:
        return fail(str(error))
    configure_logging()
    load_systemd_credentials()
    options = ServeOptions(listen=listen, access=access, history_path=history_path,
                           history=not args.no_history, discovery=not args.no_discovery)
    return serve(config, options)
