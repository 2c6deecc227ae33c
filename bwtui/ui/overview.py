"""The overview: every resource in one table, sorted by out rate (the incident glance).

Cells are ``rich.text.Text`` (never markup). A poll repaints only the cells whose text changed
(not the whole table). Re-sorting is automatic but calm: at most once per ``SORT_INTERVAL_S``,
never within ``NAV_HOLD_S`` of the user moving the cursor, only when the order changes, and it
repaints only the rows that moved; the highlighted resource keeps the cursor and its place on
screen. Many rows are added in chunks, the first screenful first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from time import monotonic
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from bwtui.model import Period, ResourceState
from bwtui.text import safe_text
from bwtui.session.format import format_bytes, format_money, format_rate, sparkline
from bwtui.session.status import ALERT_MARKS, ALERT_STYLES, STATUS_STYLES, glyph
from bwtui.session.store import Key, MonitorStore

SPARK_WIDTH = 15
SORT_DEBOUNCE_S = 0.5  # a re-sort waits this long for a burst of updates to end
SORT_INTERVAL_S = 5.0  # automatic re-sorts at most this often
NAV_HOLD_S = 3.0  # no automatic re-sort this soon after the user moved the cursor
FIRST_ROWS = 80  # rows added at once (a screenful and more); the rest follow in chunks
CHUNK_ROWS = 200
CELL_REPAINT_MAX = 64  # more changed cells than this in one update: repaint the whole table
# DataTable's render caches default to 10,000 cells and 1,000 lines, and every update starts
# new entries: sized for a couple of screens, memory stays flat.
CELL_CACHE, LINE_CACHE = 2000, 240
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
        store: MonitorStore,
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
        self._pending_rows: list[str] = []  # rows still to add (chunked build), in order
        self._chunk_scheduled = False
        self._sort_values: dict[str, tuple[Any, ...]] = {}
        self._last_sort_at = float("-inf")
        self._nav_at = float("-inf")
        # Until the user moves it, the cursor stays on the top row: the incident glance.
        self.follow_top = True
        self._cell_render_cache = LRUCache(CELL_CACHE)
        self._row_render_cache = LRUCache(LINE_CACHE)
        self._row_renderable_cache = LRUCache(LINE_CACHE)
        self._line_cache = LRUCache(LINE_CACHE)

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
        """Re-create all rows (filter or width changed)."""
        if not self.is_mounted:
            return
        highlighted = self.highlighted_key()
        self.clear()
        self._setup_columns()
        self._cells.clear()
        self._sort_values.clear()
        self._order = []
        self._pending_rows = []
        rows = [row_key(resource.key) for resource in self.store.resources(self.name_filter)]
        rows.sort(key=lambda row: self._sort_value(key_of(row)))
        self._queue_rows(rows)
        self._update_header()
        if highlighted is not None:
            self.highlight(highlighted)

    def sync(self) -> None:
        """The resource list changed: add new rows, drop vanished ones, keep the others."""
        if not self.is_mounted:
            return
        if not self.columns or self._wanted_layout() != self._layout:
            self.rebuild()
            return
        wanted = [row_key(resource.key) for resource in self.store.resources(self.name_filter)]
        wanted_set = set(wanted)
        present = set(self._cells) | set(self._pending_rows)
        gone = present - wanted_set
        if gone:
            for row in gone:
                if row in self._cells:
                    self.remove_row(row)
                    del self._cells[row]
                self._sort_values.pop(row, None)
            self._pending_rows = [row for row in self._pending_rows if row not in gone]
            self._order = [row for row in self._order if row not in gone]
        new = [row for row in wanted if row not in present]
        new.sort(key=lambda row: self._sort_value(key_of(row)))
        self.update_resources(key_of(row) for row in wanted if row in present)
        if new:
            self._queue_rows(new)

    def _queue_rows(self, rows: list[str]) -> None:
        """Add the first rows now and the rest in chunks after the screen has been drawn."""
        had_rows = bool(self._order)
        room = max(0, FIRST_ROWS - len(self._order))
        self._add_rows(rows[:room])
        self._pending_rows.extend(rows[room:])
        if self._pending_rows:
            self._schedule_chunk()
        elif had_rows and rows:
            self._schedule_sort()  # new rows went to the bottom: sort them in soon

    def _schedule_chunk(self) -> None:
        if not self._chunk_scheduled:
            self._chunk_scheduled = True
            self.call_after_refresh(self._add_chunk)

    def _add_chunk(self) -> None:
        self._chunk_scheduled = False
        if not self._pending_rows:
            return
        chunk, self._pending_rows = self._pending_rows[:CHUNK_ROWS], self._pending_rows[CHUNK_ROWS:]
        self._add_rows(chunk)
        if self._pending_rows:
            self._schedule_chunk()
        else:
            self._schedule_sort()

    def _flush_pending(self) -> None:
        """Add every row still waiting (before a sort or a jump to a row)."""
        if self._pending_rows:
            rows, self._pending_rows = self._pending_rows, []
            self._add_rows(rows)

    def _add_rows(self, rows: Iterable[str]) -> None:
        for row in rows:
            key = key_of(row)
            cells = self._row_cells(key)
            self.add_row(*[cells[c] for c in self._visible], key=row)
            self._cells[row] = {c: _signature(cells[c]) for c in self._visible}
            self._sort_values[row] = self._sort_value(key)
            self._order.append(row)

    def update_resource(self, key: Key) -> None:
        """Update the changed cells of one row; schedule a re-sort if the order may change."""
        self.update_resources((key,))

    def update_resources(self, keys: Iterable[Key]) -> None:
        """Repaint only the cells whose text changed; schedule a re-sort if the order may change."""
        changed: list[tuple[str, str]] = []
        resort = False
        for key in keys:
            row = row_key(key)
            known = self._cells.get(row)
            if known is None:
                continue  # not shown, or still waiting in a chunk (built from the store then)
            data = self._data.get(RowKey(row))
            if data is None:
                continue
            cells = self._row_cells(key)
            for column in self._visible:
                value = cells[column]
                signature = _signature(value)
                if known.get(column) != signature:
                    known[column] = signature
                    data[ColumnKey(column)] = value
                    changed.append((row, column))
            sort_value = self._sort_value(key)
            if self._sort_values.get(row) != sort_value:
                self._sort_values[row] = sort_value
                resort = True
        if changed:
            self._repaint_cells(changed)
        if resort:
            self._schedule_sort()

    def _repaint_cells(self, cells: list[tuple[str, str]]) -> None:
        """Invalidate the render caches once, then repaint just these cells if on screen.

        Regions are worked out here (every row is one line): DataTable's own cell and row
        regions sum the heights of all rows above, O(rows) per cell.
        """
        self._update_count += 1
        if not self.display:
            return
        top, bottom = self._visible_rows()
        rows = self._row_locations
        on_screen = [(index, column) for row, column in cells
                     if (index := rows.get(RowKey(row))) is not None and top <= index < bottom]
        if len(on_screen) > CELL_REPAINT_MAX:
            self.refresh()
            return
        spans = self._column_spans()
        header = self.header_height if self.show_header else 0
        for index, column in on_screen:
            span = spans.get(column)
            if span is not None:
                self._refresh_region(Region(span[0], index + header, span[1], 1))

    def _visible_rows(self) -> tuple[int, int]:
        """Indexes of the first row on screen and one past the last."""
        top = int(self.scroll_y)
        return top, top + self.scrollable_content_region.height + 1

    def _column_spans(self) -> dict[str, tuple[int, int]]:
        """Each shown column's x offset and width on the table's canvas."""
        spans: dict[str, tuple[int, int]] = {}
        x = self._row_label_column_width
        for column in self.ordered_columns:
            width = column.get_render_width(self)
            spans[str(column.key.value)] = (x, width)
            x += width
        return spans

    def _refresh_rows(self, indexes: Iterable[int]) -> None:
        header = self.header_height if self.show_header else 0
        width = max(self.virtual_size.width, self.size.width)
        for index in indexes:
            self._refresh_region(Region(0, index + header, width, 1))

    def relabel_all(self) -> None:
        self.update_resources([key_of(row) for row in self._cells])

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
        in_bps, out_bps = self.store.rates(key)
        cells["in"] = Text(format_rate(in_bps, bytes_mode=bytes_mode), justify="right")
        cells["out"] = Text(
            format_rate(out_bps, bytes_mode=bytes_mode), justify="right",
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
            in_bps, out_bps = self.store.rates(key)
            rate = out_bps if self.sort_mode == "out" else in_bps
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
        """A re-sort soon, but not within SORT_INTERVAL_S of the last nor while navigating."""
        if self._sort_timer is not None:
            return
        now = monotonic()
        wait = max(SORT_DEBOUNCE_S, self._last_sort_at + SORT_INTERVAL_S - now,
                   self._nav_at + NAV_HOLD_S - now)
        self._sort_timer = self.set_timer(wait, self._sort_due)

    def _sort_due(self) -> None:
        self._sort_timer = None
        if not self.display:
            return  # hidden: showing the overview sorts it
        if monotonic() < self._nav_at + NAV_HOLD_S:
            self._schedule_sort()
            return
        self.apply_sort()

    def apply_sort(self) -> None:
        """Sort now, but only if the order actually changes; repaint only the rows that moved.

        The highlighted resource keeps the cursor and, where the scroll range allows, the same
        line on screen.
        """
        self._flush_pending()
        self._last_sort_at = monotonic()
        wanted = sorted(self._cells, key=lambda row: self._sort_value(key_of(row)))
        for row in wanted:
            self._sort_values[row] = self._sort_value(key_of(row))
        if wanted == self._order:
            return
        if self.follow_top:
            old = self._order
            self._order = wanted
            if not self._reorder(wanted, old):
                self.sort("name", key=lambda name_cell: self._sort_value(name_cell.row_key))
            self.move_cursor(row=0, animate=False)
            self.scroll_to(y=0, animate=False, immediate=True)
            return
        highlighted = self.highlighted_key()
        screen_line = self.cursor_row - round(self.scroll_y)
        old = self._order
        self._order = wanted
        if not self._reorder(wanted, old):
            self.sort("name", key=lambda name_cell: self._sort_value(name_cell.row_key))
        if highlighted is None:
            return
        index = self._row_locations.get(RowKey(row_key(highlighted)))
        if index is None:
            return
        header = self.header_height if self.show_header else 0
        visible_rows = self.scrollable_content_region.height - header
        if self.display and visible_rows > 0 and 0 <= screen_line < visible_rows:
            top = max(0, min(index - screen_line, self.row_count - visible_rows))
            if top != round(self.scroll_y):
                self.scroll_to(y=top, animate=False, immediate=True)
        self.move_cursor(row=index, animate=False)

    def _reorder(self, wanted: list[str], old: list[str]) -> bool:
        """Put rows in ``wanted`` order, repainting the visible lines that changed.

        DataTable.sort repaints the whole table; this sets the same row map and refreshes only
        the rows whose resource moved. False when Textual's internals differ (use sort()).
        """
        try:
            from textual._two_way_dict import TwoWayDict
        except ImportError:  # pragma: no cover - a Textual without it: the public sort
            return False
        if set(self._row_locations) != {RowKey(row) for row in wanted}:
            return False
        self._row_locations = TwoWayDict({RowKey(row): index for index, row in enumerate(wanted)})
        self._update_count += 1
        top, bottom = self._visible_rows()
        self._refresh_rows(
            index for index in range(top, min(len(wanted), bottom))
            if index >= len(old) or old[index] != wanted[index]
        )
        return True

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
        if row in self._pending_rows:
            self._flush_pending()
        try:
            index = self.get_row_index(row)
        except Exception:  # noqa: BLE001 - row not shown (filtered out)
            return False
        self.move_cursor(row=index, animate=False)
        return True

    # The user is navigating: hold automatic re-sorts so rows do not jump under the cursor, and
    # stop keeping the cursor on the top row (the busiest resource) as the order changes.
    def _navigated(self) -> None:
        self._nav_at = monotonic()
        self.follow_top = False

    def on_click(self) -> None:
        self.follow_top = False

    def action_cursor_down(self) -> None:
        self._navigated()
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        self._navigated()
        super().action_cursor_up()

    def action_page_down(self) -> None:
        self._navigated()
        super().action_page_down()

    def action_page_up(self) -> None:
        self._navigated()
        super().action_page_up()

    def action_scroll_top(self) -> None:
        self._navigated()
        super().action_scroll_top()

    def action_scroll_bottom(self) -> None:
        self._navigated()
        super().action_scroll_bottom()


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
