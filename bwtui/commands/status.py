"""``bwtui status``: every resource of every account, once, as a table, JSON or CSV.

Must never import Textual: it runs from cron and on jump hosts where start-up time matters.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from bwtui.commands.common import add_config_option, fail, poll_for
from bwtui.exits import EXIT_FAILED, EXIT_OK, UsageError
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
    except UsageError as error:
        return fail(str(error))
    if args.json:
        output = render_json(report)
    elif args.csv:
        output = render_csv(report)
    else:
        output = render_table(report)
    sys.stdout.write(output + ("" if output.endswith("\n") else "\n"))
    return EXIT_FAILED if report.failed else EXIT_OK


def collect_report(args: argparse.Namespace) -> StatusReport:
    """Poll every account once (the demo's when ``--demo``) and build the report."""
    from bwtui.billing import billing_json

    shot = poll_for(args)
    if shot.history_problem:
        print(
            f"bwtui: running without history ({shot.history_problem}); Altostrat rates need it",
            file=sys.stderr,
        )
    records = [
        resource_record(state, billing_json(shot.billing.get(state.resource.key)))
        for state in shot.states
    ]
    accounts = [AccountStatus(r.name, r.provider, r.error) for r in shot.accounts]
    return StatusReport(shot.generated_at, accounts, records)
