"""Opening the history store as well as it can be opened, and saying how.

- the file or its directory cannot be written: opened read-only (history still shown and
  exported; new points counted as not written), with a notice;
- the file is damaged (not a database, corrupt): kept aside under a dated name
  (``history.sqlite3.corrupt-20261201T1403``, with its ``-wal``) and a new one started, with a
  notice naming both;
- anything else: no store, and the problem for the user (the caller runs without history).
"""

from __future__ import annotations

import time
from pathlib import Path

from bwtui.history import HistoryStore, HistoryUnavailable, default_history_path
from bwtui.history_files import (
    FileIdentity,
    can_write,
    damage_marker,
    move_aside,
    not_sqlite,
)


def open_store(
    path: Path | None = None, **options: object
) -> tuple[HistoryStore | None, str | None]:
    """Open the store as well as it can be opened; ``(store, notice)`` or ``(None, problem)``.

    - the file or its directory cannot be written: opened read-only, with a notice;
    - the file is damaged (not a database, corrupt): kept aside as
      ``history.sqlite3.corrupt-<UTC date>T<HHMM>`` (with its ``-wal``), a new one is started,
      with a notice naming both;
    - otherwise ``(None, problem)``: the caller runs without history and shows ``problem``.
    """
    path = Path(path) if path is not None else default_history_path()
    read_only = bool(options.pop("read_only", False))
    if not read_only and path.exists() and not can_write(path):
        read_only = True
    found = FileIdentity.of(path)
    if not read_only and not_sqlite(path):
        error = HistoryUnavailable(
            f"history database {path} is corrupt (not an SQLite database)", "damaged",
            "file is not a database",
        )
        return _start_afresh(path, error, options)
    try:
        store = HistoryStore(path, read_only=read_only, **options)  # type: ignore[arg-type]
    except HistoryUnavailable as error:
        if error.cause == "unwritable" and not read_only and path.exists():
            return open_store(path, read_only=True, **options)
        if error.cause != "damaged" or read_only:
            return None, str(error)
        if FileIdentity.of(path) != found:  # another bwtui moved it aside meanwhile: reopen
            return open_store(path, **options)
        return _start_afresh(path, error, options)
    if not read_only and damage_marker(path).exists():
        return _recheck(store, options)
    return store, (store.health.reason if read_only else None)


def _recheck(
    store: HistoryStore, options: dict[str, object]
) -> tuple[HistoryStore | None, str | None]:
    """A previous run found the file damaged: check it now, keep it aside if it still is."""
    path = store.path
    verdict = store.integrity()
    damage_marker(path).unlink(missing_ok=True)
    if verdict == "ok":
        return store, None
    store.close()
    error = HistoryUnavailable(f"history database {path} is corrupt", "damaged", verdict)
    return _start_afresh(path, error, options)


def _start_afresh(
    path: Path, error: HistoryUnavailable, options: dict[str, object]
) -> tuple[HistoryStore | None, str | None]:
    """Keep a damaged file aside under a dated name and open a new one."""
    clock = options.get("clock", time.time)
    try:
        kept = move_aside(path, clock())  # type: ignore[operator]
    except OSError as move_error:
        return None, f"{error} (it could not be moved aside: {move_error.strerror})"
    try:
        damage_marker(path).unlink(missing_ok=True)
    except OSError:
        pass
    try:
        store = HistoryStore(path, **options)  # type: ignore[arg-type]
    except HistoryUnavailable as again:
        return None, str(again)
    notice = (
        f"history database {path} was corrupt ({error.detail or 'unreadable'}); it is kept as "
        f"{kept.name} and a new history was started"
    )
    store.health_tracker.set_note(notice)
    return store, notice

