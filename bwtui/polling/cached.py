"""Figures a one-shot pass can show without a request: each resource's newest rate and totals
from the history store (what a monitor on this host wrote)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bwtui.model import Reading, Resource, Sample

if TYPE_CHECKING:
    from bwtui.history import HistoryStore

CACHE_SPAN_S = 2 * 86400.0  # older figures are not worth showing as "cached"


@dataclass(frozen=True, slots=True)
class CachedFigures:
    """What history holds for a resource: its newest rate and its newest period totals."""

    sample: Sample | None = None
    reading: Reading | None = None

    @property
    def newest_t(self) -> float | None:
        times = [x.t for x in (self.sample, self.reading) if x is not None]
        return max(times) if times else None


CacheLookup = Callable[[Resource], CachedFigures | None]


def history_cache(store: HistoryStore, now: float, span_s: float = CACHE_SPAN_S) -> CacheLookup:
    """A lookup of each resource's newest rate and totals in ``store`` (the last ``span_s``)."""
    from bwtui.history import HistoryUnavailable

    def lookup(resource: Resource) -> CachedFigures | None:
        try:
            samples = store.samples(resource.key, since=now - span_s)
            reading = store.last_reading(resource.key)
        except HistoryUnavailable:
            return None
        latest = next((s for s in reversed(samples) if s.in_bps is not None or s.out_bps is not None), None)
        if reading is not None and reading.t < now - span_s:
            reading = None
        if latest is None and reading is None:
            return None
        return CachedFigures(latest, reading)

    return lookup
