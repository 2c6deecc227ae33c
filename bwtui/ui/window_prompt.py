"""A small dialog to type a chart window: ``2026-01-15 03:00..2026-01-15 04:00`` or ``-6h..now``."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from bwtui.charts.window import WINDOW_HELP, Window, parse_window


class WindowPrompt(ModalScreen[Window | None]):
    """Returns the typed window, or None when cancelled (Esc, ctrl+c)."""

    DEFAULT_CSS = """
    WindowPrompt { align: center middle; }
    WindowPrompt > Vertical { width: 72; max-width: 100%; height: auto; padding: 1 2;
                              border: round $primary; background: $surface; }
    WindowPrompt #window-help { color: $foreground; }
    WindowPrompt #window-error { color: $text-error; height: auto; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="window-cancel")]

    def __init__(self, now: Callable[[], float], current: str = "") -> None:
        super().__init__()
        self.now = now
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Chart window", style="bold"))
            yield Static(Text(f"Type {WINDOW_HELP}.\nTimes are UTC; -30m, -6h, -2d, -1w count back from now."),
                         id="window-help")
            yield Input(value=self.current, placeholder="-6h..now", id="window-input")
            yield Static("", id="window-error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            window = parse_window(event.value, self.now())
        except ValueError as error:
            self.query_one("#window-error", Static).update(Text(str(error)))
            return
        self.dismiss(window)

    def action_cancel(self) -> None:
        self.dismiss(None)
