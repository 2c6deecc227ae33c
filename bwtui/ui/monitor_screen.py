"""The monitor's screen: a focus change restyles what it concerns, not the whole screen.

The screen gives the focus to nothing by itself: the app focuses what its view shows (the
overview's table, or the sidebar's tree) as it mounts. Textual's automatic focus went to the
first focusable widget, the sidebar's tree, hidden in the overview: it was restyled for the
focus and again for the blur when the table took it, before the first frame.

Its first resume restyles nothing: every widget was styled as it mounted, a moment before, and
Textual's resume restyled the whole screen again (a third of the styling work before the first
frame). Later resumes (a dialog or the help screen closed) restyle as Textual does.

Textual's ``Screen.focused`` is a reactive that repaints: every focus change (``/`` into the
filter, ``Esc`` back to the table, ``o``, ``tab``) redrew every widget on screen a second time
in the same frame, after the layout pass had drawn what changed. The focused and blurred
widgets restyle themselves (their ``:focus`` rules); this screen keeps that and drops the
repaint.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import events
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget


class MonitorScreen(Screen[Any]):
    """``Screen`` whose ``focused`` reactive does not repaint the whole screen."""

    AUTO_FOCUS: ClassVar[str | None] = ""  # None would mean the app's "*"

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    _resumed_before = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed_before:
            self._resumed_before = True
            event.refresh_styles = False  # styled as they mounted: see the module docstring
        super()._on_screen_resume(event)
