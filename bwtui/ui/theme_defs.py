"""bwtui's Textual themes, the colours named styles take in each, and the contrast guard.

* ``default`` and ``light`` draw in exact colours. Rich's named colours (``green``, ``magenta``...
  used by status marks and series) are mapped to shades chosen to read on each background (the
  app's ANSI→truecolour terminal themes).
* ``ansi`` and ``ansi-light`` send the terminal's own 16 colours, for a dark or a light terminal
  background; ``mono`` (NO_COLOR) sends none.
* :class:`ContrastGuard` is the last colour step: a cell whose colours fall below the floors of
  :mod:`bwtui.contrast` (in the worse of the xterm and Linux console palettes, for the 16 colours)
  gets the theme's plain text colour instead, so no glyph is ever drawn invisibly (a coloured mark
  on a cursor row, a dim label, a library's own palette).
"""

from __future__ import annotations

from functools import lru_cache

from rich.color import Color as RichColor
from rich.color import ColorSystem, ColorType
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import TerminalTheme
from textual.color import Color
from textual.filter import LineFilter
from textual.theme import Theme

from bwtui.contrast import Colour, floor_for, worst_ratio
from bwtui.terminal import ColorDepth
from bwtui.themes import MONO

# Named colours in the exact-colour themes: (black, red, green, yellow, blue, magenta, cyan, white)
# then the bright eight; each reads on its theme's background and surface at 4.5:1 or better.
DARK_NAMED = TerminalTheme(
    (18, 18, 18), (224, 224, 224),
    [(90, 90, 90), (255, 107, 107), (95, 215, 127), (240, 192, 64), (110, 168, 254),
     (232, 121, 232), (79, 214, 224), (208, 208, 208)],
    [(150, 150, 150), (255, 140, 140), (130, 235, 160), (255, 215, 100), (150, 190, 255),
     (245, 160, 245), (130, 230, 240), (255, 255, 255)],
)
LIGHT_NAMED = TerminalTheme(
    (245, 245, 245), (30, 30, 30),
    [(30, 30, 30), (179, 38, 30), (20, 108, 46), (138, 98, 0), (11, 87, 208),
     (135, 30, 120), (0, 95, 100), (96, 96, 96)],
    [(80, 80, 80), (160, 30, 25), (20, 110, 45), (120, 85, 0), (10, 75, 180),
     (140, 40, 125), (0, 100, 106), (70, 70, 70)],
)

_ANSI_VARIABLES = {
    "block-cursor-text-style": "bold",
    "footer-key-foreground": "ansi_default",
    "footer-description-foreground": "ansi_default",
    "input-cursor-text-style": "reverse",
    "border-blurred": "ansi_default",
}

THEME_DEFS: dict[str, Theme] = {
    "default": Theme(
        name="default",
        primary="#2a6fb0",
        secondary="#1f4f7a",
        accent="#f0b040",
        warning="#f0c040",
        error="#ff6b6b",
        success="#5fd77f",
        foreground="#e0e0e0",
        background="#121212",
        surface="#1b1b1b",
        panel="#262a30",
        dark=True,
        variables={
            "bw-rule": "#767676",
            "bw-frame": "#5f9fdf",
            "text-primary": "#4fd6e0",
            "text-accent": "#e879e8",
            "footer-key-foreground": "#f0b040",
            "footer-description-foreground": "#e0e0e0",
            "block-cursor-background": "#2a6fb0",
            "block-cursor-foreground": "#ffffff",
            "text-muted": "#a8a8a8",
        },
    ),
    "light": Theme(
        name="light",
        primary="#0b57d0",
        secondary="#3a6ea5",
        accent="#a0308f",
        warning="#8a6200",
        error="#b3261e",
        success="#146c2e",
        foreground="#1e1e1e",
        background="#f5f5f5",
        surface="#ececec",
        panel="#dedede",
        dark=False,
        variables={
            "bw-rule": "#767676",
            "bw-frame": "#0b57d0",
            "text-primary": "#005f64",
            "text-accent": "#871e78",
            "footer-key-foreground": "#0b57d0",
            "footer-description-foreground": "#1e1e1e",
            "block-cursor-background": "#0b57d0",
            "block-cursor-foreground": "#ffffff",
            "text-muted": "#555555",
        },
    ),
    "ansi": Theme(
        name="ansi",
        ansi=True,
        primary="ansi_blue",
        secondary="ansi_cyan",
        accent="ansi_bright_cyan",
        warning="ansi_bright_yellow",
        error="ansi_bright_red",
        success="ansi_bright_green",
        foreground="ansi_default",
        background="ansi_default",
        surface="ansi_default",
        panel="ansi_default",
        boost="ansi_default",
        dark=True,
        variables={
            **_ANSI_VARIABLES,
            "ansi-background": "ansi_black",
            "ansi-foreground": "ansi_white",
            "bw-rule": "ansi_white",
            "bw-frame": "ansi_bright_blue",
            "text-primary": "ansi_bright_cyan",
            "text-accent": "ansi_bright_magenta",
            "block-cursor-foreground": "ansi_black",
            "block-cursor-background": "ansi_white",
            "footer-key-foreground": "ansi_bright_cyan",
            "input-selection-background": "ansi_blue",
            "input-selection-foreground": "ansi_bright_white",
            "text-muted": "ansi_default",
        },
    ),
    "ansi-light": Theme(
        name="ansi-light",
        ansi=True,
        primary="ansi_blue",
        secondary="ansi_cyan",
        accent="ansi_magenta",
        warning="ansi_magenta",
        error="ansi_red",
        success="ansi_default",
        foreground="ansi_default",
        background="ansi_default",
        surface="ansi_default",
        panel="ansi_default",
        boost="ansi_default",
        dark=False,
        variables={
            **_ANSI_VARIABLES,
            "ansi-background": "ansi_white",
            "ansi-foreground": "ansi_black",
            "bw-rule": "ansi_black",
            "bw-frame": "ansi_blue",
            "text-primary": "ansi_blue",
            "text-accent": "ansi_magenta",
            "block-cursor-foreground": "ansi_bright_white",
            "block-cursor-background": "ansi_blue",
            "footer-key-foreground": "ansi_blue",
            "input-selection-background": "ansi_blue",
            "input-selection-foreground": "ansi_bright_white",
            "text-muted": "ansi_default",
        },
    ),
    MONO: Theme(
        name=MONO,
        ansi=True,
        primary="ansi_default",
        secondary="ansi_default",
        accent="ansi_default",
        warning="ansi_default",
        error="ansi_default",
        success="ansi_default",
        foreground="ansi_default",
        background="ansi_default",
        surface="ansi_default",
        panel="ansi_default",
        boost="ansi_default",
        dark=True,
        variables={
            **_ANSI_VARIABLES,
            "ansi-background": "ansi_default",
            "ansi-foreground": "ansi_default",
            "bw-rule": "ansi_default",
            "bw-frame": "ansi_default",
            "text-primary": "ansi_default",
            "text-accent": "ansi_default",
            "block-cursor-foreground": "ansi_default",
            "block-cursor-background": "ansi_default",
            "block-cursor-text-style": "reverse bold",
            "footer-key-foreground": "ansi_default",
            "text-muted": "ansi_default",
        },
    ),
}
# Variables the app's stylesheet uses beyond Textual's own (a theme may override them).
VARIABLE_DEFAULTS = {"bw-rule": "$foreground 45%", "bw-frame": "$primary"}


_SYSTEMS = {"256": ColorSystem.EIGHT_BIT, "16": ColorSystem.STANDARD, "none": ColorSystem.STANDARD}


def _colour(colour: RichColor | None, depth: ColorDepth = "truecolor") -> Colour:
    """A Rich colour as :mod:`bwtui.contrast` takes it (None: the terminal's default), as the
    terminal will show it: exact colours are first reduced to its palette (as Rich does)."""
    if colour is None or colour.type == ColorType.DEFAULT:
        return None
    system = _SYSTEMS.get(depth)
    if system is not None:
        colour = colour.downgrade(system)
    if colour.type in (ColorType.STANDARD, ColorType.EIGHT_BIT) and colour.number is not None \
            and colour.number < 16:
        return colour.number
    r, g, b = colour.get_truecolor()
    return (r, g, b)


def _rich(colour: Colour) -> RichColor:
    if colour is None:
        return RichColor.default()
    if isinstance(colour, int):
        return RichColor.from_ansi(colour)
    return RichColor.from_rgb(*colour)


class ContrastGuard(LineFilter):
    """Give a cell the plain text colour when its own falls below the contrast floor."""

    def __init__(self, *, dark: bool, ansi: bool, foreground: Colour, background: Colour,
                 depth: ColorDepth = "truecolor") -> None:
        super().__init__()
        self.dark = dark
        self.depth = depth
        # What a failing foreground may become, best first: the theme's text, then either extreme.
        self._candidates: tuple[Colour, ...] = (
            (None, 0, 15) if ansi else (foreground, background, (0, 0, 0), (255, 255, 255))
        )

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        base = self._base(background)
        guarded = self._guarded
        out = []
        for text, style, control in segments:
            if style is not None and control is None and text and not text.isspace():
                style = guarded(style, base, floor_for(text))
            out.append(Segment(text, style, control))
        return out

    @lru_cache(maxsize=64)  # noqa: B019 - a widget's background, once (Rich's conversion is slow)
    def _base(self, background: Color) -> Colour:
        transparent = background.ansi is None and background.a == 0
        return None if transparent else _colour(background.rich_color, self.depth)

    @lru_cache(maxsize=2048)  # noqa: B019 - one guard per theme, styles repeat endlessly
    def _guarded(self, style: Style, base: Colour, floor: float) -> Style:
        fg = _colour(style.color, self.depth)
        bg = _colour(style.bgcolor, self.depth) if style.bgcolor is not None else base
        if style.reverse:
            fg, bg = bg, fg
        if worst_ratio(fg, bg, dark=self.dark) >= floor:
            return style
        # An ANSI colour first tries its own hue in the other brightness (red -> bright red).
        candidates = ((fg ^ 8,) if isinstance(fg, int) else ()) + self._candidates
        best = next((c for c in candidates if worst_ratio(c, bg, dark=self.dark) >= floor),
                    max(candidates, key=lambda c: worst_ratio(c, bg, dark=self.dark)))
        if style.reverse:
            return style + Style(bgcolor=_rich(best))
        return style + Style(color=_rich(best))


@lru_cache(maxsize=16)
def guard_for(name: str, depth: ColorDepth = "truecolor") -> ContrastGuard:
    """The contrast guard for the theme called ``name`` on a terminal of ``depth`` colours."""
    theme = THEME_DEFS[name]
    if theme.ansi:
        return ContrastGuard(dark=theme.dark, ansi=True, foreground=None, background=None,
                             depth=depth)
    fg = Color.parse(theme.foreground or "#e0e0e0").rgb
    bg = Color.parse(theme.background or "#121212").rgb
    return ContrastGuard(dark=theme.dark, ansi=False, foreground=fg, background=bg, depth=depth)
