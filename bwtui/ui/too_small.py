"""Below the smallest size bwtui can lay out, one clear screen instead of a broken one.

:data:`MIN_COLUMNS` × :data:`MIN_ROWS` is where the overview still shows name, out and in, and
the detail a chart of 5 rows with its stats and totals. Smaller, the app covers everything with
:class:`TooSmallScreen` ("terminal too small (need 60×15)") until the terminal grows again;
``q`` still quits.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Static

MIN_COLUMNS, MIN_ROWS = 60, 15


def too_small_text(size: Size, *, ascii_only: bool = False) -> Text:
    """What the screen says: the size needed and the size there is."""
    times = "x" if ascii_only else "×"
    text = Text(justify="center")
    text.append("terminal too small\n", style="bold")
    text.append(f"need {MIN_COLUMNS}{times}{MIN_ROWS}, have {size.width}{times}{size.height}\n")
    text.append("enlarge it, or q to quit")
    return text


class TooSmallScreen(Screen[None]):
    """Covers the app while the terminal is below the minimum size."""

    BINDINGS = [Binding("q", "app.quit", "Quit", id="too-small-quit")]

    def __init__(self, size: Size, *, ascii_only: bool = False) -> None:
        super().__init__()
        self._size = size
        self.ascii_only = ascii_only

    def compose(self) -> ComposeResult:
        yield Static(too_small_text(self._size, ascii_only=self.ascii_only), id="too-small-text")

    def show_size(self, size: Size) -> None:
        self._size = size
        self.query_one("#too-small-text", Static).update(
            too_small_text(size, ascii_only=self.ascii_only))


def fits(size: Size) -> bool:
    """Whether the app can be laid out at ``size``."""
    return size.width >= MIN_COLUMNS and size.height >= MIN_ROWS


def guard_size(app: App[object], size: Size, *, ascii_only: bool = False) -> None:
    """Show, update or remove the too-small screen for a terminal of ``size``."""
    covering = next((s for s in app.screen_stack if isinstance(s, TooSmallScreen)), None)
    if fits(size):
        while covering is not None and covering in app.screen_stack:
            app.pop_screen()  # the cover, and anything opened above it meanwhile
        return
    if covering is None:
        app.push_screen(TooSmallScreen(size, ascii_only=ascii_only))
    else:
        covering.show_size(size)
