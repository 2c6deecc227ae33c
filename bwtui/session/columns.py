"""The overview's columns as text: which fit a width, and what each cell of a row says.

One meaning per column: rates (in, then out), the out trend, period totals (in, then out), the
projected share of the allowance, the projected overage cost, the data's age, the account.
Cells are ``(text, style)`` pairs (Rich style strings, text not yet fitted to its width), so
any view can draw them; the TUI's overview turns them into screen lines. No Textual.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bwtui.session.detail_text import short_rate
from bwtui.session.format import format_age, format_bytes, format_money, format_rate, sparkline
from bwtui.session.rows import RowValues, Totals, data_age_s
from bwtui.session.status import ALERT_MARKS, ALERT_STYLES, STATUS_STYLES, glyph, marked_glyph
from bwtui.session.store import Key, MonitorStore
from bwtui.model import Period
from bwtui.samples import out_values
from bwtui.text import safe_text

Cell = tuple[str, str]  # (text, Rich style; "" for the view's own)


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its key (also its sort key), header label, width (0: worked out) and alignment."""

    key: str
    label: str
    width: int
    right: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("status", "", 3, right=False),
    Column("name", "name", 0, right=False),
    Column("in", "in", 11),
    Column("out", "out", 11),
    Column("trend", "out, last hours", 15, right=False),
    Column("period_in", "period in", 9),
    Column("period_out", "period out", 10),
    Column("pct", "proj %", 6),
    Column("overage", "overage $", 9),
    Column("age", "age", 4),
    Column("account", "account", 0, right=False),
)
BY_KEY = {column.key: column for column in COLUMNS}
# Which columns stay when the terminal is narrow, most important first.
PRIORITY = ("status", "name", "out", "in", "period_out", "overage", "pct", "age", "trend",
            "period_in", "account")
GAP = 1  # blank cells before every column
GAPS = {"trend": 2, "account": 2}  # more before a left-aligned column after right-aligned ones
NAME_MIN, NAME_PREF, NAME_MAX, NAME_WIDE_MAX = 14, 22, 28, 60
WIDE = 160  # from this many columns on, names use the room
ACCOUNT_MIN, ACCOUNT_MAX = 7, 16
TREND_MIN, TREND_MAX = 15, 72
TREND_SPAN = 96  # the trend shows up to this many of the newest points (8 h of 5-minute ones)


@dataclass(frozen=True, slots=True)
class Layout:
    """The columns shown, in order, each with its x offset and width."""

    spans: tuple[tuple[str, int, int], ...]  # (column key, x, width)
    width: int

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _, _ in self.spans)

    def width_of(self, key: str) -> int:
        for found, _, width in self.spans:
            if found == key:
                return width
        return 0

    def column_at(self, x: int) -> str | None:
        """The column under screen column ``x`` (its gap included), if any."""
        for key, start, width in self.spans:
            if start - GAP <= x < start + width:
                return key
        return None


def layout_columns(width: int, account_w: int, *, ascii_only: bool = False) -> Layout:
    """The columns that fit ``width`` cells (canonical order) and their widths.

    Columns join by priority at their natural width; what is left widens the name (to 28
    characters, 60 from :data:`WIDE` columns on), then the trend sparkline, then the name again.
    """
    widths = {column.key: column.width for column in COLUMNS}
    widths["status"] = 4 if ascii_only else 3  # "ER" and a "!!" mark
    widths["account"] = max(ACCOUNT_MIN, min(ACCOUNT_MAX, account_w))
    widths["name"] = NAME_PREF if width >= 60 else NAME_MIN
    chosen: set[str] = set()
    used = 0
    for key in PRIORITY:
        need = widths[key] + GAPS.get(key, GAP)
        if used + need <= width or key in ("status", "name"):
            chosen.add(key)
            used += need
    spare = width - used
    if spare < 0:  # the name gives way down to its minimum
        give = min(-spare, widths["name"] - NAME_MIN)
        widths["name"] -= give
        spare += give
    name_max = NAME_WIDE_MAX if width >= WIDE else NAME_MAX
    grow = max(0, min(spare, name_max - widths["name"]))
    widths["name"] += grow
    spare -= grow
    if "trend" in chosen and spare > 0:
        grow = min(spare, TREND_MAX - widths["trend"])
        widths["trend"] += grow
        spare -= grow
    if width >= WIDE and spare > 0:
        widths["name"] += spare
    spans = []
    x = 0
    for column in COLUMNS:
        if column.key in chosen:
            x += GAPS.get(column.key, GAP)
            spans.append((column.key, x, widths[column.key]))
            x += widths[column.key]
    return Layout(tuple(spans), width)


def header_cells(layout: Layout, sort_column: str, descending: bool, *,
                 ascii_only: bool = False) -> list[Cell]:
    """Each shown column's label; the sorted one carries an arrow (▼ descending, ▲ ascending).

    A right-aligned label whose arrow does not fit may spill one cell into the gap before it
    (:data:`GAP`): ``▼period out``.
    """
    arrow = ("v" if descending else "^") if ascii_only else ("▼" if descending else "▲")
    cells = []
    for key, _, width in layout.spans:
        label = BY_KEY[key].label
        if key == sort_column:
            right = BY_KEY[key].right
            if key == "status":
                label = arrow
            elif len(label) + 2 <= width:
                label = f"{label} {arrow}"
            elif right:
                label = arrow + label[: max(0, width + GAP - 1)]
            else:
                label = label[: max(0, width - 1)] + arrow
        cells.append((label, "bold" if key == sort_column else ""))
    return cells


def row_cells(store: MonitorStore, key: Key, values: RowValues, layout: Layout, *, now: float,
              bytes_mode: bool = False, ascii_only: bool = False) -> list[Cell]:
    """One resource's cells for the shown columns (untrusted names made safe, never markup)."""
    state = store.states.get(key)
    status = store.status(key)
    alert = store.alert_level(key)
    alert_style = ALERT_STYLES[alert] if alert is not None else ""
    basis = state.resource.rate_basis if state is not None else None  # Vultr: daily averages
    out: list[Cell] = []
    for column, _, width in layout.spans:
        if column == "status":
            mark = ALERT_MARKS[alert] if alert is not None else ""
            shape, style = marked_glyph(status, alert, ascii_only=ascii_only)
            out.append((shape + mark, style))
        elif column == "name":
            name = state.resource.name if state is not None else key[1]
            out.append((safe_text(name, max_len=width), alert_style))
        elif column == "account":
            out.append((safe_text(key[0], max_len=width), "dim"))
        elif column == "in":
            out.append((short_rate(values.in_bps, basis, bytes_mode=bytes_mode), ""))
        elif column == "out":
            out.append((short_rate(values.out_bps, basis, bytes_mode=bytes_mode), alert_style or "bold"))
        elif column == "trend":
            out.append((_trend(store, key, width, ascii_only), "magenta"))
        elif column == "period_in":
            out.append((format_bytes(values.period_in_bytes), ""))
        elif column == "period_out":
            out.append((format_bytes(values.period_out_bytes), ""))
        elif column == "pct":
            out.append(pct_cell(values.projected_pct))
        elif column == "overage":
            out.append(money_cell(values.overage_usd, width))
        elif column == "age":
            age = data_age_s(values, now)
            out.append(("" if age is None else format_age(age), "yellow"))
    return out


def _trend(store: MonitorStore, key: Key, width: int, ascii_only: bool) -> str:
    state = store.states.get(key)
    outs: Sequence[float | None] = []
    if state is not None and state.history:
        outs = out_values(state.history[-TREND_SPAN:])
    else:
        series = store.series.get((key, Period.DAY))
        if series is not None:
            outs = [s.out_bps for s in series.samples[-TREND_SPAN:]]
    return sparkline(outs, width, ascii_only=ascii_only) if outs else ""


def pct_cell(pct: float | None) -> Cell:
    """The projected share of the allowance at period end (``-``: no allowance or too early)."""
    if pct is None:
        return ("-", "dim")
    return (f"{pct:.0f}%", "bold red" if pct >= 100 else "yellow" if pct >= 80 else "")


def money_cell(usd: float | None, width: int) -> Cell:
    """A projected overage cost: ``-`` when none applies, ``$0.00`` dim when within allowance."""
    if usd is None:
        return ("-", "dim")
    text = format_money(usd)
    if len(text) > width:
        text = compact_money(usd)
    return (text, "bold red" if usd > 0 else "dim")


def compact_money(usd: float) -> str:
    """``$12.3k``, ``$4.56M``: a large amount in few characters."""
    for divisor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(usd) >= divisor:
            value = usd / divisor
            return f"${value:.3g}{suffix}" if value < 1000 else f"${value:.0f}{suffix}"
    return f"${usd:.0f}"


def totals_cells(totals: Totals, layout: Layout, *, label: str, bytes_mode: bool = False,
                 ascii_only: bool = False) -> list[Cell]:
    """A totals line: rates, period totals and the projected overage summed over its rows."""
    out: list[Cell] = []
    for column, _, width in layout.spans:
        if column == "name":
            out.append((safe_text(label, max_len=width), "bold"))
        elif column == "in":
            out.append((format_rate(totals.in_bps, bytes_mode=bytes_mode), ""))
        elif column == "out":
            out.append((format_rate(totals.out_bps, bytes_mode=bytes_mode), "bold"))
        elif column == "period_in":
            out.append((format_bytes(totals.period_in_bytes), ""))
        elif column == "period_out":
            out.append((format_bytes(totals.period_out_bytes), "bold"))
        elif column == "overage":
            out.append(money_cell(totals.overage_usd, width))
        elif column == "status":
            out.append(("+" if ascii_only else "Σ", "bold"))
        else:
            out.append(("", ""))
    return out
