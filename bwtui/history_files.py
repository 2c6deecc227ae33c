"""The history database as a file: is it still ours, can it be written, why SQLite failed.

Jobs the store needs beside SQL: a cheap probe that notices a file overwritten, replaced or
removed while bwtui runs (SQLite in WAL mode would not notice until a checkpoint); keeping a
damaged file aside under a dated name (with its ``-wal``/``-shm``, so it can still be opened
for recovery); whether the file and its directory can be written; and what an
``sqlite3.Error`` means for the user (:func:`sqlite_cause`). Nothing here knows HTTP or Textual.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bwtui.history_health import Cause

SQLITE_MAGIC = b"SQLite format 3\x00"
SIDE_FILES = ("-wal", "-shm")

# Primary result codes (the low byte of ``sqlite_errorcode``).
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN = 10, 11, 13, 14
_SQLITE_NOTADB = 26
_CAUSES: dict[int, Cause] = {
    _SQLITE_FULL: "disk full",
    _SQLITE_CORRUPT: "damaged",
    _SQLITE_NOTADB: "damaged",
    _SQLITE_READONLY: "unwritable",
    _SQLITE_PERM: "unwritable",
    _SQLITE_CANTOPEN: "unwritable",
    _SQLITE_BUSY: "locked",
    _SQLITE_LOCKED: "locked",
    _SQLITE_IOERR: "I/O error",
}


def sqlite_cause(error: sqlite3.Error) -> Cause:
    """What went wrong, from the SQLite result code (or, failing that, the message)."""
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int) and (code & 0xFF) in _CAUSES:
        return _CAUSES[code & 0xFF]
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return "locked"
    if "full" in text:
        return "disk full"
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return "unwritable"
    if isinstance(error, sqlite3.DatabaseError) and not isinstance(error, sqlite3.OperationalError):
        return "damaged"
    return "I/O error"


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """Which file a path named when the store opened it."""

    device: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileIdentity | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return cls(st.st_dev, st.st_ino)


class HeaderWatch:
    """Reads a database's first bytes through a descriptor that stays open while it is used.

    Never open and close the database file beside SQLite: closing *any* descriptor of a file
    drops every POSIX lock this process holds on it, SQLite's included (then another process
    may checkpoint and delete a WAL still in use). So the descriptors of one file are shared by
    every store of the process and closed only when the last of them is released, after its
    SQLite connection was closed.
    """

    _shared: dict[FileIdentity, tuple[list[int], list[int]]] = {}  # identity -> (fds, [users])
    _lock = threading.Lock()

    def __init__(self, identity: FileIdentity, fd: int) -> None:
        self.identity = identity
        self._fd: int | None = fd

    @classmethod
    def open(cls, path: Path) -> HeaderWatch | None:
        """Watch ``path`` (None if it cannot be read). Call after SQLite has opened it."""
        with cls._lock:
            known = FileIdentity.of(path)
            entry = cls._shared.get(known) if known is not None else None
            if entry is not None and known is not None:
                entry[1][0] += 1
                return cls(known, entry[0][0])
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                return None
            st = os.fstat(fd)
            identity = FileIdentity(st.st_dev, st.st_ino)
            fds, users = cls._shared.setdefault(identity, ([], [0]))
            fds.append(fd)  # closed only with the last user, even if the file changed meanwhile
            users[0] += 1
            return cls(identity, fd)

    def head(self, size: int = 16) -> bytes | None:
        """The file's first ``size`` bytes as they are on disk now (None once released)."""
        fd = self._fd
        return None if fd is None else os.pread(fd, size, 0)

    def release(self) -> None:
        """Done with it (after the store's connection is closed); idempotent."""
        with HeaderWatch._lock:
            if self._fd is None:
                return
            self._fd = None
            entry = HeaderWatch._shared.get(self.identity)
            if entry is None:
                return
            fds, users = entry
            users[0] -= 1
            if users[0] > 0:
                return
            del HeaderWatch._shared[self.identity]
            for fd in fds:
                try:
                    os.close(fd)
                except OSError:
                    pass


def probe(path: Path, opened: FileIdentity | None, watch: HeaderWatch | None) -> tuple[Cause, str] | None:
    """None while ``path`` is still the SQLite file the store opened; else what happened to it.

    Costs one ``stat`` and one 16-byte ``pread``, so it can run before every write.
    """
    now = FileIdentity.of(path)
    if now is None:
        return "replaced", f"the history file {path} was removed while bwtui was running"
    if opened is not None and now != opened:
        return "replaced", f"the history file {path} was replaced by another file while bwtui was running"
    if watch is None:
        return None
    try:
        head = watch.head(len(SQLITE_MAGIC))
    except OSError as error:
        return "I/O error", f"the history file {path} cannot be read ({error.strerror})"
    if head and head != SQLITE_MAGIC:
        return "damaged", (
            f"the history file {path} was overwritten while bwtui was running "
            "(it is no longer an SQLite database)"
        )
    return None


def not_sqlite(path: Path) -> bool:
    """True when ``path`` exists, is not empty and does not start like an SQLite database.

    Checked before SQLite opens it, so a damaged file is kept aside with its ``-wal`` as found
    (read through :class:`HeaderWatch`, never a bare open and close).
    """
    watch = HeaderWatch.open(path)
    if watch is None:
        return False
    try:
        head = watch.head(len(SQLITE_MAGIC))
    except OSError:
        return False
    finally:
        watch.release()
    return bool(head) and head != SQLITE_MAGIC


def damage_marker(path: Path) -> Path:
    """``history.sqlite3.damaged``: left when a run finds the file damaged, so the next start
    checks it (an integrity check is too slow to run at every start) and keeps it aside."""
    return path.with_name(path.name + ".damaged")


def mark_damaged(path: Path, reason: str) -> None:
    """Leave the marker (best effort: a read-only directory keeps none)."""
    try:
        damage_marker(path).write_text(reason + "\n", encoding="utf-8")
    except OSError:
        pass


def aside_name(path: Path, now: float) -> Path:
    """``history.sqlite3.corrupt-20261201T1403`` (UTC), with ``-2``, ``-3``... if taken."""
    stamp = time.strftime("%Y%m%dT%H%M", time.gmtime(now))
    candidate = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 2
    while candidate.exists() or any(Path(str(candidate) + s).exists() for s in SIDE_FILES):
        candidate = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    return candidate


def move_aside(path: Path, now: float | None = None) -> Path:
    """Rename a damaged database and its ``-wal``/``-shm`` to a dated name; returns the new path.

    The side files go first: a ``-wal`` left behind would be replayed into the new database.
    Raises OSError when they cannot all be moved; what was moved is then moved back.
    """
    target = aside_name(path, time.time() if now is None else now)
    moved: list[tuple[Path, Path]] = []
    try:
        for suffix in (*SIDE_FILES, ""):
            source = Path(str(path) + suffix)
            if suffix and not source.exists():
                continue
            destination = Path(str(target) + suffix)
            os.rename(source, destination)
            moved.append((source, destination))
    except OSError:
        for source, destination in reversed(moved):
            try:
                os.rename(destination, source)
            except OSError:
                pass
        raise
    return target


def can_write(path: Path) -> bool:
    """Whether the file (if it exists) and its directory can be written by this process."""
    directory = path.parent
    if not os.access(directory, os.W_OK | os.X_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)
