"""``bwtui export --csv|--json``: stored history (rate samples, totals readings) for spreadsheets.

One table either way, one record per row: ``record`` is ``sample`` (rates in bits/s, with the
retention ``tier``: raw, hour or day averages) or ``reading`` (billing-period totals in bytes).
Times are ISO-8601 UTC (``time``) and epoch seconds (``t``). ``--since`` takes a date
(``2026-11-01``, midnight UTC), an ISO date-time, or an age (``90m``, ``12h``, ``7d``, ``2w``).
Exit 0 on success (an absent history file exports nothing), 2 on a usage error, 3 when the
history cannot be read.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bwtui.commands.common import add_collector_option, add_config_option, collector_arg, fail
from bwtui.exits import EXIT_FAILED, EXIT_OK
from bwtui.history import ExportRow, HistoryUnavailable
from bwtui.periods import iso_utc

CSV_COLUMNS = (
    "account",
    "resource_id",
    "record",
    "tier",
    "time",
    "t",
    "in_bps",
    "out_bps",
    "in_bytes",
    "out_bytes",
)
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_AGE_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: float) -> float:
    """Epoch seconds for ``--since``: a date, an ISO date-time (UTC unless it says), or an age."""
    match = _AGE.match(text)
    if match:
        return now - float(match.group(1)) * _AGE_S[match.group(2).lower()]
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since {text!r}: use a date (2026-11-01), an ISO date-time "
            "(2026-11-01T12:00:00Z) or an age (90m, 12h, 7d, 2w)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def row_dict(row: ExportRow) -> dict[str, object]:
    """One record as the CSV and JSON exports write it."""
    return {
        "account": row.account,
        "resource_id": row.resource_id,
        "record": row.record,
        "tier": row.tier,
        "time": iso_utc(row.t),
        "t": int(row.t) if float(row.t).is_integer() else row.t,
        "in_bps": row.in_bps,
        "out_bps": row.out_bps,
        "in_bytes": row.in_bytes,
        "out_bytes": row.out_bytes,
    }


def write_csv(rows: Iterable[ExportRow], out: TextIO) -> int:
    """CSV with a header row; empty cells for not-applicable fields. Returns the row count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for row in rows:
        record = row_dict(row)
        writer.writerow(["" if record[c] is None else record[c] for c in CSV_COLUMNS])
        count += 1
    return count


def write_json(
    rows: Iterable[ExportRow], out: TextIO, *, generated_at: float, since: float | None
) -> int:
    """One JSON object ``{"generated_at", "since", "records": [...]}``, streamed row by row."""
    head = json.dumps({"generated_at": iso_utc(generated_at), "since": iso_utc(since)})
    out.write(head[:-1] + ', "records": [')
    count = 0
    for row in rows:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps(row_dict(row), allow_nan=False))
        count += 1
    out.write("\n]}\n" if count else "]}\n")
    return count


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the stored history as CSV or JSON",
        description=(
            "Write stored rate samples and period-total readings to stdout (or -o FILE). "
            "Exit 0 on success, 2 on a usage error, 3 when the history cannot be read."
        ),
    )
    fmt = parser.add_mutually_exclusive_group(required=True)
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row")
    fmt.add_argument("--json", action="store_true", help="one JSON object with a records array")
    parser.add_argument(
        "--since", metavar="WHEN", help="from a date (2026-11-01), date-time or age (7d, 12h)"
    )
    parser.add_argument("--account", metavar="NAME", help="only this account")
    parser.add_argument("--resource", metavar="ID", help="only this resource id")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    parser.add_argument(
        "--history",
        metavar="PATH",
        help="history database (default: a running collector's, else the user state dir's "
        "bwtui/history.sqlite3)",
    )
    add_config_option(parser)
    add_collector_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, *, now: float | None = None) -> int:
    from bwtui.collector.client import CollectorUnavailable
    from bwtui.history import default_history_path, open_history

    now = time.time() if now is None else now
    since = None
    if args.since:
        try:
            since = parse_since(args.since, now)
        except ValueError as error:
            return fail(str(error))
    path = (
        Path(args.history).expanduser()
        if getattr(args, "history", None)
        else default_history_path()
    )
    remote = None if getattr(args, "history", None) else _collector_rows(args, since)
    store = None
    if remote is not None:
        pass  # the collector's history, streamed
    elif path.exists():
        store, problem = open_history(path, auto_compact=False, read_only=True)
        if store is None:
            print(f"bwtui: {problem}", file=sys.stderr)
            return EXIT_FAILED
    else:
        print(f"bwtui: no history yet at {path}; nothing to export", file=sys.stderr)
    try:
        rows: Iterable[ExportRow] = (
            remote if remote is not None
            else store.export_rows(since=since, account=args.account, resource_id=args.resource)
            if store is not None
            else ()
        )
        _write(args, rows, now, since)
        return EXIT_OK
    except BrokenPipeError:
        # The reader (e.g. `| head`) has had enough: stop quietly, as other Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except OSError as error:
        print(f"bwtui: cannot write {args.output or 'stdout'}: {error.strerror}", file=sys.stderr)
        return EXIT_FAILED
    except (HistoryUnavailable, CollectorUnavailable) as error:  # went bad while reading
        print(f"bwtui: {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if store is not None:
            store.close()


def _collector_rows(args: argparse.Namespace, since: float | None) -> Iterable[ExportRow] | None:
    """The running collector's history (None: no collector, or it did not answer)."""
    from bwtui.collector.viewer import export_via_collector
    from bwtui.commands.common import load_config_for
    from bwtui.exits import UsageError

    try:
        config = load_config_for(args)
    except UsageError:
        config = None  # a broken config must not stop an export of stored history
    return export_via_collector(config, option=collector_arg(args), since=since,
                                account=args.account, resource_id=args.resource)


def _write(
    args: argparse.Namespace, rows: Iterable[ExportRow], now: float, since: float | None
) -> None:
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            _emit(args, rows, out, now, since)
    else:
        _emit(args, rows, sys.stdout, now, since)
        sys.stdout.flush()


def _emit(
    args: argparse.Namespace,
    rows: Iterable[ExportRow],
    out: TextIO,
    now: float,
    since: float | None,
) -> None:
    if args.csv:
        write_csv(rows, out)
    else:
        write_json(rows, out, generated_at=now, since=since)
