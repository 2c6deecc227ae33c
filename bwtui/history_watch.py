"""The history store's watchdog: is the file still the database it opened, and what went wrong.

Before each write (and at most once a second before a read) :meth:`FileWatchdog.check` probes
the file (:func:`bwtui.history_files.probe`: identity and header), so garbage written over it, a
replaced or removed file are caught at once rather than at the next checkpoint. When SQLite
fails, :meth:`FileWatchdog.failure` says why for the user (confirming damage with an integrity
check), counts the points that were not written in the store's health, and, for a damaged or
replaced file, stops every later write and read of this run. Nothing here knows HTTP or Textual.
"""

from __future__ import annotations

import math
import sqlite3
import time
from pathlib import Path

from bwtui.history_files import FileIdentity, HeaderWatch, mark_damaged, probe, sqlite_cause
from bwtui.history_health import HealthTracker, HistoryUnavailable

PROBE_EVERY_S = 1.0  # reads check the file is still ours at most this often (writes: always)


def integrity(db: sqlite3.Connection) -> str:
    """SQLite's own verdict (``PRAGMA quick_check``): ``ok``, or the first problem."""
    try:
        rows = db.execute("PRAGMA quick_check(1)").fetchall()
    except sqlite3.Error as error:
        return str(error)
    return "; ".join(str(row[0]) for row in rows) or "no answer"


class FileWatchdog:
    """Watches one store's file; call :meth:`release` after the store's connection is closed."""

    def __init__(self, path: Path, tracker: HealthTracker) -> None:
        self.path = path
        self.tracker = tracker
        self._identity = FileIdentity.of(path)
        self._watch = HeaderWatch.open(path)
        self._damage: HistoryUnavailable | None = None  # set once the file is known bad
        self._probed_at = -math.inf

    def release(self) -> None:
        if self._watch is not None:
            self._watch.release()

    def failure(
        self, db: sqlite3.Connection, error: sqlite3.Error, points: int | None
    ) -> HistoryUnavailable:
        """A read or write failed during the run: diagnose, count what is lost, say so."""
        cause = sqlite_cause(error)
        text = str(error)
        where = f"history database {self.path}"
        if cause == "damaged":
            message = (
                f"{where} is damaged ({text}; integrity check: {integrity(db)}). Fix: "
                "restart bwtui: it keeps the damaged file aside and starts a new one"
            )
        elif cause == "disk full":
            message = f"{where}: the disk is full, new points are not written. Fix: free disk space"
        elif cause == "locked":
            message = (
                f"{where} is locked by another program. Fix: close the other program using it"
            )
        elif cause == "unwritable":
            message = (
                f"{where} cannot be written ({text}). Fix: check the permissions of the file "
                "and its directory"
            )
        else:
            message = f"{where} cannot be used ({text}). Fix: check the disk"
        failure = HistoryUnavailable(message, cause)
        if cause == "damaged":
            self._damage = failure
            mark_damaged(self.path, message)
        self.tracker.failed(cause, message, points or 0)
        return failure

    def check(self, points: int | None) -> None:
        """Raise (and count ``points`` as lost) when the file is known or found to be bad.

        Writes (``points`` not None) probe every time; reads at most once a second.
        """
        damage = self._damage
        if damage is not None:
            if points:
                self.tracker.skipped(points)
            raise HistoryUnavailable(str(damage), damage.cause)
        now = time.monotonic()
        if points is None and now - self._probed_at < PROBE_EVERY_S:
            return
        self._probed_at = now
        found = probe(self.path, self._identity, self._watch)
        if found is None:
            return
        cause, what = found
        message = (
            f"{what}. Fix: restart bwtui: it keeps a damaged file aside and starts a new one"
        )
        failure = HistoryUnavailable(message, cause)
        if cause in ("damaged", "replaced"):  # for good: never written into again this run
            self._damage = failure
        if cause == "damaged":
            mark_damaged(self.path, message)
        self.tracker.failed(cause, message, points or 0)
        raise failure
