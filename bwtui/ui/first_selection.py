"""The first selection at start-up: the first resource in tree (config) order, once every
account has listed or failed.

Until the user moves, the selection is the first resource in tree order, whichever account
happened to answer first. At start-up it waits (at most :data:`AUTO_SELECT_WAIT_S`) until every
account has listed or failed: the lists decide between the detail and the overview, and a detail
drawn for the first account's first resource was replaced by the overview a moment later once
the others arrived (about a tenth of the start-up work, for nothing).
"""

from __future__ import annotations

from functools import partial
from textual.app import App
from textual.timer import Timer

from bwtui.session.store import Key, MonitorStore
from bwtui.ui.sidebar import ResourceTree

AUTO_SELECT_WAIT_S = 1.0  # the longest the first selection waits for the other accounts' lists


class FirstSelectionMixin(App[int]):
    """The app's automatic first selection (see the module's docstring); the app provides
    ``selected``, ``selected_account``, ``store``, ``tree`` and ``select_resource``."""

    selected: Key | None
    selected_account: str | None
    store: MonitorStore
    tree: ResourceTree
    _auto_selected: Key | None = None
    _auto_select_timer: Timer | None = None

    def _auto_select(self, *, waited: bool = False) -> None:
        """Select the first resource unless the user chose (``waited``: the wait is over)."""
        nothing_chosen = self.selected is None and self.selected_account is None
        if not (nothing_chosen or (self._auto_selected is not None and self.selected == self._auto_selected)):
            return
        if nothing_chosen and not waited and self.store.lists_pending():
            if self._auto_select_timer is None:
                self._auto_select_timer = self.set_timer(AUTO_SELECT_WAIT_S,
                                                         partial(self._auto_select, waited=True))
            return
        if self._auto_select_timer is not None:
            self._auto_select_timer.stop()
            self._auto_select_timer = None
        first = self.tree.first_resource()
        if first is not None and first != self.selected:
            self.tree.select_data(("resource", first))
            self.select_resource(first)
            self._auto_selected = first

    def select_resource(self, key: Key) -> None:
        """Show ``key`` (the app's own)."""
        raise NotImplementedError
