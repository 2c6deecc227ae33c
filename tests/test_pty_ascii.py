"""ASCII means ASCII: with ``--ascii``, and on ``TERM=linux``, every character on
every screen is below 0x80 (borders, tree guides, sparklines, charts, glyphs, names), read from a
real pty through pyte."""

from __future__ import annotations

import pytest

from screen_tour import DEMO_TOUR, Step, bwtui, cells, describe, tour


def _non_ascii(screen) -> list[str]:
    return [f"row {y} col {x}: {char.data!r} (U+{ord(char.data[0]):04X})"
            for y, x, char in cells(screen) if char.data and not char.data.isascii()]


@pytest.mark.parametrize(("args", "term"), [(["--ascii"], "xterm-256color"), ([], "linux")],
                         ids=["--ascii", "TERM=linux"])
def test_every_screen_of_the_demo_is_ascii(args: list[str], term: str) -> None:
    for name, screen in tour(bwtui("--demo", *args), DEMO_TOUR, term=term):
        problems = _non_ascii(screen)
        assert not problems, f"{name}: " + describe(screen, problems)


def test_first_run_and_add_account_are_ascii() -> None:
    steps = (
        Step("first-run", expect=("Welcome",)),
        Step("add-account", "a", expect=("Add account",)),
    )
    for name, screen in tour(bwtui("--ascii"), steps):
        problems = _non_ascii(screen)
        assert not problems, f"{name}: " + describe(screen, problems)
