"""Whether history is being kept, and if not, why and what was lost.

The store (:class:`bwtui.history.HistoryStore`) reports every write it could not make to a
:class:`HealthTracker`; anyone may read a :class:`HistoryHealth` snapshot from it (the monitor's
header, ``status``). Three states:

- ``ok``: writes succeed. Points lost during an earlier failure are still counted (with when),
  so a problem that went away is still told.
- ``read-only``: the file or its directory cannot be written; stored history is still read and
  shown, new points are counted as not written.
- ``failed``: writes fail (disk full, file damaged or replaced, locked, I/O error): the reason,
  and how many points were not written since when.

:func:`header_mark` turns a snapshot into the short text of the monitor's lasting header mark;
:class:`HistoryUnavailable` is what the store raises, with the problem's cause. Plain Python:
nothing here knows SQLite, HTTP or Textual.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

HealthState = Literal["ok", "read-only", "failed"]
# Why history is failing, in two or three words (the header shows it).
Cause = Literal["disk full", "damaged", "replaced", "unwritable", "locked", "I/O error", "off"]


class HistoryUnavailable(Exception):
    """The history database cannot be used; ``str()`` is a message for the user.

    ``cause`` says what kind of problem it is (``damaged``, ``disk full``, ``unwritable``...);
    ``detail`` is SQLite's own words, where it gave any.
    """

    def __init__(self, message: str, cause: Cause | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.cause = cause
        self.detail = detail


@dataclass(frozen=True, slots=True)
class HistoryHealth:
    """One snapshot. ``lost_points`` are samples and readings not written, the first at
    ``lost_since`` and the last at ``lost_until`` (epoch seconds). ``note`` tells something done
    at open (a damaged file moved aside); ``reason`` is the full message for the user."""

    state: HealthState = "ok"
    cause: Cause | None = None
    reason: str | None = None
    lost_points: int = 0
    lost_since: float | None = None
    lost_until: float | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        """Writing works and nothing was lost."""
        return self.state == "ok" and self.lost_points == 0


class HealthTracker:
    """The store's running health: thread-safe, updated on every write that fails or works."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._health = HistoryHealth()

    def snapshot(self) -> HistoryHealth:
        with self._lock:
            return self._health

    def set_read_only(self, reason: str) -> None:
        """Opened read-only: shown, never written."""
        with self._lock:
            self._health = replace(self._health, state="read-only", cause="unwritable",
                                   reason=reason)

    def set_note(self, note: str) -> None:
        with self._lock:
            self._health = replace(self._health, note=note)

    def failed(self, cause: Cause, reason: str, lost_points: int = 0) -> HistoryHealth:
        """A write failed (or cannot be tried): state failed, the points counted as lost."""
        with self._lock:
            health = self._health
            state: HealthState = "read-only" if health.state == "read-only" else "failed"
            self._health = self._add_lost(replace(health, state=state, cause=cause, reason=reason),
                                          lost_points)
            return self._health

    def skipped(self, lost_points: int) -> None:
        """Points not written because the store is read-only or already known to be damaged."""
        if lost_points:
            with self._lock:
                self._health = self._add_lost(self._health, lost_points)

    def wrote(self) -> None:
        """A write worked: failed becomes ok again (lost points stay counted)."""
        with self._lock:
            if self._health.state == "failed":
                self._health = replace(self._health, state="ok", cause=None, reason=None)

    def _add_lost(self, health: HistoryHealth, points: int) -> HistoryHealth:
        if points <= 0:
            return health
        now = self._clock()
        return replace(
            health,
            lost_points=health.lost_points + points,
            lost_since=health.lost_since if health.lost_since is not None else now,
            lost_until=now,
        )


def _hhmm(t: float | None) -> str:
    return "?" if t is None else time.strftime("%H:%M", time.gmtime(t))


def _points(n: int) -> str:
    return f"{n} point{'s' if n != 1 else ''}"


def header_mark(
    health: HistoryHealth | None, problem: str | None = None, *, ascii_only: bool = False
) -> tuple[str, str] | None:
    """The header's lasting history mark as ``(text, level)``, or None when all is well.

    ``level`` is a status name (``error`` or ``stale``) for the caller's styles. ``health`` is
    None when there is no store: then ``problem`` (why it could not be opened) decides. Times
    are UTC, like the header clock.
    """
    bad, warn = ("x", "!") if ascii_only else ("✖", "⚠")
    if health is None:
        return (f"{bad} history off", "error") if problem else None
    lost = health.lost_points
    if health.state == "failed":
        text = f"{bad} history {health.cause or 'failing'}"
        if lost:
            text += f": {_points(lost)} not written since {_hhmm(health.lost_since)}"
        return text, "error"
    if health.state == "read-only":
        text = f"{warn} history read-only"
        if lost:
            text += f": {_points(lost)} not written since {_hhmm(health.lost_since)}"
        return text, "stale"
    if lost:
        return (
            f"{warn} history: {_points(lost)} lost "
            f"{_hhmm(health.lost_since)}–{_hhmm(health.lost_until)}",
            "stale",
        )
    if health.note:
        return f"{warn} history: new file (damaged one kept)", "stale"
    return None


def store_mark(
    store: object | None, problem: str | None = None, *, ascii_only: bool = False
) -> tuple[str, str] | None:
    """:func:`header_mark` for a history store (anything with a ``health`` snapshot) or None."""
    if store is None:
        return header_mark(None, problem, ascii_only=ascii_only)
    health = getattr(store, "health", None)
    return header_mark(health, ascii_only=ascii_only) if isinstance(health, HistoryHealth) else None
