"""Read queries over the history store for charts, cursors and period tables.

Beside :mod:`bwtui.history` (which owns writing, retention and the file) and built only on its
public reading API, so its internals can change freely. Every function here blocks on SQLite:
call it from a thread, never on the UI's event loop.
"""

from __future__ import annotations

from collections.abc import Sequence

from bwtui.charts.data import Source, WindowPoints, assemble, median_step
from bwtui.history import HistoryStore
from bwtui.model import Sample

ResourceKey = tuple[str, str]

TIER_STEPS_S = {"hour": 3600.0, "day": 86400.0}
WHERE = "local history"


def window_sources(
    store: HistoryStore, key: ResourceKey, start: float, end: float, *, raw_step_s: float | None = None
) -> list[Source]:
    """The stored samples of ``key`` that touch ``[start, end)``, one source per tier.

    Raw points keep their own spacing (``raw_step_s`` when the provider states it, else their
    median gap); hourly and daily averages cover an hour and a day. A point at ``t`` covers
    ``[t, t + step)``, so the query reaches back one day before ``start``.
    """
    by_tier: dict[str, list[Sample]] = {}
    account, resource_id = key
    for row in store.export_rows(since=start - 86400, account=account, resource_id=resource_id):
        if row.record != "sample" or row.tier is None or row.t >= end:
            continue
        by_tier.setdefault(row.tier, []).append(Sample(row.t, row.in_bps, row.out_bps))
    sources: list[Source] = []
    for tier, samples in by_tier.items():
        step = TIER_STEPS_S.get(tier) or raw_step_s or median_step(samples)
        kept = [s for s in samples if s.t + step > start]
        if kept:
            sources.append(Source(WHERE, step, kept))
    return sources


def raw_points(sources: Sequence[Source], step_s: float) -> list[Sample]:
    """The samples of the sources at exactly ``step_s`` (e.g. the 5-minute points for p95)."""
    return [s for source in sources if source.step_s == step_s for s in source.samples]


def period_five_minute_points(store: HistoryStore, key: ResourceKey, start: float, end: float) -> list[Sample]:
    """The stored raw points of ``[start, end)`` that sit on the 5-minute grid (for p95)."""
    sources = window_sources(store, key, start, end, raw_step_s=300.0)
    return [s for s in raw_points(sources, 300.0) if s.t % 300 == 0 and start <= s.t < end]


def stored_points(
    store: HistoryStore, key: ResourceKey, start: float, end: float, extra: Sequence[Source] = ()
) -> WindowPoints:
    """Everything known about ``key`` in ``[start, end)``: stored tiers plus ``extra`` sources
    (e.g. the provider's series in memory), the finest winning wherever they overlap."""
    return assemble([*window_sources(store, key, start, end), *extra], start, end)
