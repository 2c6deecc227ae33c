"""The monitor's theme on this terminal, and the line filters that make every theme readable.

:mod:`bwtui.themes` decides which themes a terminal gets (16 colours: the ANSI ones; NO_COLOR:
``mono``); this module registers them with the app (and only them: the palette's theme list is
what was tested) and builds the filters each line goes through: Textual's own, then no colour at
all for NO_COLOR (instead of Textual's greyscale, where a magenta series turned dark grey on
black), the contrast guard of the current theme, and ASCII for an ASCII-only terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import App
from textual.filter import LineFilter, Monochrome, NoColor

from bwtui import themes
from bwtui.terminal import ColorDepth
from bwtui.ui.ascii_filter import AsciiFilter
from bwtui.ui.theme_defs import DARK_NAMED, LIGHT_NAMED, THEME_DEFS, guard_for

_ASCII = AsciiFilter()
_NO_COLOR = NoColor()


def install_themes(app: App[object], requested: str | None, colors: ColorDepth, no_color: bool) -> str:
    """Register the themes this terminal is offered, switch to the resolved one; returns its name."""
    offered = themes.offered(colors, no_color)
    for name in offered:
        app.register_theme(THEME_DEFS[name])
    # Set quietly: the theme set next always differs from Textual's default, and its watcher
    # refreshes the ANSI colour filter from these and restyles once (each of these watchers
    # restyled too: a whole stylesheet parse more at start-up, for the same result).
    app.set_reactive(App.ansi_theme_dark, DARK_NAMED)
    app.set_reactive(App.ansi_theme_light, LIGHT_NAMED)
    chosen = themes.resolve(requested, colors, no_color)
    _set_theme_before_start(app, chosen)
    app.set_class(chosen == themes.MONO, "-mono")
    for name in list(app.available_themes):
        if name not in offered:
            app.unregister_theme(name)
    return chosen


def _set_theme_before_start(app: App[object], name: str) -> None:
    """Switch to theme ``name`` before the app runs: what ``App.theme``'s watcher does, but
    without queueing a restyle. The app's first stylesheet parse reads the theme's variables
    anyway; the watcher's queued ``refresh_css`` would parse the whole stylesheet again and
    restyle every widget once more before the first frame, for the same result."""
    app.set_reactive(App.theme, app._validate_theme(name))
    theme = app.current_theme
    classes = {cls: False for cls in app.classes if cls.startswith("-theme-")}
    classes.update({f"-theme-{theme.name}": True, "-dark-mode": theme.dark,
                    "-light-mode": not theme.dark})
    app.update_classes(classes, update=False)
    app._refresh_truecolor_filter(app.ansi_theme)
    app.stylesheet.set_variables(app.get_css_variables())
    app.call_next(app.theme_changed_signal.publish, theme)


def line_filters(app: App[object], textual: Sequence[LineFilter], *, no_color: bool,
                 ascii_only: bool, depth: ColorDepth) -> list[LineFilter]:
    """Textual's filters, then no colour (NO_COLOR) or the theme's contrast guard, then ASCII."""
    filters = [f for f in textual if not (no_color and isinstance(f, Monochrome))]
    if no_color:
        filters.append(_NO_COLOR)
    elif app.theme in THEME_DEFS:
        filters.append(guard_for(app.theme, depth))
    if ascii_only:
        filters.append(_ASCII)
    return filters
