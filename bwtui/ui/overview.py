"""The overview: every resource in one table, sorted by out rate (the incident glance).

Cells are ``rich.text.Text`` (never markup). A poll updates only the cells whose text changed;
re-sorting happens at most once per ``SORT_DEBOUNCE_S`` and only when the order would change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from bwtui.model import ResourceState
from bwtui.providers.base import Period
from bwtui.ui.format import (
    ALERT_MARKS,
    ALERT_STYLES,
    STATUS_STYLES,
    format_bytes,
    format_money,
    format_rate,
    glyph,
    safe_text,
    sparkline,
)
from bwtui.ui.store import Key, UiStore

SPARK_WIDTH = 15
SORT_DEBOUNCE_S = 0.5
SORT_MODES = ("out", "in", "name")

# (key, label, width in cells); name's width is worked out from what is left.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("status", "", 3),
    ("name", "name", 0),
    ("out", "out", 11),
    ("in", "in", 11),
    ("trend", "out, last hours", SPARK_WIDTH),
    ("period_out", "period out", 10),
    ("period_in", "period in", 9),
    ("projected", "proj.", 8),
    ("account", "account", 0),
)
LABELS = {key: label for key, label, _ in COLUMNS}
# Which columns stay when the terminal is narrow, most important first.
PRIORITY = ("status", "name", "out", "in", "projected", "period_out", "trend", "period_in", "account")
NAME_MIN, NAME_PREF, NAME_MAX = 14, 22, 28
ACCOUNT_MAX = 16
CELL_PADDING = 2  # DataTable's cell_padding=1 on each side
SCROLLBAR_W = 2
TREND_MAX = 72


def layout_columns(width: int, account_w: int) -> tuple[list[str], int, int]:
    """The columns that fit ``width`` cells (canonical order), the name's and the trend's width.

    Space left over widens the name (up to NAME_MAX), then the trend sparkline (TREND_MAX).
    """
    widths = {key: w for key, _, w in COLUMNS}
    widths["account"] = account_w
    available = width - SCROLLBAR_W
    # Names matter most: a readable width first, then columns by priority, the rest to names.
    widths["name"] = NAME_PREF if available >= 60 else NAME_MIN
    chosen: set[str] = set()
    used = 0
    for key in PRIORITY:
        need = widths[key] + CELL_PADDING
        if used + need <= available or key in ("status", "name"):
            chosen.add(key)
            used += need
    name_w = max(NAME_MIN, min(NAME_MAX, widths["name"] + available - used))
    used += name_w - widths["name"]
    trend_w = SPARK_WIDTH
    if "trend" in chosen:
        trend_w = max(SPARK_WIDTH, min(TREND_MAX, SPARK_WIDTH + available - used))
    return [key for key, _, _ in COLUMNS if key in chosen], name_w, trend_w


def row_key(key: Key) -> str:
    return f"{key[0]}\x1f{key[1]}"


def key_of(row: str) -> Key:
    account, _, resource_id = row.partition("\x1f")
    return (account, resource_id)


class OverviewTable(DataTable[Text]):
    """All resources; enter opens the highlighted one.

    Columns have fixed widths chosen from the table's width (narrow terminals drop the least
    important ones), so a changing value never reflows the table and nothing scrolls sideways.
    """

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="overview-down"),
        Binding("k", "cursor_up", "Up", show=False, id="overview-up"),
    ]

    def __init__(
        self,
        store: UiStore,
        *,
        ascii_only: bool = False,
        billing: Callable[[ResourceState], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.store = store
        self.ascii_only = ascii_only
        self.billing = billing
        self.bytes_mode = False
        self.name_filter = ""
        self.sort_mode = "out"
        self._cells: dict[str, dict[str, str]] = {}
        self._order: list[str] = []
        self._sort_timer: Any = None
        self._visible: list[str] = []
        self._name_w = NAME_MAX
        self._trend_w = SPARK_WIDTH
        self._layout: tuple[list[str], int, int] | None = None

    def on_mount(self) -> None:
        self.rebuild()

    def on_resize(self) -> None:
        if self._wanted_layout() != self._layout:
            self.rebuild()

    def _account_width(self) -> int:
        widest = max((len(safe_text(name)) for name in self.store.accounts), default=8)
        return max(len("account"), min(ACCOUNT_MAX, widest))

    def _wanted_layout(self) -> tuple[list[str], int, int]:
        return layout_columns(self.size.width or 120, self._account_width())

    def _setup_columns(self) -> None:
        layout = self._wanted_layout()
        if layout == self._layout and self.columns:
            return
        self._layout = layout
        self._visible, self._name_w, self._trend_w = layout
        self.clear(columns=True)
        widths = {key: w for key, _, w in COLUMNS}
        widths["name"] = self._name_w
        widths["trend"] = self._trend_w
        widths["account"] = self._account_width()
        for key in self._visible:
            self.add_column(LABELS[key], key=key, width=widths[key])

    # ----- rows -----------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Re-create all rows (resource list, filter or width changed)."""
        if not self.is_mounted:
            return
        highlighted = self.highlighted_key()
        self.clear()
        self._setup_columns()
        self._cells.clear()
        resources = self.store.resources(self.name_filter)
        rows = [(row_key(resource.key), self._row_cells(resource.key)) for resource in resources]
        rows.sort(key=lambda item: self._sort_value(key_of(item[0])))
        for key, cells in rows:
            self.add_row(*[cells[c] for c in self._visible], key=key)
            self._cells[key] = {c: _signature(cells[c]) for c in self._visible}
        self._order = [key for key, _ in rows]
        self._update_header()
        if highlighted is not None:
            self.highlight(highlighted)

    def update_resource(self, key: Key) -> None:
        """Update the changed cells of one row; schedule a re-sort if the order may change."""
        row = row_key(key)
        known = self._cells.get(row)
        if known is None:
            return
        cells = self._row_cells(key)
        for column in self._visible:
            value = cells[column]
            signature = _signature(value)
            if known.get(column) != signature:
                known[column] = signature
                self.update_cell(row, column, value)
        self._schedule_sort()

    def relabel_all(self) -> None:
        for row in list(self._cells):
            self.update_resource(key_of(row))

    def _row_cells(self, key: Key) -> dict[str, Text]:
        state = self.store.states.get(key)
        status = self.store.status(key)
        alert = self.store.alert_level(key)
        bytes_mode = self.bytes_mode
        status_cell = Text(glyph(status, ascii_only=self.ascii_only), style=STATUS_STYLES[status])
        if alert is not None:
            status_cell.append(ALERT_MARKS[alert], style=ALERT_STYLES[alert])
        cells: dict[str, Text] = {"status": status_cell}
        name_w = self._name_w
        if state is None:
            name, account = safe_text(key[1], max_len=name_w), safe_text(key[0])
            cells.update(name=KeyedText(name, key), account=Text(account))
            for column in ("trend", "in", "out", "period_in", "period_out", "projected"):
                cells[column] = Text("-")
            return cells
        name_cell = KeyedText(safe_text(state.resource.name, max_len=name_w), key)
        if alert is not None:
            name_cell.stylize(ALERT_STYLES[alert])
        cells["name"] = name_cell
        cells["account"] = Text(safe_text(state.resource.account, max_len=ACCOUNT_MAX), style="dim")
        outs = [s.out_bps for s in state.history]
        if not outs:
            series = self.store.series.get((key, Period.DAY))
            outs = [s.out_bps for s in series.samples] if series is not None else []
        cells["trend"] = Text(
            sparkline(outs, self._trend_w, ascii_only=self.ascii_only), style="magenta"
        )
        cells["in"] = Text(format_rate(state.in_bps, bytes_mode=bytes_mode), justify="right")
        cells["out"] = Text(
            format_rate(state.out_bps, bytes_mode=bytes_mode), justify="right",
            style=ALERT_STYLES[alert] if alert is not None else "bold",
        )
        usage = state.usage
        cells["period_in"] = Text(
            format_bytes(usage.period_in_bytes if usage else None), justify="right"
        )
        cells["period_out"] = Text(
            format_bytes(usage.period_out_bytes if usage else None), justify="right"
        )
        cells["projected"] = projected_cell(self.billing(state) if self.billing else None)
        return cells

    # ----- sorting --------------------------------------------------------------------------
    def _sort_value(self, key: Key) -> tuple[Any, ...]:
        state = self.store.states.get(key)
        name = state.resource.name.casefold() if state is not None else key[1]
        if self.sort_mode == "name":
            return (name, key)
        rate = None
        if state is not None:
            rate = state.out_bps if self.sort_mode == "out" else state.in_bps
        return (rate is None, -(rate or 0.0), name, key)

    def cycle_sort(self) -> str:
        """Next sort mode (out rate → in rate → name); returns its name."""
        index = SORT_MODES.index(self.sort_mode)
        self.sort_mode = SORT_MODES[(index + 1) % len(SORT_MODES)]
        self._update_header()
        self.apply_sort()
        return self.sort_mode

    def _update_header(self) -> None:
        labels = {"out": "out", "in": "in", "name": "name"}
        arrow = "▼" if not self.ascii_only else "v"
        for column_key in self._visible:
            label = LABELS[column_key]
            if column_key in labels:
                wanted = f"{label} {arrow}" if column_key == self.sort_mode else label
                column = self.columns.get(column_key)  # type: ignore[call-overload]
                if column is not None and column.label.plain != wanted:
                    column.label = Text(wanted)
                    self._require_update_dimensions = True
                    self.refresh()

    def _schedule_sort(self) -> None:
        if self._sort_timer is None:
            self._sort_timer = self.set_timer(SORT_DEBOUNCE_S, self._sort_due)

    def _sort_due(self) -> None:
        self._sort_timer = None
        self.apply_sort()

    def apply_sort(self) -> None:
        """Sort now, but only if the order actually changes (a sort redraws the table)."""
        wanted = sorted(self._cells, key=lambda row: self._sort_value(key_of(row)))
        if wanted == self._order:
            return
        highlighted = self.highlighted_key()
        self._order = wanted
        self.sort("name", key=lambda name_cell: self._sort_value(name_cell.row_key))
        if highlighted is not None:
            self.highlight(highlighted)

    # ----- cursor ---------------------------------------------------------------------------
    def highlighted_key(self) -> Key | None:
        if not self.row_count:
            return None
        try:
            row = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # noqa: BLE001 - cursor outside the table after a clear
            return None
        return key_of(row.value) if row.value else None

    def highlight(self, key: Key) -> bool:
        row = row_key(key)
        try:
            index = self.get_row_index(row)
        except Exception:  # noqa: BLE001 - row not shown (filtered out)
            return False
        self.move_cursor(row=index, animate=False)
        return True


class KeyedText(Text):
    """A name cell that remembers its resource key (DataTable.sort sees only cell values)."""

    def __init__(self, text: str, key: Key) -> None:
        super().__init__(text)
        self.row_key = key


def _signature(text: Text) -> str:
    return text.plain + "\x00" + repr(text.spans) + repr(text.style)


def projected_cell(figures: Any) -> Text:
    """The overview's estimate: overage cost when there will be one, else % of the allowance.

    Without an allowance (Altostrat) it is the projected outbound volume, marked ``~``.
    """
    if figures is None or figures.projected_out_bytes is None:
        return Text("-", justify="right", style="dim")
    cost = figures.projected_overage_cost
    if cost is not None and cost > 0:
        return Text(format_money(cost), justify="right", style="bold red")
    pct = figures.projected_pct
    if pct is not None:
        return Text(f"{pct:.0f}%", justify="right", style="yellow" if pct >= 80 else "")
    return Text("~" + format_bytes(figures.projected_out_bytes), justify="right", style="dim")
