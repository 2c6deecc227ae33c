"""Make untrusted text (names, hostnames, provider messages) safe to show literally.

:func:`printable` escapes what a terminal may act on instead of showing; :func:`safe_text` is the
one helper every screen and command uses for untrusted text (printable, and capped in length).
The result still has to be shown as plain text (``Text(s)``/``Content(s)``), never as markup.
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls, DEL and C1 controls: anything a terminal may act on instead of showing.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _visible(match: re.Match[str]) -> str:
    return _escape(match.group())


def printable(text: str) -> str:
    """``text`` with every control or format character replaced by a visible escape.

    C0/C1 controls and DEL become ``\\xNN``; other non-printing code points (Unicode category
    ``C``: bidi overrides, zero-width and format characters, private use, unassigned) ``\\uNNNN``.
    """
    if text.isascii():
        return _CONTROL.sub(_visible, text)
    return "".join(_escape(c) if unicodedata.category(c)[0] == "C" else c for c in text)


def safe_text(value: object, *, max_len: int | None = None) -> str:
    """Untrusted text made harmless for a terminal, cut to ``max_len`` characters with ``…``."""
    text = printable("" if value is None else str(value))
    if max_len is not None and len(text) > max_len:
        text = text[: max(0, max_len - 1)] + "…"
    return text
