"""The monitor's screen: a focus change restyles what it concerns, not the whole screen.

Textual's ``Screen.focused`` is a reactive that repaints: every focus change (``/`` into the
filter, ``Esc`` back to the table, ``o``, ``tab``) redrew every widget on screen a second time
in the same frame, after the layout pass had drawn what changed. The focused and blurred
widgets restyle themselves (their ``:focus`` rules); this screen keeps that and drops the
repaint.
"""

from __future__ import annotations

from typing import Any

from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget


class MonitorScreen(Screen[Any]):
    """``Screen`` whose ``focused`` reactive does not repaint the whole screen."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
