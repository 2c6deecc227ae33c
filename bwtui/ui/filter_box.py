"""The name filter's text box: every edit filters at once, in the frame that echoes it.

Textual's ``Input`` reports an edit with a ``Changed`` message, handled after the screen has
drawn the echo: each key cost two frames (and two layout passes at fleet scale). This box
calls back from its value's watcher instead, so the echo and the filtered list are drawn
together, and sends no ``Changed`` at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.widgets import Input


class FilterBox(Input):
    """An ``Input`` that calls ``on_edit(value)`` whenever its value changes (typed or set)."""

    def __init__(self, on_edit: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_edit = on_edit

    def watch_value(self, value: str) -> None:
        self._on_edit(value)

    def post_message(self, message: Message) -> bool:
        """``Changed`` is not sent: the watcher has filtered already (it bubbled up to the app
        for nothing, at every key)."""
        if isinstance(message, Input.Changed):
            return False
        return super().post_message(message)
