"""ASCII means ASCII: with ``--ascii``, and on ``TERM=linux``, every character on
every screen is below 0x80 (borders, tree guides, sparklines, charts, glyphs, names), read from a
real pty through pyte."""

from __future__ import annotations

from functools import partial

import pytest

from screen_tour import DEMO_TOUR, Step, bwtui, cells, describe, in_parallel, result_of, tour


def _non_ascii(screen) -> list[str]:
    return [f"row {y} col {x}: {char.data!r} (U+{ord(char.data[0]):04X})"
            for y, x, char in cells(screen) if char.data and not char.data.isascii()]


JOBS = {
    "--ascii": (("--demo", "--ascii"), "xterm-256color", DEMO_TOUR),
    "TERM=linux": (("--demo",), "linux", DEMO_TOUR),
    "first run --ascii": (("--ascii",), "xterm-256color", (
        Step("first-run", expect=("Welcome",)),
        Step("add-account", "a", expect=("Add account",)),
    )),
}


def _walk(args: tuple[str, ...], term: str, steps: tuple[Step, ...]) -> list[tuple[str, str]]:
    found = []
    for name, screen in tour(bwtui(*args), steps, term=term):
        problems = _non_ascii(screen)
        found.append((name, describe(screen, problems) if problems else ""))
    return found


@pytest.fixture(scope="module")
def walked() -> dict[str, object]:
    return in_parallel({key: partial(_walk, *job) for key, job in JOBS.items()})


@pytest.mark.parametrize("job", list(JOBS))
def test_every_screen_is_ascii(walked: dict[str, object], job: str) -> None:
    screens = result_of(walked, job)
    assert len(screens) == len(JOBS[job][2])  # type: ignore[arg-type]
    for name, problems in screens:  # type: ignore[attr-defined]
        assert not problems, f"{job}, {name}: {problems}"
