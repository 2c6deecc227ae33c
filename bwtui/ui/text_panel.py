"""A Static that redraws only when its text or styles change."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
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
        resized = self._may_resize(text)
        self.plain = text.plain
        self.update(text, layout=resized)
        return True

    def _may_resize(self, text: Text) -> bool:
        """Whether ``text`` may change this panel's size, so the screen must be laid out again
        (a whole-screen pass): not when its height is fixed and its width is too or stays, nor
        while it is off screen."""
        styles = self.styles
        height, width = styles.height, styles.width
        if height is None or height.is_auto:
            return True
        if not self.size:
            return False  # not on screen (it or a parent hidden): showing it lays it out
        if width is None or not width.is_auto:
            return False
        return text.cell_len != cell_len(self.plain) or "\n" in text.plain or "\n" in self.plain
