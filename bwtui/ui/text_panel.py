"""A Static that redraws only when its text or styles change."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static


# One-for-one stand-ins, so a Text's spans stay where they were.
ASCII_STAND_INS = str.maketrans({"·": "-", "…": ".", "←": "<", "→": ">", "▲": "^", "⇄": "=", "–": "-",
                                 "—": "-", "≈": "~", "×": "x"})


def ascii_text(text: Text) -> Text:
    """``text`` with its few non-ASCII marks replaced (for ``--ascii``); styles kept."""
    plain = text.plain.translate(ASCII_STAND_INS)
    return Text(plain, style=text.style, spans=list(text.spans), no_wrap=text.no_wrap,
                overflow=text.overflow)


class TextPanel(Static):
    """A Static that ignores updates whose text and styles are unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signature: str | None = None
        self.plain = ""  # what it shows, as plain text
        self.ascii_only = False  # set it to show only ASCII (marks are replaced one for one)

    def set_text(self, text: Text) -> bool:
        if self.ascii_only:
            text = ascii_text(text)
        signature = text.plain + "\x00" + repr(text.spans)
        if signature == self._signature:
            return False
        self._signature = signature
        self.plain = text.plain
        self.update(text)
        return True
