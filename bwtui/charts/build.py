"""From a window's points to what the chart draws and says: lines, labelled levels, captions.

Pure Python (no Textual). Rates are bits/s in the data and shown in bits/s or bytes/s.
"""

from __future__ import annotations

from dataclasses import dataclass

from bwtui.charts.data import WindowPoints
from bwtui.charts.spec import ChartSpec, Level, Line
from bwtui.session.format import compact_rate

COMPARE_OFFSETS = {"day": 86400.0, "week": 7 * 86400.0}
COMPARE_WORDS = {"day": "a day earlier", "week": "a week earlier"}
COMPARE_CYCLE = (None, "day", "week")


@dataclass(frozen=True, slots=True)
class LevelLine:
    """A horizontal reference line in bits/s: the 95th percentile or a committed rate."""

    role: str  # "p95" | "commit"
    bps: float
    label: str  # e.g. "95th out"


def chart_spec(
    points: WindowPoints,
    *,
    compare: WindowPoints | None = None,
    compare_mode: str | None = None,
    levels: tuple[LevelLine, ...] = (),
    cursor_t: float | None = None,
    bytes_mode: bool = False,
    tz_offset_s: float = 0.0,
) -> ChartSpec:
    """The chart of ``points``; ``compare`` (the same window earlier) drawn shifted onto it."""
    divisor = 8.0 if bytes_mode else 1.0
    lines: list[Line] = []
    if compare is not None and compare_mode is not None and compare.points:
        offset = COMPARE_OFFSETS[compare_mode]
        words = COMPARE_WORDS[compare_mode]
        for direction in ("in", "out"):
            lines.append(Line(f"{direction}_cmp", _values(compare, direction, divisor, offset),
                              f"{direction} {words}"))
    for direction in ("in", "out"):
        lines.append(Line(direction, _values(points, direction, divisor, 0.0), direction))
    level_marks = tuple(
        Level(level.role, level.bps / divisor,
              f"{level.label} {compact_rate(level.bps, bytes_mode=bytes_mode)}")
        for level in levels
    )
    return ChartSpec(points.start, points.end, tuple(lines), level_marks, cursor_t, bytes_mode,
                     tz_offset_s)


def _values(points: WindowPoints, direction: str, divisor: float,
            offset: float) -> list[tuple[float, float | None]]:
    out: list[tuple[float, float | None]] = []
    for point in points.points:
        value = point.in_bps if direction == "in" else point.out_bps
        out.append((point.t + offset, None if value is None else value / divisor))
    return out


def next_compare(mode: str | None) -> str | None:
    """The compare key's cycle: off → a day earlier → a week earlier → off."""
    index = COMPARE_CYCLE.index(mode) if mode in COMPARE_CYCLE else 0
    return COMPARE_CYCLE[(index + 1) % len(COMPARE_CYCLE)]
