"""How the monitor draws on and reads this terminal: its line filters, its size guard, the
theme key, its screen (focus changes repaint only what they concern) and the driver that hands
a lone Esc over after ``ESCDELAY``.

A mixin for :class:`bwtui.ui.app.BwtuiApp` (which sets ``ascii_only``, ``no_color`` and
``color_depth``): the themes and filters are :mod:`bwtui.ui.theming`'s, the size guard
:mod:`bwtui.ui.too_small`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual import events
from textual.app import App
from textual.driver import Driver
from textual.filter import LineFilter
from textual.screen import Screen

from bwtui.terminal import ColorDepth
from bwtui.themes import next_theme
from bwtui.ui.driver import driver_for
from bwtui.ui.monitor_screen import MonitorScreen
from bwtui.ui.theming import line_filters
from bwtui.ui.too_small import guard_size


class LookMixin(App[int]):
    """Filters (NO_COLOR or the contrast guard, ASCII), "too small", ``T`` for the next theme,
    and the driver."""

    ascii_only: bool
    color_depth: ColorDepth

    def get_default_screen(self) -> Screen[Any]:
        """The monitor's screen: a focus change repaints what it concerns (:mod:`.monitor_screen`),
        born with the size classes of the terminal it starts in (see :func:`size_classes`)."""
        screen = MonitorScreen(id="_default")
        for name in size_classes(self, screen):  # type: ignore[arg-type]
            screen.set_class(True, name, update=False)
        return screen

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this platform, with Esc handed over on time (:mod:`.driver`)."""
        return driver_for(super().get_driver_class())

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then NO_COLOR or the theme's contrast guard, then ASCII."""
        return line_filters(self, super().get_line_filters(), no_color=self.no_color,
                            ascii_only=self.ascii_only, depth=self.color_depth)

    def on_resize(self, event: events.Resize) -> None:
        guard_size(self, event.size, ascii_only=self.ascii_only)  # below 60x15: "too small"

    def action_next_theme(self) -> None:
        """T: the next theme this terminal offers (remembered through the theme signal)."""
        self.theme = next_theme(self.theme, self.color_depth, self.no_color)
        self.notify(f"Theme: {self.theme}", timeout=2, markup=False)


def size_classes(app: App[Any], screen: Screen[Any]) -> set[str]:
    """The breakpoint classes (``-narrow``, ``-tall``...) the first resize would give ``screen``.

    Textual sets them when the screen gets its first Resize, after the whole screen has been
    styled once without them; adding a class to the screen then restyles every widget again
    (about a tenth of the work before the first frame). Given at birth, the first resize finds
    them already there and changes nothing."""
    width, height = app.size
    if not width or not height:
        return set()
    horizontal = app.HORIZONTAL_BREAKPOINTS or []
    vertical = app.VERTICAL_BREAKPOINTS or []
    return (screen._get_breakpoint_classes(width, horizontal)
            | screen._get_breakpoint_classes(height, vertical))
