"""Period tables as vnstat users know them: per hour, per day, per month, per billing period.

Each row has the bytes in and out (rate × time, summed from the finest points that exist for
that time: :func:`bwtui.charts.data.assemble`), the peak rates, how much of the row the points
cover, their resolution, and the overage cost the row added (the part of its outbound bytes that
fell beyond the billing period's allowance, at the period's price), so a period's rows add up to
the period's row. Billing-period rows also carry the period's 95th percentile of 5-minute points
and how many points it rests on. Pure Python: no Textual, no HTTP; the history queries live in
:mod:`bwtui.history_read`.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from typing import TYPE_CHECKING

from bwtui.charts.data import Point, Source, Totals, WindowPoints, totals
from bwtui.charts.ticks import step_text
from bwtui.model import Resource, Sample
from bwtui.p95 import STEP_S, p95_billing

if TYPE_CHECKING:
    from bwtui.config import AccountConfig
    from bwtui.history import HistoryStore

KINDS = ("hourly", "daily", "monthly", "periods")
BYTES_PER_GB = 10**9
DEFAULT_ROWS = {"hourly": 48, "daily": 31, "monthly": 12, "periods": 6}

PeriodOf = Callable[[float], tuple[float, float]]  # a time → its billing period's (start, end)


@dataclass(frozen=True, slots=True)
class Pricing:
    """What an outbound byte beyond the allowance costs (None where nothing is charged)."""

    allowance_out_bytes: int | None = None
    usd_per_gb: float | None = None
    committed_out_bps: float | None = None

    @property
    def charges(self) -> bool:
        return self.allowance_out_bytes is not None and self.usd_per_gb is not None


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a period table."""

    label: str
    start: float
    end: float
    in_bytes: float
    out_bytes: float
    peak_in_bps: float | None
    peak_out_bps: float | None
    peak_out_at: float | None
    covered_s: float
    resolution: str
    cost_usd: float | None = None
    p95_out_bps: float | None = None
    p95_points: int | None = None
    p95_expected_points: int | None = None
    above_commit: int | None = None
    ongoing: bool = False

    @property
    def coverage(self) -> float:
        """Share of the row's time (up to now for an ongoing row) that data covers."""
        span = self.end - self.start
        return min(1.0, self.covered_s / span) if span > 0 else 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "label": self.label,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "in_bytes": round(self.in_bytes),
            "out_bytes": round(self.out_bytes),
            "peak_in_bps": _round(self.peak_in_bps),
            "peak_out_bps": _round(self.peak_out_bps),
            "peak_out_at": _iso(self.peak_out_at),
            "coverage": round(self.coverage, 4),
            "resolution": self.resolution,
            "overage_cost_usd": None if self.cost_usd is None else round(self.cost_usd, 2),
            "p95_out_bps": _round(self.p95_out_bps),
            "p95_points": self.p95_points,
            "p95_expected_points": self.p95_expected_points,
            "intervals_above_commit": self.above_commit,
            "ongoing": self.ongoing,
        }


@dataclass(slots=True)
class Table:
    """A resource's rows of one kind, newest first, and their sum."""

    kind: str
    key: tuple[str, str]
    name: str
    rows: list[Row] = field(default_factory=list)
    total: Row | None = None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "account": self.key[0],
            "id": self.key[1],
            "name": self.name,
            "kind": self.kind,
            "rows": [row.as_json() for row in self.rows],
            "total": None if self.total is None else self.total.as_json(),
            "notes": list(self.notes),
        }


def buckets(kind: str, now: float, count: int, period_of: PeriodOf) -> list[tuple[str, float, float]]:
    """The newest ``count`` rows of a kind: ``(label, start, end)``, newest first (UTC)."""
    out: list[tuple[str, float, float]] = []
    if kind == "hourly":
        start = now - now % 3600
        for _ in range(count):
            out.append((_fmt(start, "%Y-%m-%d %H:00"), start, start + 3600))
            start -= 3600
    elif kind == "daily":
        start = now - now % 86400
        for _ in range(count):
            out.append((_fmt(start, "%Y-%m-%d %a"), start, start + 86400))
            start -= 86400
    elif kind == "monthly":
        moment = datetime.fromtimestamp(now, UTC)
        year, month = moment.year, moment.month
        for _ in range(count):
            start = datetime(year, month, 1, tzinfo=UTC).timestamp()
            days = calendar.monthrange(year, month)[1]
            out.append((_fmt(start, "%Y-%m"), start, start + days * 86400))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    elif kind == "periods":
        at = now
        for _ in range(count):
            start, end = period_of(at)
            out.append((f"{_fmt(start, '%Y-%m-%d')} .. {_fmt(end, '%Y-%m-%d')}", start, end))
            at = start - 1
    else:
        raise ValueError(f"unknown table kind {kind!r}: one of {', '.join(KINDS)}")
    return out


def build_table(
    kind: str,
    key: tuple[str, str],
    name: str,
    points: WindowPoints,
    *,
    now: float,
    period_of: PeriodOf,
    pricing: Pricing = Pricing(),
    count: int | None = None,
) -> Table:
    """The table of ``kind`` from ``points`` (which should reach back to the oldest row's
    billing period start, so costs count from the period's first byte)."""
    table = Table(kind, key, name)
    data = [p for p in points.points if p.in_bps is not None or p.out_bps is not None]
    for label, start, end in buckets(kind, now, count or DEFAULT_ROWS[kind], period_of):
        table.rows.append(_row(label, start, end, data, now, period_of, pricing, kind == "periods"))
    table.rows = [row for row in table.rows if row.covered_s > 0 or row.ongoing]
    if table.rows:
        table.total = _sum_rows(table.rows, "total")
    coarse = sorted({r.resolution for r in table.rows} & {"hourly", "daily", "mixed"})
    if coarse:
        table.notes.append("older rows are summed from hourly or daily averages (finer points are not "
                           "kept that long); their peaks are peaks of averages")
    if any(row.coverage < 0.98 and not row.ongoing for row in table.rows):
        table.notes.append("some rows are not fully covered by data (bwtui was not running): see coverage")
    if not pricing.charges:
        table.notes.append("no overage price applies to this resource")
    return table


def _row(label: str, start: float, end: float, data: Sequence[Point], now: float, period_of: PeriodOf,
         pricing: Pricing, with_p95: bool) -> Row:
    ongoing = start <= now < end
    upto = min(end, now)
    moved = totals(data, start, upto)
    resolution = _resolution(moved)
    cost = _cost(start, upto, data, period_of, pricing, moved)
    row = Row(label, start, upto if ongoing else end, moved.in_bytes, moved.out_bytes, moved.peak_in_bps,
              moved.peak_out_bps, moved.peak_out_at, moved.covered_s, resolution, cost, ongoing=ongoing)
    if with_p95:
        fine = [Sample(p.t, p.in_bps, p.out_bps) for p in data if p.step_s == STEP_S and start <= p.t < upto]
        result = p95_billing(fine, start, end, upto, committed_out_bps=pricing.committed_out_bps)
        row = _with(row, p95_out_bps=result.out_bps, p95_points=result.points,
                    p95_expected_points=result.expected_points, above_commit=result.above_commit)
    return row


def _cost(start: float, end: float, data: Sequence[Point], period_of: PeriodOf, pricing: Pricing,
          moved: Totals) -> float | None:
    """The overage this row added: its share of outbound bytes beyond the period's allowance."""
    if not pricing.charges or end <= start:
        return None
    assert pricing.allowance_out_bytes is not None and pricing.usd_per_gb is not None
    cost = 0.0
    cursor = start
    while cursor < end:  # a row may straddle a period boundary (a day, a calendar month)
        period_start, period_end = period_of(cursor)
        piece_end = min(end, period_end)
        before = totals(data, period_start, cursor).out_bytes
        during = totals(data, cursor, piece_end).out_bytes
        allowance = pricing.allowance_out_bytes
        beyond = max(0.0, before + during - allowance) - max(0.0, before - allowance)
        cost += beyond / BYTES_PER_GB * pricing.usd_per_gb
        cursor = piece_end
    return cost


def _sum_rows(rows: Sequence[Row], label: str) -> Row:
    peak_out = max(rows, key=lambda r: r.peak_out_bps if r.peak_out_bps is not None else -1.0)
    peaks_in = [r.peak_in_bps for r in rows if r.peak_in_bps is not None]
    costs = [r.cost_usd for r in rows if r.cost_usd is not None]
    resolutions = sorted({r.resolution for r in rows if r.resolution != "-"})
    return Row(
        label,
        min(r.start for r in rows),
        max(r.end for r in rows),
        sum(r.in_bytes for r in rows),
        sum(r.out_bytes for r in rows),
        max(peaks_in) if peaks_in else None,
        peak_out.peak_out_bps,
        peak_out.peak_out_at,
        sum(r.covered_s for r in rows),
        resolutions[0] if len(resolutions) == 1 else ("mixed" if resolutions else "-"),
        sum(costs) if costs else None,
    )


def _resolution(moved: Totals) -> str:
    if not moved.steps:
        return "-"
    if len(moved.steps) == 1:
        return step_text(next(iter(moved.steps)))
    return "mixed"


def _with(row: Row, **changes: object) -> Row:
    from dataclasses import replace

    return replace(row, **changes)  # type: ignore[arg-type]


def _fmt(t: float, pattern: str) -> str:
    return datetime.fromtimestamp(t, UTC).strftime(pattern)


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def oldest_needed(kind: str, now: float, count: int | None, period_of: PeriodOf) -> float:
    """How far back the points must reach for ``kind``'s rows and their costs."""
    rows = buckets(kind, now, count or DEFAULT_ROWS[kind], period_of)
    oldest = min(start for _, start, _ in rows)
    return min(oldest, period_of(oldest)[0])


def terms_for(resource: Resource, account: AccountConfig) -> tuple[PeriodOf, Pricing]:
    """A resource's billing periods and prices, as the monitor's billing figures have them."""
    from bwtui.billing import allowance_for, billing_for, price_for
    from bwtui.p95 import committed_for

    def period_of(t: float) -> tuple[float, float]:
        figures = billing_for(resource, None, account, t)
        return figures.period_start, figures.period_end

    allowance = allowance_for(resource, account)
    price = price_for(resource, account) if allowance is not None else None
    return period_of, Pricing(allowance, price, committed_for(resource, account))


def resource_table(
    kind: str,
    resource: Resource,
    account: AccountConfig,
    *,
    now: float,
    history: HistoryStore | None,
    memory: Sequence[Source] = (),
    count: int | None = None,
) -> Table:
    """One resource's table of ``kind`` from the stored history and ``memory`` (finest wins).
    Blocks on SQLite when there is a history store: run it in a thread."""
    from bwtui.charts.data import assemble
    from bwtui.history_read import stored_points

    period_of, pricing = terms_for(resource, account)
    start = oldest_needed(kind, now, count, period_of)
    if history is not None:
        points = stored_points(history, resource.key, start, now, extra=memory)
    else:
        points = assemble(memory, start, now)
    return build_table(kind, resource.key, resource.name, points, now=now, period_of=period_of,
                       pricing=pricing, count=count)
