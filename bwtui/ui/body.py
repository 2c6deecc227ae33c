"""The monitor's body: the sidebar (name filter, account tree) and the main pane, which shows
the selected resource's detail or the overview of every resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.events import Key as KeyEvent
from textual.message import Message
from textual.widgets import Input

from bwtui.billing import BillingFigures
from bwtui.model import ResourceState
from bwtui.session.store import Key, MonitorStore
from bwtui.text import safe_text
from bwtui.ui.detail import ResourceDetail
from bwtui.ui.text_panel import TextPanel
from bwtui.ui.overview import OverviewTable
from bwtui.ui.sidebar import ResourceTree


class MonitorBody(Horizontal):
    """Sidebar and main pane; switches between detail and overview, and runs the name filter."""

    class FilterClosed(Message):
        """The user is done with the filter box (the filter itself stays as typed)."""

    def __init__(
        self,
        store: MonitorStore,
        *,
        now: Callable[[], float],
        billing_text: Callable[[ResourceState], Text | None],
        billing: Callable[[ResourceState], BillingFigures | None],
        ascii_only: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._store = store
        self._now = now
        self._billing_text = billing_text
        self._billing = billing
        self._ascii_only = ascii_only

    def compose(self) -> ComposeResult:
        with Vertical(id="sidebar"):
            yield Input(placeholder="filter by name", id="filter")
            yield TextPanel(id="filter-label")
            yield ResourceTree(self._store, ascii_only=self._ascii_only, id="tree")
        with Container(id="main"):
            yield ResourceDetail(self._store, ascii_only=self._ascii_only, now=self._now,
                                 billing=self._billing_text, id="detail")
            yield OverviewTable(self._store, ascii_only=self._ascii_only, billing=self._billing,
                                id="overview")

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#filter-label").display = False

    def show(self, *, overview: bool, picked: Key | None) -> None:
        """The overview (opening on ``picked``, a resource the user chose) or the detail pane."""
        table = self.query_one(OverviewTable)
        self.query_one("#sidebar").display = not overview
        self.query_one(ResourceDetail).display = not overview
        table.display = overview
        if overview:
            table.apply_sort()
            if picked is not None:
                table.follow_top = False
                table.highlight(picked)
            table.focus()
        else:
            self.query_one(ResourceDetail).refresh_data()
            self.query_one(ResourceTree).focus()

    # ----- the name filter -----------------------------------------------------------------
    def open_filter(self) -> None:
        """Show the filter box (and the sidebar it lives in) and type into it."""
        box = self.query_one("#filter", Input)
        self.query_one("#sidebar").display = True
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        value = event.value
        tree, table = self.query_one(ResourceTree), self.query_one(OverviewTable)
        tree.name_filter = table.name_filter = value
        tree.rebuild()
        table.rebuild()
        label = self.query_one("#filter-label", TextPanel)
        if value.strip():
            label.set_text(Text.assemble(("filter: ", "bold"), safe_text(value)))
        label.display = bool(value.strip())

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self._close_filter()

    def on_key(self, event: KeyEvent) -> None:
        if event.key == "escape" and self.app.focused is self.query_one("#filter", Input):
            self._close_filter()
            event.stop()

    def _close_filter(self) -> None:
        self.query_one("#filter", Input).display = False
        self.post_message(self.FilterClosed())
