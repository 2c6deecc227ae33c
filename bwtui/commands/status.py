"""``bwtui status``: every resource of every account, once, as a table, JSON or CSV.

Must never import Textual: it runs from cron and on jump hosts where start-up time matters.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bwtui.commands.common import add_collector_option, add_config_option, fail, poll_for
from bwtui.exits import EXIT_FAILED, EXIT_OK, UsageError
from bwtui.model import DataWarning, ProviderError, ResourceState, SkippedItem
from bwtui.periods import iso_utc
from bwtui.text import printable

if TYPE_CHECKING:
    from bwtui.oneshot import OneShot
    from bwtui.thresholds import Evaluation

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
    "period_start",
    "period_end",
    "period_source",
    "projection",
    "level",
    "warnings",
    "cached",
)
ACCOUNT_ROW_KIND = "account"  # a CSV row for an account that failed (no resource)


@dataclass(frozen=True, slots=True)
class AccountStatus:
    """One account's outcome: its resources were listed, or ``error`` says why not.

    ``skipped`` are the things its listing held that bwtui does not watch (e.g. Hivelocity
    devices without a service), each with the reason.
    """

    name: str
    provider: str
    error: ProviderError | None
    skipped: tuple[SkippedItem, ...] = ()
    budget: str | None = None  # "budget low: ..." when the shared request budget fell short


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Everything ``status`` prints."""

    generated_at: float
    accounts: Sequence[AccountStatus]
    resources: Sequence[dict[str, object]]
    via: str | None = None  # the collector's URL when the figures came from one

    @property
    def failed(self) -> bool:
        """Exit 3: an account failed, or a resource has an error and no figures to show. A
        resource served from history because the shared budget was low (``cached``, with its
        rates, totals and age) is not a failure: cron and dashboards keep their figures."""
        return any(a.error for a in self.accounts) or any(
            r.get("error") and not served_from_cache(r) for r in self.resources
        )


FIGURES = ("in_bps", "out_bps", "period_in_bytes", "period_out_bytes", "as_of")


def served_from_cache(record: Mapping[str, object]) -> bool:
    """Every figure present, from history, because the request budget was low."""
    return bool(record.get("cached")) and all(record.get(key) is not None for key in FIGURES)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "status",
        help="print every resource's rate and period totals once (table, --json, --csv)",
        description=(
            "Poll every account once and print each resource's current in/out rate, billing-"
            "period totals, projection and alert. Exit 0 when everything answered, or when the"
            " request budget this host's bwtui processes share was low and a resource's figures"
            " were served from history instead, every one present and marked 'budget low:"
            " cached' with its age; 3 when something failed or has no figures (every failure is"
            " printed as a row; the rest is still printed); 2 on a usage or config error. The"
            " table fits the terminal; --wide shows everything."
        ),
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON object (stable contract)")
    output.add_argument("--csv", action="store_true", help="CSV with a header row")
    parser.add_argument(
        "--wide", action="store_true", help="table: every column, full names and ids"
    )
    parser.add_argument(
        "--demo", action="store_true", help="use the built-in simulated provider APIs"
    )
    add_config_option(parser)
    add_collector_option(parser)
    parser.set_defaults(func=run)


def resource_record(
    state: ResourceState,
    billing: dict[str, object] | None,
    *,
    warnings: Sequence[DataWarning] = (),
    alert: Evaluation | None = None,
    cached: bool = False,
) -> dict[str, object]:
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
        "period_start": None,
        "period_end": None,
        "period_source": None,
        "projection": "no_usage",
        "warnings": [w.to_dict() for w in warnings],
        "alert": {"level": alert.level.value, "reasons": list(alert.reasons),
                  "overage": alert.overage.value} if alert is not None else None,
        "cached": cached,  # figures from history: the shared request budget was low (error says)
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
        "via": "collector" if report.via else "direct",
        "collector": report.via,
        "accounts": [
            {
                "name": a.name,
                "provider": a.provider,
                "error": a.error.to_dict() if a.error else None,
                "skipped": [item.to_dict() for item in a.skipped],
                "budget": a.budget,
            }
            for a in report.accounts
        ],
        "resources": list(report.resources),
    }
    return json.dumps(document, indent=2, allow_nan=False)


def render_csv(report: StatusReport) -> str:
    """A header row, one row per resource, and one row per failed account (``kind`` = account).

    Text cells have control characters escaped (``\\x1b``), so a CSV shown in a terminal is safe.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in report.resources:
        error = record.get("error") or {}
        alert = record.get("alert") or {}
        row = dict(
            record,
            error_kind=error.get("kind"),
            error_message=error.get("message"),
            level=alert.get("level"),
            warnings="; ".join(f"{w['kind']}: {w['message']}" for w in record.get("warnings") or []),
        )
        writer.writerow([_cell(row.get(c)) for c in CSV_COLUMNS])
    for account in report.accounts:
        if account.error is not None:
            row = {
                "account": account.name,
                "provider": account.provider,
                "kind": ACCOUNT_ROW_KIND,
                "error_kind": account.error.kind.value,
                "error_message": account.error.message,
            }
            writer.writerow([_cell(row.get(c)) for c in CSV_COLUMNS])
    return out.getvalue()


def _cell(value: object) -> object:
    if value is None:
        return ""
    return printable(value) if isinstance(value, str) else value


def render_table(report: StatusReport, *, width: int | None = None, wide: bool = False) -> str:
    """An aligned table for people, fitting ``width`` cells unless ``wide``; every failure is a
    row; skipped devices and an empty result are said in the footer."""
    from bwtui.commands.status_table import account_row, render, resource_row

    by_account: dict[str, list[dict[str, str]]] = {}
    for record in report.resources:
        row = resource_row(record, report.generated_at, wide=wide)
        by_account.setdefault(str(record.get("account")), []).append(row)
    rows: list[dict[str, str]] = []
    listed: set[str] = set()
    for account in report.accounts:
        rows.extend(by_account.get(account.name, []))
        listed.add(account.name)
        if account.error is not None:
            rows.append(
                account_row(account.name, account.provider, account.error.kind.value, account.error.message)
            )
    for name, extra in by_account.items():
        if name not in listed:
            rows.extend(extra)
    footer: list[str] = []
    for account in report.accounts:
        if account.skipped:
            shown = ", ".join(
                f"{item.id}{' ' + item.name if item.name else ''} ({item.reason})" for item in account.skipped
            )
            noun = "item" if len(account.skipped) == 1 else "items"
            footer.append(f"{account.name}: {len(account.skipped)} {noun} not watched: {shown}")
    for account in report.accounts:
        if account.budget:
            footer.append(f"{account.name}: {account.budget}")
    if not report.resources and not any(a.error for a in report.accounts):
        footer.append("(no resources)")
    if report.via:
        footer.append(f"via collector {report.via}")
    return render(rows, footer, None if wide else width)


def run(args: argparse.Namespace) -> int:
    """Print the report; never a traceback (an unexpected failure is one line and exit 3)."""
    try:
        report = collect_report(args)
    except UsageError as error:
        return fail(str(error))
    except Exception as error:  # noqa: BLE001 - a one-shot command must answer, not crash
        message = printable(f"{type(error).__name__}: {error}")[:300]
        print(f"bwtui: status failed unexpectedly: {message}", file=sys.stderr)
        return EXIT_FAILED
    try:
        if args.json:
            output = render_json(report)
        elif args.csv:
            output = render_csv(report)
        else:
            width = None if getattr(args, "wide", False) else shutil.get_terminal_size((100, 24)).columns
            output = render_table(report, width=width, wide=getattr(args, "wide", False))
        sys.stdout.write(output + ("" if output.endswith("\n") else "\n"))
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_FAILED if report.failed else EXIT_OK


def collect_report(args: argparse.Namespace) -> StatusReport:
    """Poll every account once (the demo's when ``--demo``) and build the report."""
    shot = poll_for(args)
    if shot.history_note:
        print(f"bwtui: {shot.history_note}", file=sys.stderr)
    return build_report(shot)


def build_report(shot: OneShot) -> StatusReport:
    """The report from one poll: records with billing, period, warnings and alert level."""
    from bwtui.billing import billing_json
    from bwtui.p95 import EMPTY_JSON
    from bwtui.thresholds import effective_thresholds, evaluate

    by_name = {a.name: a for a in shot.config.accounts}
    cached = {key for r in shot.accounts if r.budget is not None for key in r.budget.cached}
    records = []
    for state in shot.states:
        figures = shot.billing.get(state.resource.key)
        warnings = list(state.warnings)
        if figures is not None:
            warnings.extend(w for w in figures.warnings if w not in warnings)
            warnings.extend(DataWarning("billing", note) for note in figures.notes)
        elif state.resource.billing is not None:
            warnings.extend(DataWarning("billing", note) for note in state.resource.billing.notes)
        account = by_name.get(state.resource.account)
        alert = (
            evaluate(state, figures, effective_thresholds(account, state.resource.id))
            if account is not None
            else None
        )
        record = resource_record(state, billing_json(figures) if figures else None,
                                 warnings=warnings, alert=alert,
                                 cached=state.resource.key in cached and state.stale)
        p95 = getattr(shot, "p95", {}).get(state.resource.key)
        records.append(record | (p95.as_json() if p95 is not None else EMPTY_JSON))
    accounts = [
        AccountStatus(
            r.name, r.provider, r.error, tuple(shot.skipped.get(r.name, ())),
            r.budget.text if r.budget is not None else None,
        )
        for r in shot.accounts
    ]
    return StatusReport(shot.generated_at, accounts, records, via=shot.via)
