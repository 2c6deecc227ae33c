"""The chart's keys: time cursor, zoom, compare, period tables and the provider's image.

Every binding has an ``id`` (for ``App.set_keymap``). The cursor keys (arrows, Home, End) are
priority bindings, so they reach the chart while the sidebar has focus; they are active only in
the detail view with a resource selected and no text box focused, so the overview table and
the filter box keep their own arrow keys.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widgets import Input

CHART_BINDINGS = [
    Binding("left", "chart('cursor', -1)", "Earlier", show=False, priority=True, id="cursor-left"),
    Binding("right", "chart('cursor', 1)", "Later", show=False, priority=True, id="cursor-right"),
    Binding("h", "chart('cursor', -1)", "Earlier", show=False, id="cursor-left-h"),
    Binding("l", "chart('cursor', 1)", "Later", show=False, id="cursor-right-l"),
    Binding("H", "chart('cursor', -12)", "Much earlier", show=False, id="cursor-left-far"),
    Binding("L", "chart('cursor', 12)", "Much later", show=False, id="cursor-right-far"),
    Binding("home", "chart('home')", "Oldest", show=False, priority=True, id="cursor-home"),
    Binding("end", "chart('end')", "Newest", show=False, priority=True, id="cursor-end"),
    Binding("m", "chart('peak')", "Peak", show=False, id="cursor-peak"),
    Binding("x", "chart('clear')", "Hide cursor", show=False, id="cursor-clear"),
    Binding("4", "chart('zoom', '1h')", "1 h", show=False, id="zoom-1h"),
    Binding("5", "chart('zoom', '6h')", "6 h", show=False, id="zoom-6h"),
    Binding("plus,equals_sign", "chart('zoom', 'in')", "Zoom in", show=False, id="zoom-in"),
    Binding("minus", "chart('zoom', 'out')", "Zoom out", show=False, id="zoom-out"),
    Binding("z", "chart('window')", "Window", show=False, id="zoom-window"),
    Binding("c", "chart('compare')", "Compare", show=False, id="compare"),
    Binding("t", "chart('tables')", "Tables", show=False, id="period-tables"),
    Binding("i", "chart('image')", "Provider graph", show=False, id="provider-image"),
]

# Verbs that need the detail view's chart; the others work on the overview's highlighted row too.
CHART_ONLY = frozenset({"cursor", "home", "end", "peak", "clear", "zoom", "window", "compare"})

KEYS_HELP: tuple[tuple[str, str], ...] = (
    ("← → h l H L", "time cursor: a point / an hour earlier or later"),
    ("home end m x", "time cursor: oldest / newest / peak / hide (or click the chart)"),
    ("4 5 1 2 3", "chart: last 1 h / 6 h / day / week / the billing period"),
    ("+ - z c", "zoom in / out · type a window (-6h..now) · compare with earlier"),
    ("t i", "period tables (hour, day, billing period) · provider graph"),
)


def chart_keys_active(app: Any, verb: str) -> bool:
    """Whether a chart key does something now (else the key goes to the focused widget)."""
    if len(app.screen_stack) > 1:
        return False
    if isinstance(app.focused, Input):
        return False
    if verb in CHART_ONLY:
        return app.view_mode == "detail" and app.selected is not None
    return app.selected is not None or (app.view_mode == "overview" and app.overview.highlighted_key() is not None)
