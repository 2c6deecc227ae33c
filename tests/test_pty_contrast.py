"""Every theme keeps every glyph readable, on the terminals operators actually have.

``bwtui --demo`` runs in a real pty for each ``TERM`` (xterm-256color, xterm, linux) with and
without ``NO_COLOR``; in each, ``T`` walks every theme that terminal offers (on a 16-colour
terminal ``default`` and ``light`` *are* ``ansi`` and ``ansi-light``: see ``bwtui.themes``; with
NO_COLOR there is only ``mono``), and the overview, the detail and the help screen are read
through pyte. A test fails on any non-blank cell whose foreground equals its background, or whose
contrast is below the floor of :mod:`bwtui.contrast`: 4.5:1 for letters and digits, 3:1 for any
other glyph (WCAG 2 AA), judged for the 16 ANSI colours in both the xterm and the Linux console
palettes (the worse counts), the terminal's own foreground and background assumed light-on-dark
for a dark theme and dark-on-light for a light one. Reverse video swaps the pair.
"""

from __future__ import annotations

from functools import partial

import pyte
import pytest

from bwtui.contrast import Colour, floor_for, worst_ratio
from bwtui.terminal import color_depth
from bwtui.themes import LIGHT_THEMES, offered
from screen_tour import Step, bwtui, cells, describe, in_parallel, result_of, tour

_NAMED = {"black": 0, "red": 1, "green": 2, "brown": 3, "blue": 4, "magenta": 5, "cyan": 6,
          "white": 7}


def pyte_colour(name: str) -> Colour:
    """A pyte cell colour: ``default``, an ANSI name (``brightred``) or ``rrggbb``."""
    if name == "default":
        return None
    if name in _NAMED:
        return _NAMED[name]
    if name.startswith("bright") and name[6:] in _NAMED:
        return _NAMED[name[6:]] + 8
    return (int(name[0:2], 16), int(name[2:4], 16), int(name[4:6], 16))


def unreadable(screen: pyte.Screen, *, dark: bool) -> list[str]:
    """Every visible cell below its floor, described."""
    problems = []
    for y, x, char in cells(screen):
        if not char.data.strip():
            continue
        fg, bg = pyte_colour(char.fg), pyte_colour(char.bg)
        if char.reverse:
            fg, bg = bg, fg
        contrast = worst_ratio(fg, bg, dark=dark)
        if fg == bg and fg is not None or contrast < floor_for(char.data):
            problems.append(f"row {y} col {x}: {char.data!r} {char.fg} on {char.bg}"
                            f"{' (reverse)' if char.reverse else ''}: {contrast:.2f}:1")
    return problems


def _steps(themes: tuple[str, ...]) -> list[Step]:
    steps: list[Step] = []
    for index, theme in enumerate(themes):
        steps += [
            Step(f"{theme} overview", "T" if index else "", expect=("resources", "Mbit/s")),
            Step(f"{theme} detail", "o", expect=("as of",)),
            Step(f"{theme} help", "?", expect=("Keys", "Status")),
            Step("", "q"),
            Step("", "o", expect=("out",)),
        ]
    return steps


CASES = {f"{term}{' NO_COLOR' if no_color else ''}": (term, no_color)
         for term in ("xterm-256color", "xterm", "linux") for no_color in (False, True)}


def _walk(term: str, no_color: bool) -> list[tuple[str, list[str], str]]:
    """Each screen of each theme on this terminal: (name, problems, screen described)."""
    themes = offered(color_depth({"TERM": term}), no_color)
    env = {"NO_COLOR": "1"} if no_color else {}
    found = []
    for name, screen in tour(bwtui("--demo", "--unicode"), _steps(themes), term=term, env=env):
        if name:
            problems = unreadable(screen, dark=name.split()[0] not in LIGHT_THEMES)
            found.append((name, problems, describe(screen, problems)))
    assert len(found) == 3 * len(themes), [name for name, _, _ in found]
    return found


@pytest.fixture(scope="module")
def walked() -> dict[str, object]:
    """Every terminal's walk, run a few at a time."""
    return in_parallel({case: partial(_walk, *args) for case, args in CASES.items()})


@pytest.mark.parametrize("case", list(CASES))
def test_every_theme_keeps_every_glyph_readable(walked: dict[str, object], case: str) -> None:
    for name, problems, described in result_of(walked, case):  # type: ignore[attr-defined]
        assert not problems, f"{case}, {name}: {described}"


def test_the_check_sees_an_invisible_glyph() -> None:
    screen = pyte.Screen(4, 1)
    pyte.ByteStream(screen).feed(b"\x1b[38;5;16;48;5;16mab\x1b[0m\x1b[30;40m|\x1b[0m")
    assert len(unreadable(screen, dark=True)) == 3
    screen = pyte.Screen(4, 1)
    pyte.ByteStream(screen).feed(b"\x1b[31mx\x1b[0m\x1b[91my\x1b[0m\x1b[7mz")
    problems = unreadable(screen, dark=True)
    assert len(problems) == 1 and "'x'" in problems[0]  # red reads badly on a console's black
