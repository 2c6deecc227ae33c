"""The overview: every resource in one table, sorted by any column, with totals (the incident glance).

A line-API view (:class:`~textual.scroll_view.ScrollView` with ``render_line``): it draws only
the lines on screen, so its cost does not grow with the number of resources. Which rows, in
what order, and their totals come from the session's :class:`~bwtui.session.rows.ResourceRows`;
what each cell says from :mod:`bwtui.session.columns`. Nothing is built per resource: a filter,
a sort or ``Esc`` changes the model and repaints the screenful.

Line 0 is the header (click a label to sort by it, again to reverse), then the rows, then the
totals (per account when there are several, and overall), pinned at the bottom. A poll repaints
only the cells whose text changed. Re-sorting after polls is calm: at most once per
``SORT_INTERVAL_S``, never within ``NAV_HOLD_S`` of the user moving the cursor, and the
highlighted resource keeps the cursor and its place on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import zip_longest
from time import monotonic
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from bwtui.session.columns import (
    BY_KEY,
    GAP,
    Cell,
    Layout,
    header_cells,
    layout_columns,
    row_cells,
    totals_cells,
)
from bwtui.session.rows import ResourceRows, Totals
from bwtui.session.store import Key, MonitorStore
from bwtui.ui.line_view import repaint_lines

SORT_DEBOUNCE_S = 0.5  # a re-sort waits this long for a burst of updates to end
SORT_INTERVAL_S = 5.0  # automatic re-sorts at most this often
NAV_HOLD_S = 3.0  # no automatic re-sort this soon after the user moved the cursor
AGE_TICK_S = 30.0  # how often the age column is looked at again
CACHE_SCREENS = 3  # rendered rows kept: this many screenfuls


def row_key(key: Key) -> str:
    """A resource key as one string (ids for tests and links)."""
    return f"{key[0]}\x1f{key[1]}"


def key_of(row: str) -> Key:
    account, _, resource_id = row.partition("\x1f")
    return (account, resource_id)


class OverviewTable(ScrollView, can_focus=True):
    """All resources; enter (or a click on the highlighted row) opens the highlighted one."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "overview--header", "overview--cursor", "overview--totals", "overview--total-all",
    }
    DEFAULT_CSS = """
    OverviewTable {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        & > .overview--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .overview--header { background: ansi_bright_blue; color: ansi_default; }
        & > .overview--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .overview--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .overview--totals { background: $panel; color: $foreground; }
        & > .overview--total-all { background: $panel; color: $foreground; text-style: bold; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="overview-down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="overview-up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="overview-page-down"),
        Binding("pageup", "page_up", "Page up", show=False, id="overview-page-up"),
        Binding("home", "scroll_top", "Top", show=False, id="overview-top"),
        Binding("end", "scroll_bottom", "Bottom", show=False, id="overview-bottom"),
        Binding("enter", "open", "Open", show=False, id="overview-open"),
    ]

    class Highlighted(Message):
        """The cursor moved to another resource."""

        def __init__(self, key: Key) -> None:
            super().__init__()
            self.key = key

    class Selected(Message):
        """The user opened a resource (enter, or a click on the highlighted row)."""

        def __init__(self, key: Key) -> None:
            super().__init__()
            self.key = key

    def __init__(
        self,
        store: MonitorStore,
        rows: ResourceRows,
        *,
        now: Callable[[], float],
        ascii_only: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.rows = rows
        self.now = now
        self.ascii_only = ascii_only
        self.bytes_mode = False
        self._order: list[Key] = []
        self._index: dict[Key, int] | None = None
        self._cursor: Key | None = None
        self._layout: Layout | None = None
        self._cells: dict[Key, list[Cell]] = {}
        self._strips: dict[Key, Strip] = {}
        self._totals_cells: list[list[Cell]] = []
        self._plan: tuple[object, int, list[tuple[str, Totals]]] | None = None
        self._styles: dict[str, Style] = {}
        self._base: Style | None = None
        self._sort_timer: Any = None
        self._last_sort_at = float("-inf")
        self._nav_at = float("-inf")
        # Until the user moves it, the cursor stays on the top row: the incident glance.
        self.follow_top = True

    # ----- what is shown ------------------------------------------------------------------
    def on_mount(self) -> None:
        self.refresh_rows()
        self.set_interval(AGE_TICK_S, self._age_tick)

    def on_resize(self) -> None:
        # A new width lays the columns out again (and drops the rows drawn for the old one);
        # a new height keeps them: the filter box closing or an alert box opening resizes only.
        self._current_layout()
        self._update_virtual_size()

    def column_x(self, column: str) -> int | None:
        """Where ``column`` starts on screen (None: not shown at this width)."""
        for key, start, _ in self._current_layout().spans:
            if key == column:
                return start
        return None

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def ordered_keys(self) -> list[Key]:
        """The rows in screen order."""
        return list(self._order)

    def visible_keys(self) -> list[Key]:
        """The rows on screen now (what the poller should keep fresh first)."""
        top = round(self.scroll_y)
        return self._order[top:top + max(self.scrollable_content_region.height - 1, 0)]

    def refresh_rows(self) -> None:
        """The shown rows changed (listing, filter, sort): take them from the model and repaint."""
        self._order = self.rows.ordered()
        self._index = None
        self._totals_cells = []  # the totals are over the rows shown now
        if self._cursor is not None and not self.rows.is_shown(self._cursor):  # (no index built)
            self._cursor = None
        if self._cursor is None and self._order:
            self._cursor = self._order[0]
            self._announce()
        self._update_virtual_size()
        repaint_lines(self)

    # Old names the app and tests use: all mean "take the rows from the model again".
    def sync(self) -> None:
        self.refresh_rows()

    def rebuild(self) -> None:
        self.refresh_rows()

    def _update_virtual_size(self) -> None:
        width = self.scrollable_content_region.width or self.size.width
        size = Size(width, 1 + len(self._order) + len(self._totals_plan()))
        if size != self.virtual_size:  # a new size lays the screen out again: only when it moves
            self.virtual_size = size

    def _position(self, key: Key) -> int | None:
        if self._index is None:
            self._index = {found: index for index, found in enumerate(self._order)}
        return self._index.get(key)

    def _body_height(self) -> int:
        return max(0, self.scrollable_content_region.height - 1 - len(self._totals_plan()))

    def _visible(self) -> tuple[int, int]:
        top = round(self.scroll_y)
        return top, min(len(self._order), top + self._body_height())

    # ----- updates from polls -------------------------------------------------------------
    def update_resources(self, keys: Iterable[Key]) -> None:
        """Repaint only the cells whose text changed; schedule a re-sort if the order may change."""
        if self._layout is None:
            self._clear_cache()
            self.refresh()
        else:
            top, bottom = self._visible()
            width = self.scrollable_content_region.width
            for key in keys:
                index = self._position(key)
                if index is None or not top <= index < bottom:
                    self._cells.pop(key, None)
                    self._strips.pop(key, None)
                    continue
                old = self._cells.get(key)
                new = self._row_cells(key)
                if old == new:
                    continue
                self._cells[key] = new
                self._strips.pop(key, None)
                y = 1 + index - top
                if old is None or len(old) != len(new):
                    self.refresh(Region(0, y, width, 1))
                    continue
                for (key_x, start, span), before, after in zip(self._layout.spans, old, new):
                    if before != after:
                        self.refresh(Region(start, y, span, 1))
            self._refresh_totals()
        if self.rows.order_stale:
            self._schedule_sort()

    def relabel_all(self) -> None:
        """Units or pause changed: every visible cell may read differently."""
        self._clear_cache()
        repaint_lines(self)

    def _age_tick(self) -> None:
        if self.display and self._order:
            top, bottom = self._visible()
            self.update_resources(self._order[top:bottom])

    def _refresh_totals(self) -> None:
        plan = self._totals_plan()
        if len(plan) != len(self._totals_cells):
            self._update_virtual_size()
            self.refresh()
            return
        layout = self._current_layout()
        height = self.scrollable_content_region.height
        for offset, (label, totals) in enumerate(plan):
            cells = self._total_cells(label, totals, layout)
            if cells != self._totals_cells[offset]:
                self._totals_cells[offset] = cells
                self.refresh(Region(0, height - len(plan) + offset, self.size.width, 1))

    def _clear_cache(self) -> None:
        self._cells.clear()
        self._strips.clear()
        self._totals_cells = []

    # ----- drawing ------------------------------------------------------------------------
    def _current_layout(self) -> Layout:
        width = self.scrollable_content_region.width or self.size.width or 120
        if self._layout is None or self._layout.width != width:
            self._layout = layout_columns(width, self._account_width(), ascii_only=self.ascii_only)
            self._clear_cache()
        return self._layout

    def _account_width(self) -> int:
        return max((cell_len(name) for name in self.store.accounts), default=8)

    def _row_cells(self, key: Key) -> list[Cell]:
        return row_cells(self.store, key, self.rows.values(key), self._current_layout(),
                         now=self.now(), bytes_mode=self.bytes_mode, ascii_only=self.ascii_only)

    def _totals_plan(self) -> list[tuple[str, Totals]]:
        """The totals lines: each account's (when several are shown) and the overall one.

        At most a quarter of the height goes to account lines; the rest fold into one line.
        """
        totals = self.rows.totals()
        height = self.scrollable_content_region.height or self.size.height
        if self._plan is not None and self._plan[0] is totals and self._plan[1] == height:
            return self._plan[2]
        plan = self._make_plan(totals, height)
        self._plan = (totals, height, plan)
        return plan

    def _make_plan(self, totals: tuple[list[Totals], Totals], height: int) -> list[tuple[str, Totals]]:
        accounts, overall = totals
        filtered = self.rows.filtering
        overall_label = f"{'shown' if filtered else 'all'} ({overall.rows:,})"
        if len(accounts) <= 1:
            return [(overall_label, overall)]
        room = max(0, height // 4 - 1)
        plan = [(f"{t.label} ({t.rows:,})", t) for t in accounts]
        if len(plan) > room:
            keep, rest = accounts[: max(0, room - 1)], accounts[max(0, room - 1):]
            plan = [(f"{t.label} ({t.rows:,})", t) for t in keep]
            if room > 0:
                plan.append((f"{len(rest)} more accounts", _sum_totals(rest)))
        return [*plan, (overall_label, overall)]

    def _total_cells(self, label: str, totals: Totals, layout: Layout) -> list[Cell]:
        return totals_cells(totals, layout, label=label, bytes_mode=self.bytes_mode,
                            ascii_only=self.ascii_only)

    def _style(self, style: str) -> Style:
        found = self._styles.get(style)
        if found is None:
            found = self._styles[style] = Style.parse(style) if style else Style()
        return found

    def _strip(self, cells: list[Cell], layout: Layout, base: Style, *, spill: bool = False,
               over: Style | None = None) -> Strip:
        """One line from its cells, each fitted to its column; with ``spill`` (the header) a
        right-aligned cell may take the gap before it; ``over`` (the cursor) goes on top of
        every cell's own style."""
        width = self.size.width
        ellipsis = "~" if self.ascii_only else "…"
        # Runs of one style become one segment (a gap and a plain cell, say): fewer segments
        # for Textual to cut, filter and write out on every line drawn.
        texts: list[str] = []
        styles: list[Style] = []

        def add(text: str, style: Style) -> None:
            if styles and styles[-1] is style:
                texts[-1] += text
            else:
                texts.append(text)
                styles.append(style)

        x = 0
        for (text, style), (key, start, span) in zip(cells, layout.spans):
            length = cell_len(text)
            if spill and length > span and BY_KEY[key].right and start - GAP >= x:
                start, span = start - GAP, span + GAP
            if start > x:
                add(" " * (start - x), base)
            if length > span:
                text = set_cell_size(text, max(0, span - 1)) + ellipsis if span > 1 else text[:span]
            elif length < span:
                pad = " " * (span - length)
                text = pad + text if BY_KEY[key].right else text + pad
            cell_style = base + self._style(style) if style else base
            add(text, cell_style + over if over is not None else cell_style)
            x = start + span
        if width > x:
            add(" " * (width - x), base)
        segments = [Segment(text, style) for text, style in zip(texts, styles)]
        if x > width:  # narrower than its layout for a moment (a resize under way)
            return Strip(segments, x).crop(0, width)
        return Strip(segments, width)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._base = self.rich_style  # once a pass, not once a line
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        layout = self._current_layout()
        base = self._base if self._base is not None else self.rich_style
        height = self.scrollable_content_region.height
        if y == 0:
            cells = header_cells(layout, self.rows.sort_column, self.rows.descending,
                                 ascii_only=self.ascii_only)
            return self._strip(cells, layout, base + self.get_component_rich_style("overview--header"),
                               spill=True)
        plan = self._totals_plan()
        first_total = height - len(plan)
        if y >= first_total:
            offset = y - first_total
            if len(self._totals_cells) != len(plan):
                self._totals_cells = [self._total_cells(label, totals, layout) for label, totals in plan]
            component = "overview--total-all" if offset == len(plan) - 1 else "overview--totals"
            return self._strip(self._totals_cells[offset], layout,
                               base + self.get_component_rich_style(component))
        index = round(self.scroll_y) + y - 1
        if index >= len(self._order):
            return Strip.blank(self.size.width, base)
        key = self._order[index]
        cells = self._cells.get(key)
        if cells is None:
            cells = self._cells[key] = self._row_cells(key)
            self._prune()
        if key == self._cursor:
            cursor = self.get_component_rich_style("overview--cursor")
            return self._strip(cells, layout, base + cursor, over=cursor)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._strip(cells, layout, base)
        return strip

    def _prune(self) -> None:
        """Keep the rendered rows to a few screenfuls (memory stays flat at any fleet size)."""
        limit = max(64, CACHE_SCREENS * max(1, self._body_height()))
        if len(self._cells) <= limit:
            return
        top, bottom = self._visible()
        keep = set(self._order[top:bottom])
        for key in [k for k in self._cells if k not in keep][: len(self._cells) - limit // 2]:
            self._cells.pop(key, None)
            self._strips.pop(key, None)

    def on_focus(self) -> None:
        self._refresh_cursor_line()

    def on_blur(self) -> None:
        self._refresh_cursor_line()

    # ----- sorting ------------------------------------------------------------------------
    def cycle_sort(self) -> str:
        """Sort by the next column (out rate → in rate → period out → ...); returns its key."""
        column = self.rows.cycle_sort()
        self._after_sort()
        return column

    def sort_by(self, column: str) -> None:
        """Sort by ``column`` (again: the other way round)."""
        self.rows.sort_by(column)
        self._after_sort()

    @property
    def sort_mode(self) -> str:
        return self.rows.sort_column

    @sort_mode.setter
    def sort_mode(self, column: str) -> None:
        self.rows.sort_column = column
        self.rows.descending = column not in ("name", "account")
        self.rows.order_stale = True

    def _schedule_sort(self) -> None:
        """A re-sort soon, but not within SORT_INTERVAL_S of the last (unless that one had no
        figure to sort by, as when the list came before its data) nor while navigating."""
        if self._sort_timer is not None:
            return
        now = monotonic()
        interval = 0.0 if self.rows.sorted_blind else SORT_INTERVAL_S
        wait = max(SORT_DEBOUNCE_S, self._last_sort_at + interval - now,
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
        """Sort now; repaint only if the order changed. The highlighted resource keeps the
        cursor and, where the scroll range allows, its line on screen."""
        self._last_sort_at = monotonic()
        if not self.rows.order_stale and self._order == self.rows.ordered():
            return  # already in order: nothing to sort (showing the overview costs no sort)
        screen_line = self._cursor_screen_line()
        if not self.rows.resort() and self._order == self.rows.ordered():
            return
        self._after_sort(screen_line, moved_only=True)

    def _after_sort(self, screen_line: int | None = None, *, moved_only: bool = False) -> None:
        """Show the rows in their new order. ``moved_only`` (the same sort, new figures): repaint
        only the lines that now show another row, since a row draws the same wherever it sits;
        two rows trading places are two lines, not the whole table, on screen and over SSH."""
        if screen_line is None:
            screen_line = self._cursor_screen_line()
        top_before = round(self.scroll_y)
        shown_before = self._order[top_before:top_before + self._body_height()]
        self._order = self.rows.ordered()
        self._index = None
        if self.follow_top or self._cursor is None:
            self._set_cursor(0 if self._order else None)
            self.scroll_to(y=0, animate=False, immediate=True)
        else:
            index = self._position(self._cursor)
            if index is None:
                self._set_cursor(0 if self._order else None)
            elif screen_line is not None and 0 <= screen_line < self._body_height():
                top = max(0, min(index - screen_line, len(self._order) - self._body_height()))
                self.scroll_to(y=top, animate=False, immediate=True)
        top = round(self.scroll_y)
        if not moved_only or top != top_before:
            repaint_lines(self)
            return
        shown = self._order[top:top + self._body_height()]
        width = self.scrollable_content_region.width
        for y, (before, after) in enumerate(zip_longest(shown_before, shown)):
            if before != after:
                self.refresh(Region(0, 1 + y, width, 1))

    def _cursor_screen_line(self) -> int | None:
        index = self._position(self._cursor) if self._cursor is not None else None
        return None if index is None else index - round(self.scroll_y)

    # ----- the cursor ---------------------------------------------------------------------
    def highlighted_key(self) -> Key | None:
        return self._cursor if self._cursor is not None and self._order else None

    @property
    def cursor_row(self) -> int:
        index = self._position(self._cursor) if self._cursor is not None else None
        return 0 if index is None else index

    def highlight(self, key: Key) -> bool:
        """Put the cursor on ``key``; False when it is not shown (filtered out)."""
        index = self._position(key)
        if index is None:
            return False
        self._set_cursor(index)
        return True

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        if self._order:
            self._set_cursor(max(0, min(row, len(self._order) - 1)))

    def _set_cursor(self, index: int | None) -> None:
        old = self._cursor
        self._cursor = None if index is None or not self._order else self._order[index]
        if index is not None and self._order:
            self._scroll_into_view(index)
        if old != self._cursor:
            self._refresh_key_line(old)
            self._refresh_key_line(self._cursor)
            self._announce()

    def _announce(self) -> None:
        if self._cursor is not None:
            self.post_message(self.Highlighted(self._cursor).set_sender(self))

    def _scroll_into_view(self, index: int) -> None:
        body = self._body_height()
        top = round(self.scroll_y)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif body > 0 and index >= top + body:
            self.scroll_to(y=index - body + 1, animate=False, immediate=True)

    def _refresh_key_line(self, key: Key | None) -> None:
        if key is None:
            return
        index = self._position(key)
        if index is None:
            return
        y = 1 + index - round(self.scroll_y)
        if 1 <= y <= self._body_height():
            self.refresh(Region(0, y, self.size.width, 1))

    def _refresh_cursor_line(self) -> None:
        self._refresh_key_line(self._cursor)

    # The user is navigating: hold automatic re-sorts so rows do not jump under the cursor, and
    # stop keeping the cursor on the top row (the busiest resource) as the order changes.
    def _navigated(self) -> None:
        self._nav_at = monotonic()
        self.follow_top = False

    def _step(self, delta: int) -> None:
        self._navigated()
        if self._order:
            self._set_cursor(max(0, min(len(self._order) - 1, self.cursor_row + delta)))

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_cursor_up(self) -> None:
        self._step(-1)

    def action_page_down(self) -> None:
        self._step(max(1, self._body_height() - 1))

    def action_page_up(self) -> None:
        self._step(-max(1, self._body_height() - 1))

    def action_scroll_top(self) -> None:
        self._step(-len(self._order))

    def action_scroll_bottom(self) -> None:
        self._step(len(self._order))

    def action_open(self) -> None:
        if self._cursor is not None:
            self.post_message(self.Selected(self._cursor).set_sender(self))

    def on_click(self, event: events.Click) -> None:
        """A header label sorts by its column (again: reversed); a row click moves the cursor,
        a click on the highlighted row opens it."""
        if event.y == 0:
            column = self._current_layout().column_at(event.x)
            if column is not None:
                self.sort_by(column)
            return
        self.follow_top = False
        index = round(self.scroll_y) + event.y - 1
        if event.y > self._body_height() or not 0 <= index < len(self._order):
            return
        if self._order[index] == self._cursor:
            self.action_open()
        else:
            self._navigated()
            self._set_cursor(index)


def _sum_totals(parts: list[Totals]) -> Totals:
    """Several accounts' totals as one line (None where none of them knows the figure)."""

    def total(values: list[Any]) -> Any:
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    return Totals(
        label="more", rows=sum(t.rows for t in parts), in_bps=total([t.in_bps for t in parts]),
        out_bps=total([t.out_bps for t in parts]),
        period_in_bytes=total([t.period_in_bytes for t in parts]),
        period_out_bytes=total([t.period_out_bytes for t in parts]),
        overage_usd=total([t.overage_usd for t in parts]), priced=sum(t.priced for t in parts),
    )
