"""95th-percentile ("burstable") billing: the 95th of a billing period's 5-minute points.

The method carriers bill by: take every 5-minute average rate of the period, sort them, drop
the top 5 %, and bill the highest that remains (nearest rank: the ``ceil(0.95 × n)``-th smallest).
With a committed rate, the count of 5-minute intervals above it says how often the commit was
exceeded. The figure is only as good as the points it rests on: the result carries how many
5-minute points it used and how many the period has had so far, so a partial figure is never
shown as a complete one. Pure Python: no Textual, no HTTP.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from typing import TYPE_CHECKING

from bwtui.model import Resource, Sample

if TYPE_CHECKING:
    from bwtui.config import AccountConfig

STEP_S = 300  # billing's 5-minute points
PERCENTILE = 95.0


@dataclass(frozen=True, slots=True)
class P95:
    """The 95th-percentile figures of one billing period (so far)."""

    period_start: float
    period_end: float
    as_of: float
    out_bps: float | None
    in_bps: float | None
    points: int  # 5-minute points with an out rate, inside the period
    expected_points: int  # 5-minute intervals the period has had up to ``as_of``
    committed_out_bps: float | None = None
    above_commit: int | None = None  # intervals whose out rate is above the commit

    @property
    def coverage(self) -> float:
        """Share of the period's intervals so far that the figure rests on (0..1)."""
        return min(1.0, self.points / self.expected_points) if self.expected_points else 0.0

    @property
    def complete(self) -> bool:
        """Every 5-minute interval of the period so far is there."""
        return self.expected_points > 0 and self.points >= self.expected_points

    def as_json(self) -> dict[str, object]:
        """The ``status --json`` fields."""
        return {
            "p95_out_bps": None if self.out_bps is None else round(self.out_bps, 1),
            "p95_in_bps": None if self.in_bps is None else round(self.in_bps, 1),
            "p95_points": self.points,
            "p95_expected_points": self.expected_points,
            "committed_out_bps": self.committed_out_bps,
            "intervals_above_commit": self.above_commit,
        }


EMPTY_JSON: dict[str, object] = {
    "p95_out_bps": None,
    "p95_in_bps": None,
    "p95_points": 0,
    "p95_expected_points": None,
    "committed_out_bps": None,
    "intervals_above_commit": None,
}


def nearest_rank(values: list[float], pct: float = PERCENTILE) -> float | None:
    """The nearest-rank percentile: the ``ceil(pct/100 × n)``-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered) - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def five_minute_points(samples: Iterable[Sample], start: float, end: float) -> list[Sample]:
    """One point per 5-minute interval of ``[start, end)``, on the 5-minute grid; the last
    one seen for an interval wins (a later poll revises a point, never adds a second one)."""
    by_slot: dict[int, Sample] = {}
    for sample in samples:
        if not start <= sample.t < end or sample.t % STEP_S:
            continue
        by_slot[int(sample.t)] = sample
    return [by_slot[t] for t in sorted(by_slot)]


def p95_billing(
    samples: Iterable[Sample],
    period_start: float,
    period_end: float,
    as_of: float,
    *,
    committed_out_bps: float | None = None,
) -> P95:
    """The period's 95th percentile from the 5-minute points among ``samples``.

    Only points on the 5-minute grid inside the period count (hourly or daily averages are not
    5-minute points and would understate the peaks). ``expected_points`` is the number of
    complete 5-minute intervals from the period's start to ``as_of``.
    """
    end = min(as_of, period_end)
    points = five_minute_points(samples, period_start, end)
    outs = [s.out_bps for s in points if s.out_bps is not None]
    ins = [s.in_bps for s in points if s.in_bps is not None]
    expected = max(0, int((end - period_start) // STEP_S))
    above = None
    if committed_out_bps is not None:
        above = sum(1 for value in outs if value > committed_out_bps)
    return P95(
        period_start=period_start,
        period_end=period_end,
        as_of=as_of,
        out_bps=nearest_rank(outs),
        in_bps=nearest_rank(ins),
        points=len(outs),
        expected_points=expected,
        committed_out_bps=committed_out_bps,
        above_commit=above,
    )


def committed_for(resource: Resource, account: AccountConfig | None) -> float | None:
    """The committed out rate (bits/s) the config sets for this resource (None: none)."""
    if account is None:
        return None
    override = account.resources.get(resource.id)
    return getattr(override, "committed_out_bps", None) if override is not None else None


def p95_of_state(
    samples: Iterable[Sample],
    stored: Iterable[Sample],
    period_start: float,
    period_end: float,
    as_of: float,
    *,
    committed_out_bps: float | None = None,
) -> P95:
    """The period's p95 from a poll's fresh 5-minute points and the stored ones (history)."""
    return p95_billing([*stored, *samples], period_start, period_end, as_of,
                       committed_out_bps=committed_out_bps)
