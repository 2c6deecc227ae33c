"""Which colour theme the monitor uses on this terminal (names only: no Textual).

bwtui has four themes: ``default`` (dark) and ``light`` in exact colours, and ``ansi`` /
``ansi-light``, drawn in the terminal's own 16 colours (for a dark or a light terminal
background). Exact colours mean nothing on a 16-colour terminal (shades collapse into one), so
there ``default`` becomes ``ansi`` and ``light`` becomes ``ansi-light``. With ``NO_COLOR`` there is
one theme, ``mono``: the terminal's own foreground and background, marks told apart by shape,
bold and reverse video.
"""

from __future__ import annotations

from bwtui.terminal import ColorDepth

THEMES: tuple[str, ...] = ("default", "light", "ansi", "ansi-light")
MONO = "mono"
LIGHT_THEMES = frozenset({"light", "ansi-light"})
_ON_FEW_COLOURS = {"default": "ansi", "light": "ansi-light"}


def offered(colors: ColorDepth, no_color: bool) -> tuple[str, ...]:
    """The themes that make sense on this terminal, in the order ``t`` cycles through them."""
    if no_color:
        return (MONO,)
    if colors in ("none", "16"):
        return ("ansi", "ansi-light")
    return THEMES


def resolve(requested: str | None, colors: ColorDepth, no_color: bool) -> str:
    """The theme to use for ``requested`` (a name from :data:`THEMES`; unknown: ``default``)."""
    if no_color:
        return MONO
    name = requested if requested in THEMES else "default"
    if colors in ("none", "16"):
        return _ON_FEW_COLOURS.get(name, name)
    return name


def next_theme(current: str, colors: ColorDepth, no_color: bool) -> str:
    """The theme after ``current`` in :func:`offered` order (wrapping round)."""
    names = offered(colors, no_color)
    if current not in names:
        return names[0]
    return names[(names.index(current) + 1) % len(names)]
