"""What a rate chart draws, as plain data: series, labelled levels, a time cursor.

Pure Python (no Textual, no plotext): :mod:`bwtui.charts.build` makes a :class:`ChartSpec` from a
window's points; the view (:mod:`bwtui.ui.chart_plot`) draws it with plotext.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Line:
    """One series as (t, value) points in display units; a None value is a gap.

    Roles: ``in``, ``out`` and the compare overlay ``in_cmp``, ``out_cmp``; later lines are drawn
    over earlier ones.
    """

    role: str
    points: Sequence[tuple[float, float | None]]
    label: str = ""


@dataclass(frozen=True, slots=True)
class Level:
    """A horizontal line at ``value`` with a label drawn on it (e.g. ``95th out 35.6M``).

    Roles: ``p95`` (the period's 95th percentile), ``commit`` (a committed rate).
    """

    role: str
    value: float
    label: str


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """What to draw over the window ``[start, end]`` (epoch seconds)."""

    start: float
    end: float
    lines: tuple[Line, ...] = ()
    levels: tuple[Level, ...] = ()
    cursor: float | None = None
    bytes_mode: bool = False
    tz_offset_s: float = 0.0

    @property
    def peak(self) -> float:
        """The highest value drawn (series and levels), 0 when there is none."""
        return max([v for line in self.lines for _, v in line.points if v is not None]
                   + [level.value for level in self.levels], default=0.0)
