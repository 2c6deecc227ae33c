"""The user's own set-up in the monitor: remembered choices and remapped keys.

A mixin for :class:`bwtui.ui.app.BwtuiApp`. Choices (theme, units, view, sort) live in a
:class:`bwtui.prefs.PrefsKeeper` and are applied at start (without a remembered view, the first
one follows the fleet's size) and remembered as they change; the config's ``[keys]`` table goes
to Textual's ``set_keymap`` (the command palette's key, which ``App.__init__`` reads, is set
before it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.app import App

from bwtui.prefs import PrefsKeeper
from bwtui.session.rows import SORT_COLUMNS


class ChoicesMixin(App[int]):
    """Prefs applied and remembered; keys remapped."""

    prefs: PrefsKeeper
    keymap: dict[str, str]
    bytes_mode: bool
    overview_threshold: int

    def _take_keymap(self, keymap: Mapping[str, str] | None) -> None:
        """Keep the remapping for mount; the palette's key now (call before App.__init__)."""
        self.keymap = dict(keymap or {})
        if "command-palette" in self.keymap:
            self.COMMAND_PALETTE_BINDING = self.keymap.pop("command-palette")

    def _apply_choices(self) -> None:
        """On mount: the keymap, then the remembered units, sort and view."""
        self.set_keymap(self.keymap)
        self.theme_changed_signal.subscribe(self, lambda theme: self._remember(theme=theme.name))
        app: Any = self
        prefs = self.prefs.prefs
        for widget in (app.tree, app.overview, app.detail):
            widget.bytes_mode = self.bytes_mode
        if prefs.sort in SORT_COLUMNS:
            app.session.rows.sort_column = prefs.sort
            app.session.rows.descending = bool(prefs.sort_descending)
        # A remembered view stays where it was put (no switch to the overview past 15 rows).
        app._set_mode(prefs.view or self.default_view(), chosen=prefs.view is not None)

    def default_view(self) -> str:
        """The view while none was chosen: the overview when the accounts hold more than
        ``overview_threshold`` resources, as far as is known (at mount, listings that arrived
        before the view count too: the core started first), else the detail view. Opening a
        big fleet on the detail view and switching a moment later made and styled the detail
        pane and the sidebar for nothing."""
        app: Any = self
        known = max(app.store.resource_count(), app.source.listed_early)
        return "overview" if known > self.overview_threshold else "detail"

    def _remember(self, **changes: Any) -> None:
        problem = self.prefs.remember(**changes)
        if problem:
            self.notify(problem, severity="warning", markup=False)

    def _remember_sort(self) -> None:
        rows = self.session.rows  # type: ignore[attr-defined]
        self._remember(sort=rows.sort_column, sort_descending=rows.descending)
