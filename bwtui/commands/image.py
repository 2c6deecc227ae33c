"""``bwtui image RESOURCE -o FILE.png``: save the provider's own bandwidth graph, for a ticket.

Hivelocity renders a PNG of a service's traffic for a period (day, week, month, or a custom
window) and an interface. The request counts against the account's hourly budget like any
other: the command says what it spent and what the provider reports as left. ``RESOURCE`` is a
service id (no extra request) or a name (one listing request to find it). Exit 0 on success,
2 on a usage or config error, 3 when the provider or the file failed. Never imports Textual.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from bwtui.commands.common import add_config_option, fail, load_config_for
from bwtui.exits import EXIT_FAILED, EXIT_OK, UsageError

PERIODS = ("day", "week", "month", "custom")
INTERFACES = ("public", "private", "all", "eth0", "eth1")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "image",
        help="save the provider's own bandwidth graph (Hivelocity) as a PNG",
        description=(
            "Fetch the provider's own bandwidth image of a resource and write it to a PNG file. "
            "One request from the account's budget (two when RESOURCE is a name). Exit 0 on "
            "success, 2 on a usage or config error, 3 when the provider or the file failed."
        ),
    )
    parser.add_argument("resource", metavar="RESOURCE", help="service id or name")
    parser.add_argument("-o", "--output", metavar="FILE.png", required=True, help="where to write the PNG")
    parser.add_argument("--period", choices=PERIODS, default="day",
                        help="day, week, month (rolling, ending now) or custom (with --window)")
    parser.add_argument("--window", metavar="A..B",
                        help="with --period custom: '2026-01-15 03:00..2026-01-15 04:00' (UTC), or 6h..now "
                             "(write --window=-6h..now with the minus)")
    parser.add_argument("--interface", choices=INTERFACES, help="default: the account's interface")
    parser.add_argument("--account", metavar="NAME", help="the account (needed when several could have it)")
    parser.add_argument("--demo", action="store_true", help="the built-in simulated provider APIs")
    add_config_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Fetch and write the image; see the module docstring for exit codes."""
    try:
        start, end = _window(args)
    except ValueError as error:
        return fail(str(error))
    if not args.output.lower().endswith(".png"):
        return fail(f"--output {args.output!r}: the provider sends a PNG; name the file FILE.png")
    try:
        if args.demo:
            from bwtui.demo import start_demo

            with start_demo(hetzner_servers=0, vultr_instances=0) as demo:
                return _fetch_and_write(args, list(demo.runtimes), start, end, close=True)
        config = load_config_for(args)
        from bwtui.runtime import build_runtime

        accounts = _candidates(config.accounts, args.account)
        return _fetch_and_write(args, [build_runtime(a) for a in accounts], start, end, close=True)
    except UsageError as error:
        return fail(str(error))


def _window(args: argparse.Namespace) -> tuple[float | None, float | None]:
    if args.period != "custom":
        if args.window:
            raise ValueError("--window goes with --period custom")
        return None, None
    if not args.window:
        raise ValueError("--period custom needs --window, e.g. --window '-6h..now'")
    from bwtui.charts.window import parse_window

    now = time.time()
    return parse_window(args.window, now).bounds(now)


def _candidates(accounts, name):  # noqa: ANN001, ANN202
    from bwtui.images import has_image

    chosen = [a for a in accounts if (name is None or a.name == name)]
    if name is not None and not chosen:
        known = ", ".join(a.name for a in accounts) or "none"
        raise UsageError(f"no account named {name!r} in the config (known: {known})")
    with_image = [a for a in chosen if has_image(a.provider)]
    if not with_image:
        raise UsageError("no account whose provider has a graph image (Hivelocity) "
                         + (f"named {name!r}" if name else "in the config"))
    return with_image


def _fetch_and_write(args, runtimes, start, end, *, close: bool) -> int:  # noqa: ANN001
    from bwtui.images import has_image

    runtimes = [r for r in runtimes if has_image(r.config.provider)
                and (args.account is None or r.name == args.account)]
    if not runtimes:
        return fail(f"no account named {args.account!r} with a graph image")
    try:
        picture, spent, runtime = asyncio.run(_fetch(args, runtimes, start, end, close=close))
    except LookupError as error:
        print(f"bwtui: {error}", file=sys.stderr)
        return EXIT_FAILED
    except _Failed as error:
        print(f"bwtui: {error}", file=sys.stderr)
        return EXIT_FAILED
    path = Path(args.output).expanduser()
    try:
        path.write_bytes(picture)
    except OSError as error:
        print(f"bwtui: cannot write {path}: {error.strerror}", file=sys.stderr)
        return EXIT_FAILED
    left = _left(runtime)
    print(f"wrote {path} ({len(picture):,} bytes, {args.period}"
          f"{'' if args.interface is None else ', ' + args.interface}) · {spent} "
          f"request{'s' if spent != 1 else ''} to {runtime.name}{left}", file=sys.stderr)
    return EXIT_OK


class _Failed(Exception):
    """A provider error, as a message for the user."""


async def _fetch(args, runtimes, start, end, *, close: bool):  # noqa: ANN001, ANN202
    from bwtui.model import ProviderError, Resource

    spent = 0
    try:
        for runtime in runtimes:
            client = runtime.client
            if client is None:
                if len(runtimes) == 1:
                    raise _Failed(f"account {runtime.name}: {runtime.credential_error}")
                continue
            try:
                if args.resource.isdigit() and len(runtimes) == 1:
                    resource = Resource(runtime.name, runtime.config.provider, "service", args.resource, args.resource)
                else:
                    spent += 1
                    listed = await client.list_resources()
                    resource = next((r for r in listed if args.resource in (r.id, r.name)), None)
                    if resource is None:
                        continue
                spent += 1
                period = args.period
                picture = await client.fetch_image(resource, period, interface=args.interface, start=start, end=end)
                return picture, spent, runtime
            except ProviderError as error:
                raise _Failed(f"{runtime.name}: {error.kind.value}: {error.message}") from None
        names = ", ".join(r.name for r in runtimes)
        raise LookupError(f"no resource {args.resource!r} in {names} (give its service id or exact name)")
    finally:
        if close:
            from bwtui.runtime import close_runtimes

            await close_runtimes(runtimes)


def _left(runtime) -> str:  # noqa: ANN001
    limit = getattr(runtime.client, "rate_limit", None) if runtime.client is not None else None
    if limit is None or limit.remaining is None:
        return ""
    of = f" of {limit.limit:,}" if limit.limit is not None else ""
    return f" ({limit.remaining:,}{of} left this hour)"
