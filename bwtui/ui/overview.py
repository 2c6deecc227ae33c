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
from bwtui.ui.format import STATUS_STYLES, format_bytes, format_rate, glyph, safe_text, sparkline
from bwtui.ui.store import Key, UiStore

SPARK_WIDTH = 15
SORT_DEBOUNCE_S = 0.5
SORT_MODES = ("out", "in", "name")

COLUMNS: tuple[tuple[str, str], ...] = (
    ("status", ""),
    ("name", "name"),
    ("out", "out"),
    ("in", "in"),
    ("trend", "out, last hours"),
    ("period_out", "period out"),
    ("period_in", "period in"),
    ("projected", "proj. out"),
    ("account", "account"),
)


def row_key(key: Key) -> str:
    return f"{key[0]}\x1f{key[1]}"


def key_of(row: str) -> Key:
    account, _, resource_id = row.partition("\x1f")
    return (account, resource_id)


class OverviewTable(DataTable[Text]):
    """All resources; enter opens the highlighted one."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="overview-down"),
        Binding("k", "cursor_up", "Up", show=False, id="overview-up"),
    ]

    def __init__(
        self,
        store: UiStore,
        *,
        ascii_only: bool = False,
        projected: Callable[[ResourceState], int | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.store = store
        self.ascii_only = ascii_only
        self.projected = projected
        self.bytes_mode = False
        self.name_filter = ""
        self.sort_mode = "out"
        self._cells: dict[str, dict[str, str]] = {}
        self._order: list[str] = []
        self._sort_timer: Any = None

    def on_mount(self) -> None:
        for column_key, label in COLUMNS:
            self.add_column(label, key=column_key)
        self.rebuild()

    # ----- rows -----------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Re-create all rows (resource list or filter changed)."""
        if not self.is_mounted:
            return
        highlighted = self.highlighted_key()
        self.clear()
        self._cells.clear()
        resources = self.store.resources(self.name_filter)
        rows = []
        for resource in resources:
            cells = self._row_cells(resource.key)
            rows.append((row_key(resource.key), cells))
        for key, cells in sorted(rows, key=lambda item: self._sort_value(key_of(item[0]))):
            self.add_row(*[cells[c] for c, _ in COLUMNS], key=key)
            self._cells[key] = {c: _signature(cells[c]) for c, _ in COLUMNS}
        self._order = [k for k, _ in sorted(rows, key=lambda i: self._sort_value(key_of(i[0])))]
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
        for column, value in cells.items():
            signature = _signature(value)
            if known.get(column) != signature:
                known[column] = signature
                self.update_cell(row, column, value, update_width=True)
        self._schedule_sort()

    def relabel_all(self) -> None:
        for row in list(self._cells):
            self.update_resource(key_of(row))

    def _row_cells(self, key: Key) -> dict[str, Text]:
        state = self.store.states.get(key)
        status = self.store.status(key)
        bytes_mode = self.bytes_mode
        cells: dict[str, Text] = {
            "status": Text(glyph(status, ascii_only=self.ascii_only), style=STATUS_STYLES[status]),
        }
        if state is None:
            name, account = safe_text(key[1]), safe_text(key[0])
            cells.update(name=KeyedText(name, key), account=Text(account))
            for column in ("trend", "in", "out", "period_in", "period_out", "projected"):
                cells[column] = Text("-")
            return cells
        cells["name"] = KeyedText(safe_text(state.resource.name, max_len=28), key)
        cells["account"] = Text(safe_text(state.resource.account, max_len=16), style="dim")
        outs = [s.out_bps for s in state.history]
        if not outs:
            from bwtui.providers.base import Period

            series = self.store.series.get((key, Period.DAY))
            outs = [s.out_bps for s in series.samples] if series is not None else []
        cells["trend"] = Text(
            sparkline(outs, SPARK_WIDTH, ascii_only=self.ascii_only), style="magenta"
        )
        cells["in"] = Text(format_rate(state.in_bps, bytes_mode=bytes_mode), justify="right")
        cells["out"] = Text(
            format_rate(state.out_bps, bytes_mode=bytes_mode), justify="right", style="bold"
        )
        usage = state.usage
        cells["period_in"] = Text(
            format_bytes(usage.period_in_bytes if usage else None), justify="right"
        )
        cells["period_out"] = Text(
            format_bytes(usage.period_out_bytes if usage else None), justify="right"
        )
        projected = self.projected(state) if self.projected is not None else None
        cells["projected"] = Text(format_bytes(projected), justify="right")
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
        for column_key, label in COLUMNS:
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
