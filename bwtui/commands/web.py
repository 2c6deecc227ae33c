"""``bwtui web``: the monitor in a browser, read-only, attached to a collector.

Every browser tab runs its own kiosk monitor that reads the collector's feed; no tab ever
polls a provider, so a wall of them costs no API request. Loopback by default; another address
needs ``--allow-remote`` and a token (as for ``bwtui serve``).
"""

from __future__ import annotations

import argparse

from bwtui.commands.common import collector_arg, fail
from bwtui.options import add_collector_option, add_config_option

DEFAULT_LISTEN = "127.0.0.1:9849"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "web",
        help="serve the monitor to browsers as a read-only wall screen (needs `bwtui serve`)",
        description=(
            "Serve the monitor to web browsers (textual-serve), read-only: no account can be "
            "added and nothing is written. Every tab attaches to the collector (`bwtui serve`), "
            "so tabs cost no provider requests. Loopback only unless --allow-remote (which "
            "needs a token: open /?token=... once in the browser)."
        ),
    )
    parser.add_argument("--listen", metavar="HOST:PORT", default=DEFAULT_LISTEN,
                        help=f"address to serve on (default {DEFAULT_LISTEN})")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a non-loopback --listen address (a token is then required)")
    parser.add_argument("--token-file", metavar="PATH",
                        help="token browsers must give (default: $BWTUI_WEB_TOKEN)")
    parser.add_argument("--public-url", metavar="URL",
                        help="the URL browsers use, when behind a proxy (default: as requested)")
    parser.add_argument("--kiosk-app", action="store_true", help=argparse.SUPPRESS)
    add_config_option(parser)
    add_collector_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os
    import shlex
    import sys

    from bwtui.collector.access import access_for, parse_listen, read_token
    from bwtui.collector.discovery import find_collector
    from bwtui.commands.common import load_config_for
    from bwtui.config import Config
    from bwtui.exits import UsageError

    try:
        try:
            config = load_config_for(args)
        except UsageError:
            if args.kiosk_app:
                raise
            config = Config(path=None)
        ref = find_collector(option=collector_arg(args), configured=config.collector)
        if ref is None:
            raise UsageError("no collector to attach to: a wall screen never polls the providers "
                             "itself. Fix: start `bwtui serve` on this host, or pass --collector URL")
        if args.kiosk_app:
            from bwtui.web.kiosk import run_kiosk

            return run_kiosk(ref, theme=config.theme, ascii_mode=config.ascii)
        listen = parse_listen(args.listen, default_port=9849)
        token = read_token(args.token_file, env_var="BWTUI_WEB_TOKEN")
        access = access_for(listen, allow_remote=args.allow_remote, token=token, what="wall screen",
                            env_var="BWTUI_WEB_TOKEN")
    except UsageError as error:
        return fail(str(error))
    from bwtui.web.kiosk import KIOSK_FLAG
    from bwtui.web.server import WallScreenServer

    for name in [key for key in os.environ if key.startswith("BWTUI_TOKEN_")]:
        del os.environ[name]  # tabs never poll: they never see a provider token
    command = shlex.join([sys.executable, "-m", "bwtui", "web", KIOSK_FLAG, "--collector", ref.url])
    server = WallScreenServer(command, host=listen.host, port=listen.port, access=access,
                              title="bwtui", public_url=args.public_url)
    server.serve()
    return 0
