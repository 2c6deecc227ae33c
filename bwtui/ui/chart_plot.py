"""Draw a :class:`~bwtui.charts.spec.ChartSpec` with plotext, as text whose spans name roles.

plotext draws the plot: series as braille lines (one ASCII mark a cell in ASCII mode), the rate
axis from 0 on the 1-2-5 ticks of :func:`~bwtui.charts.ticks.rate_axis`, the clock-time ticks of
:func:`~bwtui.charts.ticks.time_ticks`, each level as a horizontal line carrying its label at the
line's end, and the time cursor as a vertical line marked ▲ on the time axis. A legend row above it names the unit and the
series. Every colour plotext is given is a placeholder for a role; the result maps those back
to role names (``chart--in``...), which the widget styles from the theme, so the chart follows the
theme, NO_COLOR and the compare overlay's dimming like the rest of the screen. In ASCII mode
plotext's box glyphs become ``- | +`` and nothing above 0x7F is left.

Roles: ``in``, ``out``, ``in_cmp``, ``out_cmp``, ``p95``, ``commit``, ``cursor``, ``axis``,
``label``, ``unit``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rich.style import Style
from rich.text import Span, Text

from bwtui.ascii_text import to_ascii
from bwtui.charts.spec import ChartSpec
from bwtui.charts.ticks import RateAxis, rate_axis, time_ticks

ROLES = ("in", "out", "in_cmp", "out_cmp", "p95", "commit", "cursor", "axis", "label", "unit")
MARKS = {"out": "*", "in": "+", "out_cmp": ".", "in_cmp": "."}  # ASCII mode's plot marks
LEGEND_MARKS = {"out": "⣿", "in": "⣿", "out_cmp": "⣀", "in_cmp": "⣀"}
LEGEND_ROWS = 1
AXIS_ROWS = 2  # plotext's x axis and its labels
MIN_PLOT_ROWS = 2

# plotext is given one made-up colour a role; the drawn text's spans are mapped back to roles.
_PLACEHOLDER = {role: (1, 2, index + 3) for index, role in enumerate(ROLES)}
_ROLE_OF = {rgb: role for role, rgb in _PLACEHOLDER.items()}


def role_style(role: str) -> str:
    """The span style naming ``role`` (the widget's component class)."""
    return f"chart--{role.replace('_', '-')}"


@dataclass(frozen=True, slots=True)
class PlotArea:
    """Where plotext put the plot inside the chart, and the time it maps to its columns."""

    start: float
    end: float
    left: int
    top: int
    width: int
    height: int

    def time_at(self, x: int) -> float | None:
        """The time under column ``x`` of the chart (None outside the plot)."""
        col = x - self.left
        if self.width <= 0 or not 0 <= col < self.width:
            return None
        if self.width == 1:
            return (self.start + self.end) / 2
        return self.start + col / (self.width - 1) * (self.end - self.start)

    def column_of(self, t: float) -> int | None:
        """The plot column (0-based, inside the plot) that shows time ``t``, as plotext places it."""
        if self.width <= 0 or self.end <= self.start or not self.start <= t <= self.end:
            return None
        return _cell(t, self.start, self.end, self.width)


@dataclass(frozen=True, slots=True)
class ChartPicture:
    """The drawn chart: rows of text whose spans are role names, and where the plot is."""

    text: Text
    area: PlotArea
    axis: RateAxis

    @property
    def plain(self) -> str:
        """Every row as plain text (tests, pty checks)."""
        return self.text.plain

    def role_at(self, x: int, y: int) -> str | None:
        """The role of the cell at column ``x`` of row ``y`` (None: unstyled)."""
        offset = _offset(self.text.plain, x, y)
        if offset is None:
            return None
        roles = [str(span.style) for span in self.text.spans if span.start <= offset < span.end]
        return roles[-1].removeprefix("chart--").replace("-", "_") if roles else None


def draw_chart(plt: Any, spec: ChartSpec, width: int, height: int, *,
               ascii_only: bool = False) -> ChartPicture | None:
    """Draw ``spec`` into ``width`` × ``height`` cells on the plotext figure ``plt``.

    None when the space is too small for a plot.
    """
    plot_h = height - LEGEND_ROWS
    plot_rows = plot_h - AXIS_ROWS
    if width <= 4 or plot_rows < MIN_PLOT_ROWS:
        return None
    axis = rate_axis(spec.peak, rows=plot_rows, bytes_mode=spec.bytes_mode)
    label_w = max(len(label) for _, label in axis.ticks)
    plot_w = width - label_w - 1
    if plot_w < 2:
        return None
    _setup(plt, width, plot_h)
    span = spec.end - spec.start
    if span > 0:
        plt.xlim(spec.start, spec.end)
        ticks = [(t, text) for t, text in time_ticks(spec.start, spec.end, width=plot_w,
                                                      tz_offset_s=spec.tz_offset_s)
                 if spec.start <= t <= spec.end]
        plt.xticks([t for t, _ in ticks], [text for _, text in ticks])
    plt.ylim(0, axis.top)
    plt.yticks([value for value, _ in axis.ticks], [label for _, label in axis.ticks])
    for line in spec.lines:
        marker = MARKS.get(line.role, "*") if ascii_only else "braille"
        for xs, ys in _runs(line.points, axis.top):
            plt.plot(xs, ys, marker=marker, color=_PLACEHOLDER[line.role])
    if spec.cursor is not None and span > 0 and spec.start <= spec.cursor <= spec.end:
        plt.vertical_line(spec.cursor, color=_PLACEHOLDER["cursor"])
    _levels(plt, spec, axis, plot_rows)
    built = plt.build()
    if ascii_only:
        built = to_ascii(built)
    area = PlotArea(spec.start, spec.end, left=label_w + 1, top=LEGEND_ROWS, width=plot_w, height=plot_rows)
    plot = _roles(Text.from_ansi(built, no_wrap=True))
    cursor_col = area.column_of(spec.cursor) if spec.cursor is not None else None
    if cursor_col is not None:
        plot = _mark_cursor(plot, area.left + cursor_col, plot_rows, "^" if ascii_only else "▲")
    picture = Text(no_wrap=True, overflow="crop")
    picture.append_text(_legend(spec, axis, width, ascii_only))
    picture.append("\n")
    picture.append_text(plot)
    return ChartPicture(picture, area, axis)


def _setup(plt: Any, width: int, height: int) -> None:
    """An empty figure of the size, without plotext's own colours, frame or legend."""
    plt.clear_figure()
    plt.plotsize(width, height)
    plt._set_size(width, height)  # as textual-plotext's own render does (its issue #5)
    plt.theme("clear")
    plt.ticks_color(_PLACEHOLDER["axis"])
    plt.xaxes(True, False)
    plt.yaxes(True, False)


def _runs(points: Any, top: float) -> list[tuple[list[float], list[float]]]:
    """The series as runs of points between gaps, values kept inside the axis."""
    runs: list[tuple[list[float], list[float]]] = []
    xs: list[float] = []
    ys: list[float] = []
    for t, value in points:
        if value is None or not math.isfinite(value):
            if xs:
                runs.append((xs, ys))
            xs, ys = [], []
            continue
        xs.append(t)
        ys.append(min(max(value, 0.0), top))
    if xs:
        runs.append((xs, ys))
    return runs


def _levels(plt: Any, spec: ChartSpec, axis: RateAxis, rows: int) -> None:
    """Each level as a line with its label at the right end (the left end when that row is taken)."""
    taken: set[int] = set()
    for level in spec.levels:
        if axis.top <= 0 or not 0 <= level.value <= axis.top:
            continue
        color = _PLACEHOLDER[level.role]
        plt.horizontal_line(level.value, color=color)
        row = _cell(level.value, 0.0, axis.top, rows)
        at_left = row in taken
        plt.text(f" {level.label} ", spec.start if at_left else spec.end, level.value, color=color,
                 alignment="left" if at_left else "right")
        taken.add(row)


def _cell(value: float, low: float, high: float, bins: int) -> int:
    """The cell plotext puts ``value`` in (its ``get_matrix_data``)."""
    return math.floor(round(0.5 + (bins - 1) * (value - low) / (high - low), 8))


def _mark_cursor(plot: Text, x: int, axis_row: int, mark: str) -> Text:
    """The cursor's mark on the time axis, under its line (the readout starts with the same mark)."""
    offset = _offset(plot.plain, x, axis_row)
    if offset is None:
        return plot
    return Text.assemble(plot[:offset], (mark, role_style("cursor")), plot[offset + 1:], no_wrap=True)


def _offset(plain: str, x: int, y: int) -> int | None:
    """Where column ``x`` of row ``y`` is in ``plain`` (None: outside it)."""
    rows = plain.split("\n")
    if not 0 <= y < len(rows) or not 0 <= x < len(rows[y]):
        return None
    return sum(len(row) + 1 for row in rows[:y]) + x


def _roles(text: Text) -> Text:
    """plotext's placeholder colours back to role names (anything else: no style)."""
    spans = []
    for span in text.spans:
        style = span.style
        color = style.color if isinstance(style, Style) else None
        role = _ROLE_OF.get(color.triplet) if color is not None and color.triplet is not None else None
        if role is not None:
            spans.append(Span(span.start, span.end, role_style(role)))
    text.spans = spans
    return text


def _legend(spec: ChartSpec, axis: RateAxis, width: int, ascii_only: bool) -> Text:
    """The unit, then each labelled series with its mark."""
    legend = Text()
    legend.append(axis.unit, style=role_style("unit"))
    for line in spec.lines:
        if not line.label:
            continue
        mark = (MARKS if ascii_only else LEGEND_MARKS).get(line.role, "*")
        legend.append("  ")
        legend.append(mark, style=role_style(line.role))
        legend.append(" " + line.label, style=role_style("label"))
    legend.truncate(width)
    return legend
