"""Contrast between a foreground and a background colour, as WCAG 2 defines it (no Textual).

Colours are ``(r, g, b)`` tuples, or an ANSI colour number 0–15, or ``None`` for the terminal's
default. A terminal's 16 colours are its own: an ANSI colour is judged in two common palettes
(xterm's, and the Linux console's VGA one) and the worse result counts, so a pair that passes
reads on either. The floors bwtui keeps (and its tests check on screen):

* :data:`TEXT_FLOOR` = 4.5 for letters and digits (WCAG 2 AA for normal text, 1.4.3);
* :data:`GLYPH_FLOOR` = 3.0 for every other visible glyph: marks, lines, bars, braille (WCAG 2
  AA for graphical objects and large text, 1.4.11).
"""

from __future__ import annotations

import re

from collections.abc import Sequence

RGB = tuple[int, int, int]
Colour = RGB | int | None  # exact, ANSI 0-15, or the terminal's default

TEXT_FLOOR = 4.5
GLYPH_FLOOR = 3.0


def _hex(*codes: str) -> tuple[RGB, ...]:
    return tuple((int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)) for c in codes)


# The first 16 colours of xterm (as pyte and Rich know them) and of the Linux console (VGA).
XTERM = _hex("000000", "cd0000", "00cd00", "cdcd00", "0000ee", "cd00cd", "00cdcd", "e5e5e5",
             "7f7f7f", "ff0000", "00ff00", "ffff00", "5c5cff", "ff00ff", "00ffff", "ffffff")
VGA = _hex("000000", "aa0000", "00aa00", "aa5500", "0000aa", "aa00aa", "00aaaa", "aaaaaa",
           "555555", "ff5555", "55ff55", "ffff55", "5555ff", "ff55ff", "55ffff", "ffffff")
PALETTES: tuple[tuple[RGB, ...], ...] = (XTERM, VGA)
# The terminal's own foreground and background, assumed from the theme's darkness.
DARK_DEFAULTS = (7, 0)  # light grey on black
LIGHT_DEFAULTS = (0, 15)  # black on white


def luminance(rgb: RGB) -> float:
    """WCAG relative luminance of an sRGB colour."""

    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def ratio(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio, 1.0 (same) to 21.0 (black on white)."""
    la, lb = luminance(a), luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def _in(palette: Sequence[RGB], colour: Colour, default: int) -> RGB:
    if colour is None:
        return palette[default]
    if isinstance(colour, int):
        return palette[colour]
    return colour


def worst_ratio(fg: Colour, bg: Colour, *, dark: bool = True) -> float:
    """The contrast of ``fg`` on ``bg`` in the worse of the common palettes.

    ``None`` is the terminal's default (light on dark for a dark theme, dark on light for a light
    one). Exact colours are the same in every palette.
    """
    default_fg, default_bg = DARK_DEFAULTS if dark else LIGHT_DEFAULTS
    return min(ratio(_in(p, fg, default_fg), _in(p, bg, default_bg)) for p in PALETTES)


_LETTER_OR_DIGIT = re.compile(r"[^\W_]")  # a word character that is not "_"


def floor_for(text: str) -> float:
    """The floor a piece of text must reach: text's if it holds a letter or digit, else glyphs'.
    (Runs on every new segment drawn: a regular expression, not a Python loop per character.)"""
    return TEXT_FLOOR if _LETTER_OR_DIGIT.search(text) else GLYPH_FLOOR
