"""Walk the monitor's screens in a real pty (``bwtui --demo`` or the first-run screen).

A tour is a list of steps: keys to send, text to wait for, and a name for the screen reached.
After each step the screen is read (text and colours, through pyte) and handed to a check, so
the ASCII and the contrast tests look at exactly what a user on that terminal would see.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyte

from pty_harness import PtySession

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 20.0
STEP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Step:
    """Send ``keys``, wait until every text in ``expect`` shows, then check screen ``name``."""

    name: str
    keys: str = ""
    expect: tuple[str, ...] = ()
    resize: tuple[int, int] | None = None


DEMO_TOUR = (
    Step("overview", expect=("resources", "Mbit/s")),
    Step("detail", "o", expect=("period", "as of")),
    Step("detail-week", "2", expect=("7 days",)),
    Step("detail-month", "3"),
    Step("help", "?", expect=("Keys", "Status")),
    Step("detail-after-help", "q", expect=("as of",)),
    Step("filter-box", "/", expect=("filter by name",)),
    Step("filter", "a", expect=("filter:",)),
    Step("detail-again", "\r", expect=("as of",)),
    Step("palette", "\x10", expect=("Search for commands",)),
)


def bwtui(*args: str) -> list[str]:
    """The command line that runs this checkout's bwtui."""
    return [sys.executable, "-m", "bwtui", *args]


def tour(
    argv: Sequence[str],
    steps: Sequence[Step],
    *,
    term: str = "xterm-256color",
    env: Mapping[str, str] | None = None,
    size: tuple[int, int] = (120, 40),
    config_text: str | None = None,
) -> Iterator[tuple[str, pyte.Screen]]:
    """Run ``argv`` in a pty and yield ``(step name, screen)`` after each step.

    The screen is only read while the caller holds it (inside the loop body); output keeps
    arriving between steps. ``config_text`` is written as the child's config file.
    """
    extra = {"PYTHONPATH": str(REPO), **(env or {})}
    with tempfile.TemporaryDirectory(prefix="bwtui-tour-") as tmp:
        if config_text is not None:
            config = Path(tmp) / "config.toml"
            config.write_text(config_text, encoding="utf-8")
            extra["BWTUI_CONFIG"] = str(config)
        yield from _walk(PtySession(argv, cols=size[0], rows=size[1], term=term, cwd=REPO,
                                    env=extra), steps)


def _walk(session: PtySession, steps: Sequence[Step]) -> Iterator[tuple[str, pyte.Screen]]:
    with session:
        first = True
        for step in steps:
            if step.resize is not None:
                session.resize(*step.resize)
            if step.keys:
                before = session.screen_state()
                session.send_keys(step.keys)
                session.wait_for_change(before, STEP_TIMEOUT_S)
            if step.expect:
                session.wait_for_text(list(step.expect), START_TIMEOUT_S if first else STEP_TIMEOUT_S)
            first = False
            session.wait_quiet(0.4, 3.0)
            with session.lock:
                yield step.name, session.screen
        session.send_keys("\x1b")
        session.send_keys("q")


def cells(screen: pyte.Screen) -> Iterator[tuple[int, int, pyte.screens.Char]]:
    """Every cell of the screen: ``(row, column, char)``."""
    for y in range(screen.lines):
        line = screen.buffer[y]
        for x in range(screen.columns):
            yield y, x, line[x]


def describe(screen: pyte.Screen, problems: list[str], limit: int = 12) -> str:
    """Problems and the screen they were found on, for an assertion message."""
    shown = "\n".join(problems[:limit])
    more = f"\n… and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{shown}{more}\nscreen:\n" + "\n".join(line.rstrip() for line in screen.display)


Check = Callable[[str, pyte.Screen], list[str]]


def in_parallel(jobs: dict[str, Callable[[], object]], workers: int = 3) -> dict[str, object]:
    """Run independent tours at once (each in its own pty); a job's exception is its result.

    The tours spend most of their time waiting for a child to start and draw, so a few at a
    time take little more wall time than one.
    """
    from concurrent.futures import ThreadPoolExecutor

    def run(job: Callable[[], object]) -> object:
        try:
            return job()
        except BaseException as error:  # noqa: BLE001 - handed to the test that owns the job
            return error

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {key: pool.submit(run, job) for key, job in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


def result_of(results: dict[str, object], key: str) -> object:
    """A job's result; re-raises its exception in the calling test."""
    value = results[key]
    if isinstance(value, BaseException):
        raise value
    return value
