"""Draw a rate chart as rows of text runs tagged with roles; the view maps roles to colours.

Pure Python (no Textual, no plotext). The chart has a legend row (the unit, then the series),
the plot with a rate axis from 0 on 1-2-5 ticks, an x axis and clock-time labels. Series are
braille lines (2×4 dots a cell), or one ASCII mark a cell in ASCII mode, where every character
is below 0x80. Horizontal levels (the 95th percentile, a committed rate) are dashed lines that
carry their own label at the line's end, never in the legend. A time cursor is a vertical bar;
the cells it crosses that hold data are tagged ``cursor_hit`` so the view can highlight them.

Roles: ``in``, ``out``, ``in_cmp``, ``out_cmp`` (a compare overlay), ``p95``, ``commit``,
``cursor``, ``cursor_hit``, ``axis``, ``label``, ``unit``, ``blank``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bwtui.charts.ticks import RateAxis, rate_axis, time_ticks

Run = tuple[str, str]  # (text, role)

# Which line wins a cell's colour when several pass through it (first wins).
LINE_ORDER = ("out", "in", "out_cmp", "in_cmp")
ASCII_MARKS = {"out": "*", "in": "+", "out_cmp": ".", "in_cmp": ".", "both": "#"}
LEGEND_MARKS = {"out": "⣿", "in": "⣿", "out_cmp": "⣀", "in_cmp": "⣀"}
LEGEND_MARKS_ASCII = {"out": "*", "in": "+", "out_cmp": ".", "in_cmp": "."}
_BRAILLE_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row][col], row 0 on top

LEGEND_ROWS = 1
AXIS_ROWS = 2
MIN_PLOT_ROWS = 2


@dataclass(frozen=True, slots=True)
class Line:
    """One series as (t, value) points in display units; a None value is a gap."""

    role: str
    points: Sequence[tuple[float, float | None]]
    label: str = ""


@dataclass(frozen=True, slots=True)
class Level:
    """A horizontal line at ``value`` with a label drawn on it (e.g. ``95th out 35.6M``)."""

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


@dataclass(slots=True)
class ChartPicture:
    """The drawn chart: rows of runs, and where the plot is (for mapping a click to a time)."""

    rows: list[list[Run]]
    axis: RateAxis
    start: float
    end: float
    plot_left: int = 0
    plot_top: int = 0
    plot_width: int = 0
    plot_height: int = 0
    notes: list[str] = field(default_factory=list)

    def time_at(self, x: int) -> float | None:
        """The time under column ``x`` of the chart (None outside the plot)."""
        col = x - self.plot_left
        if self.plot_width <= 0 or not 0 <= col < self.plot_width:
            return None
        return self.start + (col + 0.5) / self.plot_width * (self.end - self.start)

    def column_of(self, t: float) -> int | None:
        """The plot column (0-based, inside the plot) that shows time ``t``."""
        if self.plot_width <= 0 or self.end <= self.start or not self.start <= t <= self.end:
            return None
        return min(self.plot_width - 1, int((t - self.start) / (self.end - self.start) * self.plot_width))

    @property
    def text(self) -> str:
        """Every row as plain text (tests, pty checks)."""
        return "\n".join("".join(text for text, _ in row) for row in self.rows)


def render_chart(spec: ChartSpec, width: int, height: int, *, ascii_only: bool = False) -> ChartPicture:
    """Draw ``spec`` into ``width`` × ``height`` cells."""
    plot_rows = max(MIN_PLOT_ROWS, height - LEGEND_ROWS - AXIS_ROWS)
    peak = max(
        [v for line in spec.lines for _, v in line.points if v is not None]
        + [level.value for level in spec.levels],
        default=0.0,
    )
    axis = rate_axis(peak, rows=plot_rows, bytes_mode=spec.bytes_mode)
    label_w = max(len(label) for _, label in axis.ticks)
    plot_left = label_w + 1
    plot_w = max(1, width - plot_left - 1)
    picture = ChartPicture(rows=[], axis=axis, start=spec.start, end=spec.end, plot_left=plot_left,
                           plot_top=LEGEND_ROWS, plot_width=plot_w, plot_height=plot_rows)
    grid = _Grid(plot_w, plot_rows, ascii_only)
    span = spec.end - spec.start
    if span > 0:
        for line in spec.lines:
            grid.draw_line(line, spec.start, span, axis.top)
    cells = grid.cells()
    cursor_col = picture.column_of(spec.cursor) if spec.cursor is not None else None
    if cursor_col is not None:
        for row in cells:
            char, role = row[cursor_col]
            if role in LINE_ORDER:
                row[cursor_col] = (char, "cursor_hit")
            else:
                row[cursor_col] = ("|" if ascii_only else "│", "cursor")
    _draw_levels(cells, spec.levels, axis.top, plot_rows, plot_w, ascii_only)
    picture.rows.append(_legend(spec, axis, width, ascii_only))
    tick_rows = {_row_of(value, axis.top, plot_rows): label for value, label in axis.ticks}
    vbar, tee = ("|", "+") if ascii_only else ("│", "┤")
    for index, row in enumerate(cells):
        label = tick_rows.get(index)
        runs: list[Run] = [((label or "").rjust(label_w), "label"),
                           (tee if label is not None else vbar, "axis")]
        runs.extend(_merge(row))
        picture.rows.append(runs)
    picture.rows.extend(_x_axis(spec, picture, width, ascii_only, cursor_col))
    return picture


class _Grid:
    """Dots per role: braille subpixels (2×4 a cell) or whole cells in ASCII mode."""

    def __init__(self, cols: int, rows: int, ascii_only: bool) -> None:
        self.cols, self.rows, self.ascii_only = cols, rows, ascii_only
        self.sub_x, self.sub_y = (1, 1) if ascii_only else (2, 4)
        self.masks: dict[str, dict[tuple[int, int], int]] = {}

    def draw_line(self, line: Line, start: float, span: float, top: float) -> None:
        width = self.cols * self.sub_x
        height = self.rows * self.sub_y
        layer = self.masks.setdefault(line.role, {})
        previous: tuple[int, int] | None = None
        for t, value in line.points:
            if value is None:
                previous = None
                continue
            x = round((t - start) / span * (width - 1))
            y = round(min(max(value, 0.0), top) / top * (height - 1)) if top > 0 else 0
            point = (x, y)
            if previous is None:
                self._dot(layer, x, y, width)
            else:
                for px, py in _segment(previous, point):
                    self._dot(layer, px, py, width)
            previous = point

    def _dot(self, layer: dict[tuple[int, int], int], x: int, y: int, width: int) -> None:
        if not 0 <= x < width:
            return
        col, sub_col = divmod(x, self.sub_x)
        row_from_bottom, sub_row = divmod(y, self.sub_y)
        row = self.rows - 1 - row_from_bottom
        if not 0 <= row < self.rows:
            return
        bit = 1 if self.ascii_only else _BRAILLE_BITS[self.sub_y - 1 - sub_row][sub_col]
        layer[(row, col)] = layer.get((row, col), 0) | bit

    def cells(self) -> list[list[Run]]:
        """One (char, role) a cell; the first role of LINE_ORDER present wins the colour."""
        out: list[list[Run]] = [[(" ", "blank")] * self.cols for _ in range(self.rows)]
        merged: dict[tuple[int, int], tuple[int, str, int]] = {}  # cell -> (mask, role, roles seen)
        for role in reversed(LINE_ORDER):
            for cell, mask in self.masks.get(role, {}).items():
                old_mask, _, seen = merged.get(cell, (0, role, 0))
                merged[cell] = (old_mask | mask, role, seen | (1 << LINE_ORDER.index(role)))
        both = (1 << LINE_ORDER.index("out")) | (1 << LINE_ORDER.index("in"))
        for (row, col), (mask, role, seen) in merged.items():
            if self.ascii_only:
                char = ASCII_MARKS["both"] if seen & both == both else ASCII_MARKS[role]
            else:
                char = chr(0x2800 + mask)
            out[row][col] = (char, role)
        return out


def _segment(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[int, int]]:
    """Bresenham: every subpixel from ``a`` to ``b``."""
    (x0, y0), (x1, y1) = a, b
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    err = dx + dy
    points = []
    while True:
        points.append((x0, y0))
        if x0 == x1 and y0 == y1:
            return points
        e2 = 2 * err
        if e2 >= dy:
            err += dy
            x0 += sx
        if e2 <= dx:
            err += dx
            y0 += sy


def _row_of(value: float, top: float, rows: int) -> int:
    """The plot row (0 on top) where ``value`` is drawn."""
    if top <= 0:
        return rows - 1
    fraction = min(max(value / top, 0.0), 1.0)
    return rows - 1 - min(rows - 1, int(fraction * rows - 1e-9) if fraction < 1 else rows - 1)


def _draw_levels(cells: list[list[Run]], levels: Sequence[Level], top: float, rows: int, cols: int,
                 ascii_only: bool) -> dict[int, str]:
    """Dashed lines with their labels at the right end (the left end when that is taken)."""
    dash = "-" if ascii_only else "╌"
    used: dict[int, str] = {}
    for level in levels:
        if top <= 0 or level.value > top:
            continue
        row = _row_of(level.value, top, rows)
        line = cells[row]
        for col in range(cols):
            if line[col][1] == "blank":
                line[col] = (dash, level.role)
        label = f" {level.label} "
        if len(label) > cols:
            label = label[:cols]
        start = 0 if row in used else cols - len(label)
        for offset, char in enumerate(label):
            line[start + offset] = (char, level.role)
        used[row] = level.role
    return used


def _merge(row: Sequence[Run]) -> list[Run]:
    """Adjacent cells with one role become one run."""
    runs: list[Run] = []
    for char, role in row:
        if runs and runs[-1][1] == role:
            runs[-1] = (runs[-1][0] + char, role)
        else:
            runs.append((char, role))
    return runs


def _legend(spec: ChartSpec, axis: RateAxis, width: int, ascii_only: bool) -> list[Run]:
    runs: list[Run] = [(axis.unit, "unit")]
    marks = LEGEND_MARKS_ASCII if ascii_only else LEGEND_MARKS
    for line in spec.lines:
        if not line.label:
            continue
        runs.append(("  ", "blank"))
        runs.append((marks.get(line.role, "*"), line.role))
        runs.append((" " + line.label, "label"))
    used = sum(len(text) for text, _ in runs)
    if used > width:
        return _clip(runs, width)
    runs.append((" " * (width - used), "blank"))
    return runs


def _clip(runs: list[Run], width: int) -> list[Run]:
    out: list[Run] = []
    left = width
    for text, role in runs:
        if left <= 0:
            break
        out.append((text[:left], role))
        left -= len(text[:left])
    return out


def _x_axis(spec: ChartSpec, picture: ChartPicture, width: int, ascii_only: bool,
            cursor_col: int | None) -> list[list[Run]]:
    plot_w = picture.plot_width
    ticks = time_ticks(spec.start, spec.end, width=plot_w, tz_offset_s=spec.tz_offset_s)
    line = ["-" if ascii_only else "─"] * plot_w
    labels = [" "] * (picture.plot_left + plot_w + 1)
    taken_until = -1
    for t, text in ticks:
        col = picture.column_of(t)
        if col is None:
            continue
        line[col] = "+" if ascii_only else "┬"
        begin = picture.plot_left + col - len(text) // 2
        begin = max(0, min(begin, len(labels) - len(text)))
        if begin <= taken_until + 1:
            continue
        labels[begin:begin + len(text)] = list(text)
        taken_until = begin + len(text)
    corner = "+" if ascii_only else "└"
    axis_runs: list[Run] = [(" " * (picture.plot_left - 1), "blank"), (corner, "axis")]
    if cursor_col is not None:
        axis_runs.append(("".join(line[:cursor_col]), "axis"))
        axis_runs.append(("^" if ascii_only else "▲", "cursor"))
        axis_runs.append(("".join(line[cursor_col + 1:]), "axis"))
    else:
        axis_runs.append(("".join(line), "axis"))
    label_text = "".join(labels)[:width]
    return [axis_runs, [(label_text, "label")]]
