"""Pictures in the terminal: which protocol to use, and textual-image loaded safely.

``textual-image`` draws with the kitty graphics protocol, sixel, or coloured half-block cells.
On import it asks the terminal what it supports (escape sequences, then reading stdin), which
must not happen while Textual owns the terminal: the answer would arrive as key presses. So it
is imported only when a picture is first shown, with its probe switched off, and the protocol
is chosen from the environment instead (no round trip, works the same over SSH):

- ``BWTUI_GRAPHICS=kitty|sixel|halfcell`` forces one;
- kitty (``TERM=xterm-kitty`` or ``KITTY_WINDOW_ID``) gets the kitty protocol;
- WezTerm, iTerm2, foot, mlterm, contour and ``TERM=*-sixel`` get sixel;
- everything else, tmux and ``--ascii`` included, gets half-block cells (any 256-colour or
  truecolour terminal shows them; the ANSI themes get the nearest colours).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any

PROTOCOLS = ("kitty", "sixel", "halfcell")
SIXEL_PROGRAMS = ("WezTerm", "iTerm.app", "mlterm", "contour")
SIXEL_TERMS = ("foot", "foot-extra", "mlterm", "contour", "yaft-256color")
DEFAULT_CELL_PX = (10, 20)


def choose_protocol(env: Mapping[str, str] | None = None) -> str:
    """``kitty``, ``sixel`` or ``halfcell`` for this terminal (see the module docstring)."""
    env = os.environ if env is None else env
    forced = env.get("BWTUI_GRAPHICS", "").strip().lower()
    if forced in PROTOCOLS:
        return forced
    term = env.get("TERM", "")
    if env.get("TMUX"):
        return "halfcell"  # tmux passes neither protocol through by default
    if "kitty" in term or env.get("KITTY_WINDOW_ID"):
        return "kitty"
    if env.get("TERM_PROGRAM", "") in SIXEL_PROGRAMS or term in SIXEL_TERMS or term.endswith("-sixel"):
        return "sixel"
    return "halfcell"


def protocol_words(protocol: str) -> str:
    return {"kitty": "kitty graphics", "sixel": "sixel graphics",
            "halfcell": "half-blocks (BWTUI_GRAPHICS=sixel|kitty for more)"}[protocol]


@contextlib.contextmanager
def _terminal_probe_off() -> Iterator[None]:
    """While importing textual-image: stdout looks like no terminal, so it sends no query."""
    real = sys.__stdout__

    class _NotATerminal:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def isatty(self) -> bool:
            return False

    sys.__stdout__ = _NotATerminal()  # type: ignore[misc,assignment]
    try:
        yield
    finally:
        sys.__stdout__ = real  # type: ignore[misc]


def image_widget(protocol: str) -> type[Any]:
    """The textual-image widget class for ``protocol`` (imported on first use, probe off)."""
    import textual_image._terminal as terminal

    if not hasattr(terminal.get_cell_size, "_result"):
        setattr(terminal.get_cell_size, "_result", terminal.CellSize(*_cell_size()))
    with _terminal_probe_off():
        from textual_image import widget
    classes = {"kitty": widget.TGPImage, "sixel": widget.SixelImage, "halfcell": widget.HalfcellImage}
    return classes[protocol]


def _cell_size() -> tuple[int, int]:
    """A cell's size in pixels from the terminal's window size (an ioctl: no query)."""
    try:
        from textual_image._posix import get_tiocgwinsz

        rows, columns, width_px, height_px = get_tiocgwinsz()
        if rows and columns and width_px and height_px:
            return max(1, width_px // columns), max(1, height_px // rows)
    except Exception:  # noqa: BLE001 - no terminal, or no pixel sizes: a common default
        pass
    return DEFAULT_CELL_PX
