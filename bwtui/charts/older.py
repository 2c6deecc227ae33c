"""Older points from the provider: what part of a window nothing local covers, and at what step.

Hivelocity keeps a service's data for over a year, at coarser steps as it ages; bwtui keeps raw
points for 2 days and averages after. When a window (or a period table) reaches back further
than the points at hand, one custom-window request fills it: this says which span to ask for and
at what step. Pure Python: the request itself goes through the poller's budget.
"""

from __future__ import annotations

import math

from bwtui.charts.data import WindowPoints

MIN_GAP_S = 3 * 3600.0  # a shorter uncovered start is not worth a request
MAX_ROWS = 4000  # the provider answers at most ~5,000 rows a request


def uncovered_start(points: WindowPoints, *, now: float) -> tuple[float, float] | None:
    """The window's leading span that no point covers (``None`` when there is none worth a
    request). Only the past can be asked for: the span ends by ``now``."""
    data = [p for p in points.points if p.in_bps is not None or p.out_bps is not None]
    end = min(points.end, now) if not data else min(data[0].t, now)
    if end - points.start < MIN_GAP_S:
        return None
    return points.start, end


def step_for(start: float, end: float, finest_s: int = 300) -> int:
    """The finest step (a multiple of an hour beyond 2 days) that keeps the answer small."""
    span = max(0.0, end - start)
    if span <= 2 * 86400:
        return finest_s
    return max(3600, math.ceil(span / MAX_ROWS / 3600) * 3600)
