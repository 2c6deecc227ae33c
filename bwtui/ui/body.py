"""The monitor's body: the sidebar (name filter, account tree) and the main pane, which shows
the selected resource's detail or the overview of every resource.

The name filter lives in the session's :class:`~bwtui.session.rows.ResourceRows`; both views
read it, so a typed character, a backspace or ``Esc`` changes the model and each view redraws
its screenful (no widget is rebuilt). The selection follows: a resource the filter hides is
no longer shown in the detail.

Where the filter is typed depends on the view: beside the detail it is a box over the sidebar's
tree; over the overview (no sidebar) a one-line bar above the table, so the table keeps its
width and columns while the user types, and the hidden tree is brought up to date only when
it is shown again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.events import Key as KeyEvent
from textual.message import Message
from textual.widgets import Input

from bwtui.model import ResourceState
from bwtui.session.detail_text import account_problem_lines
from bwtui.session.rows import ResourceRows
from bwtui.session.status import glyph
from bwtui.session.store import Key, MonitorStore
from bwtui.text import safe_text
from bwtui.ui.detail import ResourceDetail
from bwtui.ui.filter_box import FilterBox
from bwtui.ui.text_panel import TextPanel
from bwtui.ui.overview import OverviewTable
from bwtui.ui.sidebar import ResourceTree


class MonitorBody(Horizontal):
    """Sidebar and main pane; switches between detail and overview, and runs the name filter."""

    BINDINGS = [
        # priority: taken as the key arrives (before the keys typed after it reach the view),
        # so text typed or pasted straight after '/' goes into the box
        Binding("slash", "filter", "Filter", id="filter", priority=True),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="clear-filter"),
    ]

    class FilterClosed(Message):
        """The user is done with the filter box (the filter itself stays as typed)."""

    def __init__(
        self,
        store: MonitorStore,
        rows: ResourceRows,
        *,
        now: Callable[[], float],
        billing_text: Callable[[ResourceState], Text | None],
        filter_changed: Callable[[], None] = lambda: None,
        ascii_only: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._store = store
        self._rows = rows
        self._now = now
        self._billing_text = billing_text
        self._filter_changed_cb = filter_changed  # the header's note, redrawn in the same frame
        self._ascii_only = ascii_only

    def compose(self) -> ComposeResult:
        with Vertical(id="sidebar"):
            yield FilterBox(self._edited, placeholder="filter by name", id="filter")
            yield TextPanel(id="filter-label")
            yield ResourceTree(self._store, self._rows, ascii_only=self._ascii_only, now=self._now,
                               id="tree")
        with Container(id="main"):
            with Horizontal(id="filter-bar"):
                yield TextPanel(Text("filter"), id="filter-bar-label")
                yield FilterBox(self._edited, placeholder="by name  (enter keeps it, esc clears it)",
                                id="overview-filter", compact=True)
            yield TextPanel(id="account-problems")  # over the overview: accounts with no rows
            yield ResourceDetail(self._store, rows=self._rows, ascii_only=self._ascii_only, now=self._now,
                                 billing=self._billing_text, id="detail")
            yield OverviewTable(self._store, self._rows, now=self._now, ascii_only=self._ascii_only,
                                id="overview")

    def on_mount(self) -> None:
        self.query_one("#account-problems").display = False
        for box in self._boxes():
            self._set_open(box, False)
        self.query_one("#filter-label").display = False
        self._tree_stale = False  # the filter changed while the tree was hidden

    def _boxes(self) -> tuple[FilterBox, FilterBox]:
        """The sidebar's filter box and the overview's filter bar."""
        return self.query_one("#filter", FilterBox), self.query_one("#overview-filter", FilterBox)

    def _is_open(self, box: FilterBox) -> bool:
        return bool(box.display if box.id == "filter" else self.query_one("#filter-bar").display)

    def _set_open(self, box: FilterBox, shown: bool) -> None:
        (box if box.id == "filter" else self.query_one("#filter-bar")).display = shown

    def show(self, *, overview: bool, picked: Key | None) -> None:
        """The overview (opening on ``picked``, a resource the user chose) or the detail pane."""
        table = self.query_one(OverviewTable)
        box, bar = self._boxes()
        # While the filter box is open (the user is typing), it stays on screen and keeps the
        # focus, whatever switches the view (the overview comes up when a big list arrives).
        typing = self._is_open(box) or (self._is_open(bar) and overview)
        if self._is_open(bar) and not overview:
            self._set_open(bar, False)  # the detail has the sidebar's box; the filter stays
        was_shown = table.display
        sidebar = not overview or self._is_open(box)
        self.query_one("#sidebar").display = sidebar
        if sidebar and self._tree_stale:
            self._tree_stale = False
            self.query_one(ResourceTree).rebuild(announce=True, restate=True)
        self.query_one(ResourceDetail).display = not overview
        table.display = overview
        self.refresh_problems()
        if overview:
            if not was_shown:  # on screen, it keeps its own order (a re-sort is due on a timer)
                table.apply_sort()
            if picked is not None:
                table.follow_top = False
                table.highlight(picked)
            if not typing:
                table.focus()
        else:
            self.query_one(ResourceDetail).refresh_data()
            if not typing:
                self.query_one(ResourceTree).focus()

    def refresh_problems(self) -> None:
        """Over the overview, every failing account with its error and the fix (an account that
        lists nothing has no row to show it on); hidden when none fails or in the detail view."""
        panel = self.query_one("#account-problems", TextPanel)
        lines = account_problem_lines(
            self._store.accounts.values(), glyph_of=lambda status: glyph(status, ascii_only=self._ascii_only))
        if lines:
            panel.set_text(Text.assemble(*lines))
        panel.display = bool(lines) and self.query_one(OverviewTable).display

    # ----- the name filter -----------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In the filter box, '/' is text."""
        return not (action == "filter" and isinstance(self.app.focused, Input))

    def action_filter(self) -> None:
        self.open_filter()

    def action_clear_filter(self) -> None:
        self.clear_filter()

    def open_filter(self) -> None:
        """Show the filter box (over the sidebar, or the bar over the overview when there is no
        sidebar) and type into it. It holds the current filter, selected: typing replaces it,
        enter keeps it, an empty box clears it."""
        box, bar = self._boxes()
        if not self.query_one("#sidebar").display and self.query_one(OverviewTable).display:
            box = bar
        box.value = self._rows.filter_text  # the current filter (no change: nothing to do)
        self._set_open(box, True)
        # At once, not with focus() (a callback queued behind the keys already typed): text
        # typed or pasted straight after '/' goes into the box, not to the view's bindings.
        self.screen.set_focus(box)

    def _edited(self, value: str) -> None:
        """A filter box's text changed (typed, or set to the current filter)."""
        if self.is_mounted and value != self._rows.filter_text:
            self.apply_filter(value)

    def apply_filter(self, value: str) -> None:
        """Filter both views by name; the sidebar's cursor (so the selection) follows, at once
        when the sidebar is on screen, else when it is shown again."""
        self._rows.set_filter(value)
        if self.query_one("#sidebar").display:
            self.query_one(ResourceTree).rebuild(announce=True)
        else:
            self._tree_stale = True
        self.query_one(OverviewTable).refresh_rows()
        label = self.query_one("#filter-label", TextPanel)
        if value.strip():
            label.set_text(Text.assemble(("filter: ", "bold"), safe_text(value)))
        label.display = bool(value.strip())
        detail = self.query_one(ResourceDetail)
        if detail.key is not None and not self._rows.is_shown(detail.key):
            detail.show(None)  # nothing matches: the detail never shows a hidden resource
        self._filter_changed_cb()

    def clear_filter(self) -> bool:
        """Turn the filter off (``Esc``); False when there was none."""
        boxes = self._boxes()
        was_on = self._rows.filtering or any(box.value for box in boxes)
        if was_on:
            self.apply_filter("")
        for box in boxes:
            box.value = ""  # the filter is off already: nothing more to do
        return was_on

    @on(Input.Submitted, "#filter, #overview-filter")
    def _filter_submitted(self) -> None:
        self._close_filter()

    def on_key(self, event: KeyEvent) -> None:
        if event.key == "escape" and self.app.focused in self._boxes():
            self.clear_filter()
            self._close_filter()
            event.stop()

    def _close_filter(self) -> None:
        for box in self._boxes():
            self._set_open(box, False)
        self.post_message(self.FilterClosed())
