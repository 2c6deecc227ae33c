"""The points a window shows, from the finest source that covers each stretch of time.

Sources are the provider's rolling series (5-minute day, 30-minute week, 2-hour month for
Hivelocity), the rates a totals-only provider's readings give (Altostrat, one a poll), and the
local history (raw points for 2 days, hourly averages for 90 days, daily ones for 2 years). A
point at ``t`` covers ``[t, t + step)``; a coarser point is used only where no finer point
covers its span. The result says which resolutions it holds, so the chart can say when points
are condensed. Pure Python: no Textual.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bwtui.charts.ticks import step_text
from bwtui.model import Sample, Series

GAP_FACTOR = 3  # points further apart than this many steps have a gap between them


@dataclass(frozen=True, slots=True)
class Point:
    """A rate over ``[t, t + step_s)`` in bits/s; None is a gap (no data), never zero."""

    t: float
    in_bps: float | None
    out_bps: float | None
    step_s: float

    @property
    def end(self) -> float:
        return self.t + self.step_s


@dataclass(frozen=True, slots=True)
class Source:
    """Points of one resolution from one place (``where`` is shown: "provider", "local history")."""

    where: str
    step_s: float
    samples: Sequence[Sample]


@dataclass(frozen=True, slots=True)
class WindowPoints:
    """What a window shows: its points (oldest first) and where they came from."""

    start: float
    end: float
    points: tuple[Point, ...] = ()
    steps: tuple[float, ...] = ()  # resolutions present, finest first
    wheres: tuple[str, ...] = ()
    finest_available_s: float | None = None  # the finest step any source had

    @property
    def step_s(self) -> float | None:
        """The finest resolution in the window (None without points)."""
        return self.steps[0] if self.steps else None

    @property
    def condensed(self) -> bool:
        """Some points are averages over longer spans than the finest source offers."""
        return len(self.steps) > 1 or (
            bool(self.steps) and self.finest_available_s is not None and self.steps[0] > self.finest_available_s
        )

    def resolution_text(self) -> str:
        """``5-min points``; ``5-min points, hourly averages before Jan 13 18:00`` when older
        points are condensed; ``hourly averages (finer points are not kept this far back)``."""
        if not self.steps:
            return "no points"
        finest = step_text(self.steps[0])
        if len(self.steps) == 1:
            if self.condensed:
                return f"{finest} averages (finer points are not kept this far back)"
            return f"{finest} points"
        parts = [f"{finest} points"]
        for step in self.steps[1:]:
            last = max((p.end for p in self.points if p.step_s == step and p.out_bps is not None), default=None)
            when = f" before {_short_time(last)}" if last is not None else ""
            parts.append(f"{step_text(step)} averages{when}")
        return ", ".join(parts)


def _short_time(t: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).strftime("%b %d %H:%M").replace(" 0", " ")


def series_source(series: Series | None, where: str = "provider") -> Source | None:
    """A provider series as a source (None when it has no points)."""
    if series is None or not series.samples:
        return None
    return Source(where, float(series.step_s), series.samples)


def samples_source(samples: Sequence[Sample], where: str, step_s: float | None = None) -> Source | None:
    """Samples of a steady spacing (derived rates, history rows): the step is their median gap."""
    if not samples:
        return None
    return Source(where, step_s or median_step(samples), samples)


def median_step(samples: Sequence[Sample]) -> float:
    """The typical spacing of ``samples`` (60 s when there is only one)."""
    gaps = sorted(b.t - a.t for a, b in zip(samples, samples[1:], strict=False) if b.t > a.t)
    return gaps[len(gaps) // 2] if gaps else 60.0


def assemble(sources: Iterable[Source | None], start: float, end: float) -> WindowPoints:
    """The window's points: finer sources first, coarser ones only where nothing finer covers."""
    chosen = sorted((s for s in sources if s is not None), key=lambda s: s.step_s)
    covered: list[tuple[float, float]] = []  # sorted, disjoint [a, b) spans already taken
    points: list[Point] = []
    steps: list[float] = []
    wheres: list[str] = []
    finest = chosen[0].step_s if chosen else None
    for source in chosen:
        taken: list[tuple[float, float]] = []
        for sample in source.samples:
            a, b = sample.t, sample.t + source.step_s
            if b <= start or a >= end:
                continue
            if _overlaps(covered, a, b):
                continue
            points.append(Point(sample.t, sample.in_bps, sample.out_bps, source.step_s))
            taken.append((a, b))
        if taken:
            if source.step_s not in steps:
                steps.append(source.step_s)
            if source.where not in wheres:
                wheres.append(source.where)
            covered = _union(covered, taken)
    points.sort(key=lambda p: p.t)
    return WindowPoints(start, end, tuple(_with_gaps(points)), tuple(sorted(steps)), tuple(wheres), finest)


def _overlaps(spans: list[tuple[float, float]], a: float, b: float) -> bool:
    index = bisect.bisect_right(spans, (a, float("inf")))
    if index > 0 and spans[index - 1][1] > a:
        return True
    return index < len(spans) and spans[index][0] < b


def _union(spans: list[tuple[float, float]], more: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for a, b in sorted(spans + more):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _with_gaps(points: list[Point]) -> list[Point]:
    """A gap point where consecutive points are too far apart (bwtui was not running)."""
    out: list[Point] = []
    for point in points:
        if out and point.t - out[-1].end > GAP_FACTOR * max(point.step_s, out[-1].step_s) - out[-1].step_s:
            out.append(Point(out[-1].end, None, None, point.t - out[-1].end))
        out.append(point)
    return out


@dataclass(slots=True)
class Totals:
    """Bytes moved over some points, and how much time they cover."""

    in_bytes: float = 0.0
    out_bytes: float = 0.0
    covered_s: float = 0.0
    points: int = 0
    peak_in_bps: float | None = None
    peak_out_bps: float | None = None
    peak_out_at: float | None = None
    steps: set[float] = field(default_factory=set)

    def add(self, point: Point, *, start: float | None = None, end: float | None = None) -> None:
        """Add ``point``'s share inside ``[start, end)`` (the whole point by default)."""
        a = point.t if start is None else max(point.t, start)
        b = point.end if end is None else min(point.end, end)
        span = b - a
        if span <= 0 or (point.in_bps is None and point.out_bps is None):
            return
        if point.in_bps is not None:
            self.in_bytes += point.in_bps * span / 8
            if self.peak_in_bps is None or point.in_bps > self.peak_in_bps:
                self.peak_in_bps = point.in_bps
        if point.out_bps is not None:
            self.out_bytes += point.out_bps * span / 8
            if self.peak_out_bps is None or point.out_bps > self.peak_out_bps:
                self.peak_out_bps, self.peak_out_at = point.out_bps, point.t
        self.covered_s += span
        self.points += 1
        self.steps.add(point.step_s)


def totals(points: Iterable[Point], start: float, end: float) -> Totals:
    """Bytes moved in ``[start, end)`` by ``points`` (a point straddling an edge counts its share)."""
    result = Totals()
    for point in points:
        if point.end <= start or point.t >= end:
            continue
        result.add(point, start=start, end=end)
    return result
