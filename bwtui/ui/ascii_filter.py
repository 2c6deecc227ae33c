"""ASCII mode's last step: every line Textual draws goes through :func:`bwtui.ascii_text.to_ascii`.

Views pick ASCII glyphs themselves (status words, sparkline characters, tree guides, borders);
this line filter catches what a library draws on its own (scrollbars, the footer's separator, an
ellipsis, a name from a provider), so nothing above 0x7F ever reaches the terminal.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from bwtui.ascii_text import to_ascii


class AsciiFilter(LineFilter):
    """Replace every non-ASCII character with ASCII of the same width."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            segment if segment.text.isascii() else Segment(to_ascii(segment.text), segment.style,
                                                           segment.control)
            for segment in segments
        ]
