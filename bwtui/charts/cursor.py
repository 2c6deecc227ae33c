"""The time cursor: which point of a window it is on, how it moves, and what it reads.

Pure Python (no Textual). The cursor sits on one point of the window (never on a gap); the
readout gives that point's time (UTC and local), its in and out rates, and what moved from the
window's start up to the end of that point, summed from the same points the chart draws.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, datetime

from bwtui.charts.data import Point, Totals, WindowPoints, totals


@dataclass(frozen=True, slots=True)
class Readout:
    """What the cursor reads at one point."""

    point: Point
    since: float  # the window's start: ``total`` counts from here
    total: Totals  # from ``since`` to the end of the point

    @property
    def t(self) -> float:
        return self.point.t


class TimeCursor:
    """A position among a window's data points; ``None`` until placed."""

    def __init__(self) -> None:
        self.t: float | None = None

    def clear(self) -> None:
        self.t = None

    @staticmethod
    def _data(points: WindowPoints) -> list[Point]:
        return [p for p in points.points if p.in_bps is not None or p.out_bps is not None]

    def index(self, points: WindowPoints) -> int | None:
        """The data point the cursor is on (the nearest one to its time); None without data."""
        data = self._data(points)
        if not data or self.t is None:
            return None
        times = [p.t for p in data]
        at = bisect.bisect_left(times, self.t)
        if at >= len(times):
            return len(times) - 1
        if at > 0 and self.t - times[at - 1] <= times[at] - self.t:
            return at - 1
        return at

    def point(self, points: WindowPoints) -> Point | None:
        index = self.index(points)
        return None if index is None else self._data(points)[index]

    def move(self, points: WindowPoints, steps: int) -> Point | None:
        """``steps`` points later (negative: earlier); placed on the newest point when unset."""
        data = self._data(points)
        if not data:
            return None
        index = self.index(points)
        if index is None:
            index = len(data) - 1 if steps <= 0 else 0
            if steps < 0:
                steps += 1
            elif steps > 0:
                steps -= 1
        index = min(max(index + steps, 0), len(data) - 1)
        self.t = data[index].t
        return data[index]

    def home(self, points: WindowPoints) -> Point | None:
        data = self._data(points)
        if data:
            self.t = data[0].t
            return data[0]
        return None

    def end(self, points: WindowPoints) -> Point | None:
        data = self._data(points)
        if data:
            self.t = data[-1].t
            return data[-1]
        return None

    def peak(self, points: WindowPoints) -> Point | None:
        """The point with the highest out rate (in when there is no out), earliest on a tie."""
        data = self._data(points)
        if not data:
            return None
        best = max(data, key=lambda p: (p.out_bps if p.out_bps is not None else -1.0,
                                        p.in_bps if p.in_bps is not None else -1.0, -p.t))
        self.t = best.t
        return best

    def place(self, points: WindowPoints, t: float) -> Point | None:
        """On the point nearest ``t`` (a mouse click)."""
        self.t = t
        point = self.point(points)
        if point is not None:
            self.t = point.t
        return point

    def readout(self, points: WindowPoints) -> Readout | None:
        point = self.point(points)
        if point is None:
            return None
        return Readout(point, points.start, totals(points.points, points.start, point.end))


def clock_texts(t: float, tz_offset_s: float | None = None) -> tuple[str, str]:
    """``("2026-01-15 13:05 UTC", "14:05 CET")``: the time in UTC and in the local zone ("" when
    the local zone is UTC). ``tz_offset_s`` replaces the machine's zone (tests)."""
    utc = datetime.fromtimestamp(t, UTC)
    if tz_offset_s is None:
        local = datetime.fromtimestamp(t).astimezone()
        offset = local.utcoffset()
        if offset is not None and offset.total_seconds() == 0:
            return utc.strftime("%Y-%m-%d %H:%M UTC"), ""
        zone = local.strftime("%Z") or "local"
    else:
        if tz_offset_s == 0:
            return utc.strftime("%Y-%m-%d %H:%M UTC"), ""
        local = datetime.fromtimestamp(t + tz_offset_s, UTC)
        zone = "local"
    same_day = local.date() == utc.date()
    local_text = local.strftime("%H:%M" if same_day else "%b %d %H:%M")
    return utc.strftime("%Y-%m-%d %H:%M UTC"), f"{local_text} {zone}"
