"""``bwtui status``: every resource of every account, once, as a table, JSON or CSV.

Must never import Textual: it runs from cron and on jump hosts where start-up time matters.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bwtui.commands.common import (
    EXIT_FAILURES,
    EXIT_OK,
    CommandError,
    add_config_option,
    fail,
    load_config_for,
)
from bwtui.model import ProviderError, ResourceState
from bwtui.periods import iso_utc
from bwtui.text import printable
from bwtui.units import format_rate, format_volume

CSV_COLUMNS = (
    "account",
    "provider",
    "kind",
    "id",
    "name",
    "location",
    "in_bps",
    "out_bps",
    "period_in_bytes",
    "period_out_bytes",
    "as_of",
    "projected_in_bytes",
    "projected_out_bytes",
    "allowance_out_bytes",
    "projected_overage_cost",
    "error_kind",
    "error_message",
)


@dataclass(frozen=True, slots=True)
class AccountStatus:
    """One account's outcome: its resources were listed, or ``error`` says why not."""

    name: str
    provider: str
    error: ProviderError | None


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Everything ``status`` prints."""

    generated_at: float
    accounts: Sequence[AccountStatus]
    resources: Sequence[dict[str, object]]

    @property
    def failed(self) -> bool:
        return any(a.error for a in self.accounts) or any(r["error"] for r in self.resources)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "status",
        help="print every resource's rate and period totals once (table, --json, --csv)",
        description=(
            "Poll every account once and print each resource's current in/out rate and billing-"
            "period totals. Exit 0 when everything answered, 3 when something failed (the rest is"
            " still printed), 2 on a usage or config error."
        ),
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON object (stable contract)")
    output.add_argument("--csv", action="store_true", help="CSV with a header row")
    parser.add_argument(
        "--demo", action="store_true", help="use the built-in simulated provider APIs"
    )
    add_config_option(parser)
    parser.set_defaults(func=run)


def resource_record(state: ResourceState, billing: dict[str, object] | None) -> dict[str, object]:
    """A resource as the JSON contract prints it (billing fields null where not applicable)."""
    resource = state.resource
    usage = state.usage
    record: dict[str, object] = {
        "account": resource.account,
        "provider": resource.provider,
        "kind": resource.kind,
        "id": resource.id,
        "name": resource.name,
        "location": resource.location,
        "in_bps": state.in_bps,
        "out_bps": state.out_bps,
        "period_in_bytes": usage.period_in_bytes if usage else None,
        "period_out_bytes": usage.period_out_bytes if usage else None,
        "as_of": iso_utc(_as_of(state)),
        "projected_in_bytes": None,
        "projected_out_bytes": None,
        "allowance_out_bytes": None,
        "projected_overage_cost": None,
        "error": state.error.to_dict() if state.error else None,
    }
    if billing:
        record.update(billing)
    return record


def _as_of(state: ResourceState) -> float | None:
    times = [t for t in (state.rate_at, state.usage.as_of if state.usage else None) if t]
    return max(times) if times else None


def render_json(report: StatusReport) -> str:
    document = {
        "generated_at": iso_utc(report.generated_at),
        "accounts": [
            {
                "name": a.name,
                "provider": a.provider,
                "error": a.error.to_dict() if a.error else None,
            }
            for a in report.accounts
        ],
        "resources": list(report.resources),
    }
    return json.dumps(document, indent=2, allow_nan=False)


def render_csv(report: StatusReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in report.resources:
        error = record.get("error") or {}
        row = dict(record, error_kind=error.get("kind"), error_message=error.get("message"))
        writer.writerow(["" if row.get(c) is None else row[c] for c in CSV_COLUMNS])
    return out.getvalue()


def render_table(report: StatusReport) -> str:
    """An aligned table for people; untrusted text has its control characters escaped."""
    header = ("ACCOUNT", "NAME", "ID", "LOC", "IN", "OUT", "PERIOD IN", "PERIOD OUT", "AS OF", "")
    rows: list[tuple[str, ...]] = []
    for r in report.resources:
        error = r["error"]
        as_of = str(r["as_of"] or "-").replace("T", " ").removesuffix("Z")
        rows.append(
            (
                printable(str(r["account"])),
                printable(_clip(str(r["name"]), 32)),
                printable(_clip(str(r["id"]), 36)),
                printable(str(r["location"] or "-")),
                format_rate(r["in_bps"]),  # type: ignore[arg-type]
                format_rate(r["out_bps"]),  # type: ignore[arg-type]
                format_volume(r["period_in_bytes"]),  # type: ignore[arg-type]
                format_volume(r["period_out_bytes"]),  # type: ignore[arg-type]
                as_of,
                printable(f"{error['kind']}: {_clip(error['message'], 60)}") if error else "",  # type: ignore[index]
            )
        )
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(len(header))]
    right = {4, 5, 6, 7}
    lines = []
    for row in (header, *rows):
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    for account in report.accounts:
        if account.error:
            lines.append(
                printable(
                    f"account {account.name} ({account.provider}): "
                    f"{account.error.kind.value}: {account.error.message}"
                )
            )
    if not report.resources and not any(a.error for a in report.accounts):
        lines.append("(no resources)")
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def run(args: argparse.Namespace) -> int:
    try:
        report = collect_report(args)
    except CommandError as error:
        return fail(str(error))
    if args.json:
        output = render_json(report)
    elif args.csv:
        output = render_csv(report)
    else:
        output = render_table(report)
    sys.stdout.write(output + ("" if output.endswith("\n") else "\n"))
    return EXIT_FAILURES if report.failed else EXIT_OK


def collect_report(args: argparse.Namespace) -> StatusReport:
    """Poll every account once (the demo's when ``--demo``) and build the report."""
    import asyncio

    if args.demo:
        from bwtui.config import Config
        from bwtui.demo import start_demo

        with start_demo() as demo:
            config = Config(path=None, accounts=demo.accounts)
            return asyncio.run(_collect(config, demo.runtimes, use_history=False))
    config = load_config_for(args)
    if not config.accounts:
        where = config.path or "the config file"
        raise CommandError(
            f"no accounts configured in {where}. Fix: add one with "
            "`bwtui account add NAME --provider hivelocity|altostrat`, or try `bwtui status --demo`"
        )
    from bwtui.runtime import build_runtimes

    return asyncio.run(_collect(config, build_runtimes(config), use_history=True))


async def _collect(config, runtimes, *, use_history: bool) -> StatusReport:  # noqa: ANN001
    from bwtui.billing import billing_for, billing_json
    from bwtui.clock import RealClock
    from bwtui.collect import collect_once
    from bwtui.history import open_history
    from bwtui.runtime import close_runtimes

    clock = RealClock()
    try:
        account_results, states = await collect_once(runtimes, clock=clock, settings=config.poll)
    finally:
        await close_runtimes(runtimes)
    now = time.time()
    history, problem = open_history(None) if use_history else (None, None)
    if problem:
        print(f"bwtui: running without history ({problem}); Altostrat rates need it", file=sys.stderr)
    by_name = {a.name: a for a in config.accounts}
    records = []
    for state in states:
        account = by_name[state.resource.account]
        if history is not None and state.usage is not None and state.in_bps is None:
            _derive_rate_from_history(history, state)
        billing = (
            billing_json(billing_for(state.resource, state.usage, account, now))
            if state.usage
            else None
        )
        records.append(resource_record(state, billing))
    if history is not None:
        history.close()
    accounts = [AccountStatus(r.name, r.provider, r.error) for r in account_results]
    return StatusReport(now, accounts, records)


def _derive_rate_from_history(history, state: ResourceState) -> None:  # noqa: ANN001
    """Altostrat gives totals only: the rate comes from the last stored reading."""
    from bwtui.model import Reading

    usage = state.usage
    if usage is None or usage.period_in_bytes is None or usage.period_out_bytes is None:
        return
    reading = Reading(usage.as_of or time.time(), usage.period_in_bytes, usage.period_out_bytes)
    sample = history.derive_rate(state.resource.key, reading)
    if sample is not None:
        state.in_bps, state.out_bps, state.rate_at = sample.in_bps, sample.out_bps, sample.t
