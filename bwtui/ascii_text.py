"""Width-preserving ASCII for anything drawn on an ASCII-only terminal.

:func:`to_ascii` turns a line of terminal text into ASCII that takes exactly the same number of
cells, so a screen laid out for Unicode stays aligned: box drawing becomes ``- | +``, block and
braille glyphs become density characters, typographic marks their usual ASCII spelling, accented
letters their base letter, and anything else one ``?`` per cell. The monitor's ASCII mode runs every
line through it as a last step (views also choose ASCII glyphs themselves; this is the net that
catches what a library draws).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from rich.cells import get_character_cell_size

# Single characters with an obvious one-cell ASCII spelling.
_TABLE: dict[str, str] = {
    "·": ".", "•": "*", "…": "~", "‥": ":", "–": "-", "—": "-", "―": "-", "‐": "-", "−": "-",
    "‘": "'", "’": "'", "‚": ",", "“": '"', "”": '"', "„": '"', "«": "<", "»": ">",
    "→": ">", "←": "<", "↑": "^", "↓": "v", "↔": "=", "⇄": "=", "⇆": "=", "⇒": ">", "⇐": "<",
    "▲": "^", "▼": "v", "▶": ">", "◀": "<", "▸": ">", "◂": "<", "▴": "^", "▾": "v",
    "×": "x", "÷": "/", "±": "+", "≥": ">", "≤": "<", "≈": "~", "≠": "#", "°": "o", "µ": "u",
    "●": "o", "○": "o", "◐": "%", "◑": "%", "◆": "*", "◇": "*", "■": "#", "□": "#",
    "✖": "x", "✗": "x", "✘": "x", "✓": "v", "✔": "v", "⧖": "R", "◷": "R", "‖": "|", "¦": "|",
    "€": "E", "£": "L", "¥": "Y", "¢": "c", "§": "S", "¶": "P", "©": "C", "®": "R", "™": "T",
    "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ",
    # Block elements: eighths and halves as density, edges as lines.
    "▁": "_", "▂": ".", "▃": "-", "▄": ":", "▅": "=", "▆": "+", "▇": "*", "█": "#",
    "▔": "-", "▀": "^", "▕": "|", "▏": "|", "▎": "|", "▍": "|", "▌": "|", "▋": "|", "▊": "|",
    "▉": "#", "▐": "|", "░": ".", "▒": ":", "▓": "#",
    "▖": ".", "▗": ".", "▘": "'", "▝": "'", "▚": ":", "▞": ":", "▙": "#", "▛": "#", "▜": "#", "▟": "#",
}


def _box(char: str) -> str | None:
    """Box drawing (U+2500–U+257F) as ``-``, ``|`` or ``+`` (diagonals as slashes)."""
    if not "\u2500" <= char <= "\u257f":
        return None
    if char == "╱":
        return "/"
    if char == "╲":
        return "\\"
    if char == "╳":
        return "X"
    name = unicodedata.name(char, "")
    if " AND " in name or "ARC" in name or "CROSS" in name:
        return "+"
    if "HORIZONTAL" in name or name.endswith(("LEFT", "RIGHT")):
        return "-"
    if "VERTICAL" in name or name.endswith(("UP", "DOWN")):
        return "|"
    return "+"


def _braille(char: str) -> str | None:
    """Braille (U+2800–U+28FF, plotting dots) as a density: blank, ``.``, ``:`` or ``#``."""
    code = ord(char) - 0x2800
    if not 0 <= code <= 0xFF:
        return None
    dots = bin(code).count("1")
    return " " if dots == 0 else "." if dots <= 2 else ":" if dots <= 5 else "#"


def _char(char: str) -> str:
    width = get_character_cell_size(char)
    if width <= 0:
        return ""  # combining marks and zero-width characters take no cell
    simple = _TABLE.get(char) or _box(char) or _braille(char)
    if simple is not None and width == 1:
        return simple
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if c.isascii() and c.isprintable())
    if base and len(base) == width:
        return base
    return "?" * width


@lru_cache(maxsize=4096)
def to_ascii(text: str) -> str:
    """``text`` in ASCII, one cell for one cell (``"├─ ● …"`` → ``"+- o ~"``)."""
    if text.isascii():
        return text
    return "".join(c if c.isascii() else _char(c) for c in text)
