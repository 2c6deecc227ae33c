"""``bwtui report``: traffic per hour, day, month or billing period, from the stored history.

vnstat-style tables, one per resource: in and out bytes, peak rates, how much of each row the
data covers and at what resolution, and the overage cost each row added (from the config's
allowance and price, as the monitor computes them). ``--periods`` rows also have the period's
95th percentile of 5-minute points and how many points it rests on. Nothing is polled: the
figures are what the monitor and ``status`` stored. Exit 0 on success, 2 on a usage or config
error, 3 when the history cannot be read. Never imports Textual.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path

from bwtui.commands.common import add_config_option, fail, load_config_for
from bwtui.exits import EXIT_FAILED, EXIT_OK, UsageError

CSV_COLUMNS = (
    "account", "id", "kind", "label", "start", "end", "in_bytes", "out_bytes", "peak_in_bps",
    "peak_out_bps", "peak_out_at", "coverage", "resolution", "overage_cost_usd", "p95_out_bps",
    "p95_points", "p95_expected_points", "intervals_above_commit", "ongoing",
)
HEADINGS = {"hourly": "hour (UTC)", "daily": "day (UTC)", "monthly": "month (UTC)",
            "periods": "billing period"}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="traffic per hour, day, month or billing period from the stored history",
        description=(
            "Print vnstat-style tables of the stored history: in/out totals, peak rates, "
            "coverage, resolution and overage cost per row (billing periods also show the 95th "
            "percentile). Exit 0 on success, 2 on a usage or config error, 3 when the history "
            "cannot be read."
        ),
    )
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--hourly", dest="kind", action="store_const", const="hourly",
                      help="one row an hour (the last 48)")
    kind.add_argument("--daily", dest="kind", action="store_const", const="daily",
                      help="one row a day (the last 31; the default)")
    kind.add_argument("--monthly", dest="kind", action="store_const", const="monthly",
                      help="one row a calendar month (the last 12)")
    kind.add_argument("--periods", dest="kind", action="store_const", const="periods",
                      help="one row a billing period, the current one and the 5 before it")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON object")
    output.add_argument("--csv", action="store_true", help="CSV with a header row")
    parser.add_argument("--account", metavar="NAME", help="only this account")
    parser.add_argument("--resource", metavar="ID", help="only this resource id")
    parser.add_argument("--rows", type=int, metavar="N", help="how many rows per table")
    parser.add_argument("--history", metavar="PATH",
                        help="history database (default: the user state dir's bwtui/history.sqlite3)")
    parser.add_argument("--demo", action="store_true", help="the demo's history (bwtui --demo)")
    add_config_option(parser)
    parser.set_defaults(func=run, kind="daily")


def run(args: argparse.Namespace, *, now: float | None = None) -> int:
    """Build every table and print it; see the module docstring for exit codes."""
    from bwtui.history import HistoryUnavailable

    now = time.time() if now is None else now
    if args.rows is not None and not 1 <= args.rows <= 1000:
        return fail("--rows takes a whole number from 1 to 1000")
    try:
        accounts = _accounts(args)
    except UsageError as error:
        return fail(str(error))
    path = _history_path(args)
    if not path.exists():
        print(f"bwtui: no history yet at {path}: run `bwtui` (or `bwtui status` from cron) to "
              "collect it", file=sys.stderr)
        return EXIT_FAILED
    from bwtui.history import open_history

    store, problem = open_history(path, auto_compact=False)
    if store is None:
        print(f"bwtui: {problem}", file=sys.stderr)
        return EXIT_FAILED
    try:
        tables = _tables(store, accounts, args, now)
    except HistoryUnavailable as error:
        print(f"bwtui: {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.close()
    if not tables and (args.account or args.resource):
        what = " ".join(x for x in (args.account and f"account {args.account!r}",
                                    args.resource and f"resource {args.resource!r}") if x)
        print(f"bwtui: no stored history for {what} in {path}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        text = json.dumps({"generated_at": _iso(now), "kind": args.kind,
                           "tables": [t.as_json() for t in tables]}, indent=2, allow_nan=False)
    elif args.csv:
        text = render_csv(tables)
    else:
        text = "\n\n".join(render_table(t) for t in tables) or "(no stored history)"
    sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
    return EXIT_OK


def _accounts(args: argparse.Namespace) -> dict[str, object]:
    """The configured accounts by name (the demo's with ``--demo``)."""
    from bwtui.config import AccountConfig

    if args.demo:
        from bwtui import demo

        return {name: AccountConfig(name=name, provider=provider) for name, provider in (
            (demo.DEMO_HIVELOCITY_ACCOUNT, "hivelocity"), (demo.DEMO_ALTOSTRAT_ACCOUNT, "altostrat"),
            (demo.DEMO_HETZNER_ACCOUNT, "hetzner"), (demo.DEMO_VULTR_ACCOUNT, "vultr"))}
    config = load_config_for(args)
    accounts = {a.name: a for a in config.accounts}
    if args.account and args.account not in accounts:
        known = ", ".join(accounts) or "none"
        raise UsageError(f"no account named {args.account!r} in the config (known: {known})")
    return accounts  # type: ignore[return-value]


def _history_path(args: argparse.Namespace) -> Path:
    from bwtui.history import default_history_path
    from bwtui.paths import demo_history_file

    if args.history:
        return Path(args.history).expanduser()
    return demo_history_file() if args.demo else default_history_path()


def _tables(store, accounts, args, now):  # noqa: ANN001, ANN202 - plain plumbing
    from bwtui.model import Resource
    from bwtui.reports import resource_table

    tables = []
    for account_name, resource_id in store.keys():
        if args.account and account_name != args.account:
            continue
        if args.resource and resource_id != args.resource:
            continue
        account = accounts.get(account_name)
        if account is None:
            continue  # history of an account no longer in the config
        resource = Resource(account_name, account.provider, "resource", resource_id,
                            f"{account_name}/{resource_id}")
        table = resource_table(args.kind, resource, account, now=now, history=store, count=args.rows)
        table.notes.insert(0, f"{account.provider}: totals are rate × time from the stored points")
        if table.rows:
            tables.append(table)
    return tables


def render_table(table) -> str:  # noqa: ANN001 - a bwtui.reports.Table
    """An aligned table for people, newest row first, with the sum and the notes."""
    from bwtui.units import format_rate, format_usd, format_volume

    periods = table.kind == "periods"
    header = [HEADINGS[table.kind], "IN", "OUT", "PEAK OUT", "COVER", "RES", "OVERAGE"]
    if periods:
        header += ["P95 OUT", "P95 POINTS"]
    rows = []
    for row in [*table.rows, table.total]:
        if row is None:
            continue
        cells = [
            row.label + (" *" if row.ongoing else ""),
            format_volume(row.in_bytes),
            format_volume(row.out_bytes),
            format_rate(row.peak_out_bps),
            f"{row.coverage * 100:.0f}%" if row.label != "total" else "",
            row.resolution,
            format_usd(row.cost_usd),
        ]
        if periods:
            cells += [format_rate(row.p95_out_bps),
                      "" if row.p95_points is None else f"{row.p95_points:,}/{row.p95_expected_points:,}"]
        rows.append(cells)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [f"{table.name}"]
    for index, cells in enumerate([header, *rows]):
        if index == len(rows):  # the total line: a rule above it
            lines.append("  ".join("-" * w for w in widths))
        lines.append("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i])
                               for i, c in enumerate(cells)).rstrip())
    if any(row.ongoing for row in table.rows):
        lines.append("* so far (the row is not over yet)")
    lines.extend(f"note: {note}" for note in table.notes)
    return "\n".join(lines)


def render_csv(tables) -> str:  # noqa: ANN001 - bwtui.reports.Table items
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for table in tables:
        for row in table.rows:
            record = row.as_json()
            record.update(account=table.key[0], id=table.key[1], kind=table.kind)
            writer.writerow(["" if record.get(c) is None else record[c] for c in CSV_COLUMNS])
    return out.getvalue()


def _iso(t: float) -> str:
    from bwtui.periods import iso_utc

    return str(iso_utc(t))
