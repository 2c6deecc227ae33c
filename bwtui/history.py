"""History that survives restarts: readings and rate samples per resource in SQLite.

One file in the user state dir (``bwtui/history.sqlite3``), stdlib ``sqlite3`` in WAL mode with a
busy timeout and short ``BEGIN IMMEDIATE`` write transactions, so two bwtui processes can share it.

Tiered retention keeps the file bounded (:class:`Retention`): raw points (5-minute for Hivelocity,
one a poll for Altostrat) for 2 days, then hourly averages for 90 days, then daily averages for
2 years. :meth:`HistoryStore.compact` aggregates a tier into the next before deleting it; writes run
it on their own at most once an hour. Readings (period totals) are thinned on the same schedule to
the last reading of each hour, then of each day.

History never fails silently: the store's :attr:`HistoryStore.health`
(:mod:`bwtui.history_health`) says whether writes work, and if not why and how many points were
not written since when. Before each write (and at most once a second before a read) a cheap probe
checks the file is still the SQLite database it opened (:mod:`bwtui.history_files`): garbage
written over it, a replaced or removed file are caught at once, not at the next checkpoint. A
failed write raises :class:`HistoryUnavailable` (a message for the user, with its ``cause``)
and is counted as lost; a later write that works puts the store back to ``ok``.

:func:`open_history` opens what can be opened: a file or directory that cannot be written is
opened read-only (history still shown and exported, new points counted as not written); a
damaged file found at start is kept aside under a dated name and a new one is started, saying
so; anything else returns ``(None, problem)`` so the caller runs without history. Nothing here
knows HTTP or Textual.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bwtui.history_files import sqlite_cause
from bwtui.history_health import HealthTracker, HistoryHealth, HistoryUnavailable
from bwtui.history_watch import FileWatchdog, integrity
from bwtui.history_retention import (
    AUTO_VACUUM_INCREMENTAL,
    COMPACT_EVERY_S,
    TIER_DAY,
    TIER_HOUR,
    TIER_NAMES,
    TIER_RAW,
    Retention,
    apply_retention,
    downsample,
    reclaim_free_pages,
)
from bwtui.model import Reading, Sample
from bwtui.rates import rate_between

ResourceKey = tuple[str, str]

SCHEMA_VERSION = 1
HISTORY_FILE_NAME = "history.sqlite3"
BUSY_TIMEOUT_S = 2.0
# A rate averaged over more than this is not a "current" rate (e.g. readings days apart).
MAX_RATE_INTERVAL_S = 3 * 3600.0


_SCHEMA = """
CREATE TABLE resources (
    rid INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    UNIQUE (account, resource_id)
);
CREATE TABLE readings (
    rid INTEGER NOT NULL,
    t REAL NOT NULL,
    in_bytes INTEGER NOT NULL,
    out_bytes INTEGER NOT NULL,
    PRIMARY KEY (rid, t)
) WITHOUT ROWID;
CREATE TABLE samples (
    tier INTEGER NOT NULL,
    rid INTEGER NOT NULL,
    t INTEGER NOT NULL,
    in_bps REAL,
    out_bps REAL,
    PRIMARY KEY (tier, rid, t)
) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value REAL NOT NULL) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One stored record: a rate ``sample`` (with its tier) or a totals ``reading``."""

    account: str
    resource_id: str
    record: str  # "sample" | "reading"
    tier: str | None  # "raw" | "hour" | "day" for samples
    t: float
    in_bps: float | None = None
    out_bps: float | None = None
    in_bytes: int | None = None
    out_bytes: int | None = None


def default_history_path() -> Path:
    """``<user state dir>/history.sqlite3`` (``~/.local/state/bwtui/`` on Linux)."""
    from bwtui.paths import state_dir

    return state_dir() / HISTORY_FILE_NAME


def rate_from_readings(
    prev: Reading, cur: Reading, *, max_interval_s: float | None = None
) -> Sample | None:
    """The average rate between two period-total readings, as a sample at ``cur.t``.

    :func:`bwtui.rates.rate_between` (a counter drop is a new period, never a negative rate),
    plus: None when the readings are further apart than ``max_interval_s``.
    """
    if max_interval_s is not None and cur.t - prev.t > max_interval_s:
        return None
    return rate_between(prev, cur)


def _bps(value: float | None) -> float | None:
    """Store rates to the whole bit/s (SQLite then keeps them as compact integers)."""
    if value is None or not math.isfinite(value):
        return None
    return float(round(value))


class HistoryStore:
    """Readings and samples per resource key ``(account, resource_id)`` in one SQLite file.

    Thread-safe (one connection behind a lock). ``clock`` decides when to compact automatically
    after writes (pass ``auto_compact=False`` to call :meth:`compact` yourself) and dates lost
    points in :attr:`health`. ``read_only=True`` opens the file for reading only: writes are
    skipped and counted as not written.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        retention: Retention = Retention(),
        clock: Callable[[], float] = time.time,
        auto_compact: bool = True,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
        read_only: bool = False,
    ) -> None:
        self.path = Path(path) if path is not None else default_history_path()
        self.retention = retention
        self.read_only = read_only
        self.health_tracker = HealthTracker(clock)
        self._clock = clock
        self._auto_compact = auto_compact and not read_only
        self._lock = threading.RLock()
        self._rids: dict[ResourceKey, int] = {}
        self._last_compact_at: float | None = None
        if read_only:
            self._open_read_only(busy_timeout_s)
        else:
            self._open(busy_timeout_s)
        self._watchdog = FileWatchdog(self.path, self.health_tracker)

    def _open(self, busy_timeout_s: float) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise HistoryUnavailable(
                f"history directory {self.path.parent} cannot be created ({error.strerror})",
                "unwritable",
            ) from None
        self._connect(self.path, busy_timeout_s, uri=False)

    def _open_read_only(self, busy_timeout_s: float) -> None:
        """``mode=ro``; where SQLite cannot make its WAL index (a read-only directory), the
        file is opened ``immutable`` (what is in the main file, without an unmerged WAL)."""
        base = self.path.absolute().as_uri()
        try:
            self._connect(base + "?mode=ro", busy_timeout_s, uri=True)
        except HistoryUnavailable as error:
            if error.cause != "unwritable":
                raise
            self._connect(base + "?mode=ro&immutable=1", busy_timeout_s, uri=True)
        self.health_tracker.set_read_only(
            f"history database {self.path} cannot be written (read-only file or directory): "
            "stored history is shown, new points are not kept. Fix: make it writable"
        )

    def _connect(self, target: Path | str, busy_timeout_s: float, *, uri: bool) -> None:
        try:
            self._db = sqlite3.connect(
                target,
                timeout=busy_timeout_s,
                isolation_level=None,
                check_same_thread=False,
                uri=uri,
            )
        except sqlite3.Error as error:
            raise self._unavailable(error) from None
        try:
            self._setup(busy_timeout_s)
        except sqlite3.Error as error:
            self._db.close()
            raise self._unavailable(error) from None
        except HistoryUnavailable:
            self._db.close()
            raise

    @property
    def health(self) -> HistoryHealth:
        """Whether history is being kept, and if not, why and what was lost (a snapshot)."""
        return self.health_tracker.snapshot()

    # -- connection and schema -------------------------------------------------------------------

    def _unavailable(self, error: sqlite3.Error) -> HistoryUnavailable:
        """The problem found while opening, for the user (the caller runs without history)."""
        text = str(error)
        cause = sqlite_cause(error)
        if cause == "locked":
            why = "is locked by another program"
            fix = "close the other bwtui or program using it, or try again"
        elif cause == "damaged":
            why = f"is corrupt or not a bwtui history file ({text})"
            fix = "move the file aside or delete it; bwtui creates a new one"
        else:
            why = f"cannot be used ({text})"
            fix = "check the file's permissions and free disk space"
        return HistoryUnavailable(
            f"history database {self.path} {why}; running without history. Fix: {fix}",
            cause,
            text,
        )

    def integrity(self) -> str:
        """SQLite's own verdict (``PRAGMA quick_check``): ``ok``, or the first problem."""
        with self._lock:
            return integrity(self._db)

    def _skip_write(self, points: int) -> bool:
        """True (and the points counted as not written) when the store is read-only."""
        if self.read_only:
            self.health_tracker.skipped(points)
            return True
        return False

    def _setup(self, busy_timeout_s: float) -> None:
        db = self._db
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        if self.read_only:
            db.execute("PRAGMA cache_size = -16384")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                raise HistoryUnavailable(
                    f"history database {self.path} cannot be written and holds no bwtui history "
                    f"(schema {version}); running without history. Fix: make it writable",
                    "unwritable" if version == 0 else None,
                )
            return
        # Only takes effect on a new, empty file (before the schema exists): see reclaim_free_pages.
        db.execute(f"PRAGMA auto_vacuum = {AUTO_VACUUM_INCREMENTAL}")
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"cannot switch to WAL mode (got {mode})")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA journal_size_limit = 4194304")
        db.execute("PRAGMA cache_size = -16384")  # 16 MB: a poll touches every resource's page
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise HistoryUnavailable(
                f"history database {self.path} was written by a newer bwtui (schema {version}); "
                "running without history. Fix: upgrade bwtui, or move the file aside"
            )
        with self._write():
            # Re-read inside the write lock: another process may have created it meanwhile.
            if db.execute("PRAGMA user_version").fetchone()[0] == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _write(self) -> _Transaction:
        return _Transaction(self)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._watchdog.release()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _guard(self, points: int | None = None) -> _Guard:
        """Lock, check the file, map SQLite errors; ``points`` (writes) are counted if lost."""
        return _Guard(self, points)

    def _rid(self, key: ResourceKey, *, create: bool) -> int | None:
        rid = self._rids.get(key)
        if rid is not None:
            return rid
        account, resource_id = key
        row = self._db.execute(
            "SELECT rid FROM resources WHERE account = ? AND resource_id = ?",
            (account, resource_id),
        ).fetchone()
        if row is None:
            if not create:
                return None
            self._db.execute(
                "INSERT OR IGNORE INTO resources (account, resource_id) VALUES (?, ?)",
                (account, resource_id),
            )
            row = self._db.execute(
                "SELECT rid FROM resources WHERE account = ? AND resource_id = ?",
                (account, resource_id),
            ).fetchone()
        self._rids[key] = row[0]
        return row[0]

    def _meta(self, key: str) -> float | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else float(row[0])

    def _set_meta(self, key: str, value: float) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- writing ---------------------------------------------------------------------------------

    def add_reading(self, key: ResourceKey, reading: Reading) -> None:
        """Store period totals at a time (a second reading at the same time replaces the first)."""
        if self._skip_write(1):
            return
        with self._guard(1), self._write():
            self._insert_reading(key, reading)
        self._maybe_compact()

    def _insert_reading(self, key: ResourceKey, reading: Reading) -> None:
        rid = self._rid(key, create=True)
        self._db.execute(
            "INSERT OR REPLACE INTO readings (rid, t, in_bytes, out_bytes) VALUES (?, ?, ?, ?)",
            (rid, float(reading.t), int(reading.in_bytes), int(reading.out_bytes)),
        )

    def add_samples(
        self, key: ResourceKey, samples: Iterable[Sample], *, step_s: int | None = None
    ) -> int:
        """Store rate samples; returns how many were written.

        Idempotent on (key, tier, t): a point seen again (overlapping series from successive
        polls) replaces the stored one. ``step_s`` picks the tier: below an hour (or None) is raw,
        below a day is hourly, else daily. Points older than what compaction already folded
        into the next tier are dropped, so an averaged bucket is never overwritten by a fragment.
        """
        tier = (
            TIER_RAW
            if step_s is None or step_s < 3600
            else TIER_HOUR
            if step_s < 86400
            else TIER_DAY
        )
        samples = list(samples)
        if self._skip_write(len(samples)):
            return 0
        with self._guard(len(samples)), self._write():
            written = self._insert_samples(
                tier, self._rid(key, create=True), self._tier_floor(tier), samples
            )
        self._maybe_compact()
        return written

    def _insert_samples(
        self, tier: int, rid: int, floor: float, samples: Iterable[Sample]
    ) -> int:
        """Upsert samples at or after ``floor`` into ``tier`` (inside a write); how many."""
        rows = [
            (tier, rid, int(round(s.t)), _bps(s.in_bps), _bps(s.out_bps))
            for s in samples
            if s.t >= floor
        ]
        self._db.executemany(
            "INSERT OR REPLACE INTO samples (tier, rid, t, in_bps, out_bps)"
            " VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        return len(rows)

    def add_batch(self, items: Iterable[tuple[ResourceKey, Iterable[Sample]]]) -> int:
        """Store raw samples of many resources in one transaction (one poll round)."""
        batch = [(key, list(samples)) for key, samples in items]
        points = sum(len(samples) for _, samples in batch)
        if self._skip_write(points):
            return 0
        written = 0
        with self._guard(points), self._write():
            floor = self._tier_floor(TIER_RAW)
            for key, samples in batch:
                written += self._insert_samples(
                    TIER_RAW, self._rid(key, create=True), floor, samples
                )
        self._maybe_compact()
        return written

    def _tier_floor(self, tier: int) -> float:
        name = {TIER_RAW: "raw_compacted_until", TIER_HOUR: "hour_compacted_until"}.get(tier)
        if name is None:
            return self._meta("day_deleted_until") or -math.inf
        return self._meta(name) or -math.inf

    def derive_rate(
        self,
        key: ResourceKey,
        reading: Reading,
        *,
        max_interval_s: float | None = MAX_RATE_INTERVAL_S,
    ) -> Sample | None:
        """The rate since the last stored reading before this one; stores the reading and the rate.

        This is how totals-only providers (Altostrat) get rates, across restarts and between two
        ``bwtui status`` runs. None for the first reading, after a counter drop (a new period),
        or when the previous reading is older than ``max_interval_s``. Read-only: the rate is
        derived, nothing is stored.
        """
        if self.read_only:
            previous = self._reading_before(key, reading.t)
            self.health_tracker.skipped(1)
            if previous is None:
                return None
            return rate_from_readings(previous, reading, max_interval_s=max_interval_s)
        with self._guard(2), self._write():
            rid = self._rid(key, create=True)
            row = self._db.execute(
                "SELECT t, in_bytes, out_bytes FROM readings WHERE rid = ? AND t < ?"
                " ORDER BY t DESC LIMIT 1",
                (rid, float(reading.t)),
            ).fetchone()
            self._insert_reading(key, reading)
            sample = None
            if row is not None:
                sample = rate_from_readings(
                    Reading(row[0], row[1], row[2]), reading, max_interval_s=max_interval_s
                )
            if sample is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO samples (tier, rid, t, in_bps, out_bps)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        TIER_RAW,
                        rid,
                        int(round(sample.t)),
                        _bps(sample.in_bps),
                        _bps(sample.out_bps),
                    ),
                )
        self._maybe_compact()
        return sample

    # -- reading ---------------------------------------------------------------------------------

    def _reading_before(self, key: ResourceKey, t: float) -> Reading | None:
        with self._guard():
            rid = self._rid(key, create=False)
            if rid is None:
                return None
            row = self._db.execute(
                "SELECT t, in_bytes, out_bytes FROM readings WHERE rid = ? AND t < ?"
                " ORDER BY t DESC LIMIT 1",
                (rid, float(t)),
            ).fetchone()
        return None if row is None else Reading(row[0], row[1], row[2])

    def last_reading(self, key: ResourceKey) -> Reading | None:
        """The newest stored reading, or None."""
        with self._guard():
            rid = self._rid(key, create=False)
            if rid is None:
                return None
            row = self._db.execute(
                "SELECT t, in_bytes, out_bytes FROM readings WHERE rid = ? ORDER BY t DESC LIMIT 1",
                (rid,),
            ).fetchone()
        return None if row is None else Reading(row[0], row[1], row[2])

    def readings(self, key: ResourceKey, since: float = -math.inf) -> list[Reading]:
        """Stored readings at or after ``since``, oldest first."""
        with self._guard():
            rid = self._rid(key, create=False)
            if rid is None:
                return []
            rows = self._db.execute(
                "SELECT t, in_bytes, out_bytes FROM readings WHERE rid = ? AND t >= ? ORDER BY t",
                (rid, since),
            ).fetchall()
        return [Reading(*row) for row in rows]

    def samples(
        self,
        key: ResourceKey,
        since: float,
        until: float | None = None,
        max_points: int | None = None,
    ) -> list[Sample]:
        """Rate samples in ``[since, until]``, oldest first, from the finest tier at each time.

        Raw points where they are kept, hourly averages before the oldest raw point, daily ones
        before the oldest hourly point: one seamless series whatever the range. With
        ``max_points`` the result is averaged into at most that many equal time buckets.
        """
        upper = math.inf if until is None else until
        with self._guard():
            rid = self._rid(key, create=False)
            if rid is None:
                return []
            db = self._db
            raw_min = db.execute(
                "SELECT MIN(t) FROM samples WHERE tier = 0 AND rid = ?", (rid,)
            ).fetchone()[0]
            hour_min = db.execute(
                "SELECT MIN(t) FROM samples WHERE tier = 1 AND rid = ?", (rid,)
            ).fetchone()[0]
            raw_from = math.inf if raw_min is None else raw_min
            hour_from = raw_from if hour_min is None else min(hour_min, raw_from)
            parts: list[str] = []
            params: list[float] = []
            for tier, low, high in (
                (TIER_DAY, since, min(upper, hour_from - 1e-9)),
                (TIER_HOUR, since, min(upper, raw_from - 1e-9)),
                (TIER_RAW, since, upper),
            ):
                if low > high:
                    continue
                parts.append(
                    "SELECT t, in_bps, out_bps FROM samples"
                    " WHERE tier = ? AND rid = ? AND t >= ? AND t <= ?"
                )
                params += [tier, rid, low, high if math.isfinite(high) else 1e18]
            if not parts:
                return []
            stitched = " UNION ALL ".join(parts)
            if max_points is not None and max_points > 0:
                buckets = self._bucketed(stitched, params, max_points)
                if buckets is not None:
                    return buckets
            rows = db.execute(f"SELECT * FROM ({stitched}) ORDER BY t", params).fetchall()
        return [Sample(float(t), i, o) for t, i, o in rows]

    def _bucketed(
        self, stitched: str, params: list[float], max_points: int
    ) -> list[Sample] | None:
        """:func:`downsample` done by SQLite (None when there are no more than ``max_points``).

        Averaging in SQL sends only the buckets to Python, so a month chart at 200 points is
        cheaper than the same month at full resolution.
        """
        count, first, last = self._db.execute(
            f"SELECT COUNT(*), MIN(t), MAX(t) FROM ({stitched})", params
        ).fetchone()
        if count <= max_points:
            return None
        width = (last - first) / max_points or 1.0
        rows = self._db.execute(
            f"SELECT MIN(t), AVG(in_bps), AVG(out_bps) FROM ({stitched})"
            " GROUP BY MIN(CAST((t - ?) / ? AS INTEGER), ?) ORDER BY 1",
            (*params, first, width, max_points - 1),
        ).fetchall()
        return [Sample(float(t), i, o) for t, i, o in rows]

    def keys(self) -> list[ResourceKey]:
        """Every resource with stored history, sorted."""
        with self._guard():
            rows = self._db.execute("SELECT account, resource_id FROM resources").fetchall()
        return sorted((a, r) for a, r in rows)

    def export_rows(
        self,
        *,
        since: float | None = None,
        account: str | None = None,
        resource_id: str | None = None,
    ) -> Iterator[ExportRow]:
        """Every stored sample, then every reading, per resource (sorted), oldest first.

        Reads one resource at a time, so memory stays small and writers are never held up long.
        """
        low = -math.inf if since is None else since
        for acct, rid_text in self.keys():
            if account is not None and acct != account:
                continue
            if resource_id is not None and rid_text != resource_id:
                continue
            with self._guard():
                rid = self._rid((acct, rid_text), create=False)
                samples = self._db.execute(
                    "SELECT tier, t, in_bps, out_bps FROM samples WHERE rid = ? AND t >= ?"
                    " ORDER BY t, tier",
                    (rid, low),
                ).fetchall()
                readings = self._db.execute(
                    "SELECT t, in_bytes, out_bytes FROM readings"
                    " WHERE rid = ? AND t >= ? ORDER BY t",
                    (rid, low),
                ).fetchall()
            for tier, t, in_bps, out_bps in samples:
                yield ExportRow(
                    acct, rid_text, "sample", TIER_NAMES[tier], float(t), in_bps, out_bps
                )
            for t, in_bytes, out_bytes in readings:
                yield ExportRow(
                    acct,
                    rid_text,
                    "reading",
                    None,
                    float(t),
                    in_bytes=in_bytes,
                    out_bytes=out_bytes,
                )

    def row_counts(self) -> dict[str, int]:
        """Rows per tier and readings (for tests, benchmarks and ``locate``-style reports)."""
        with self._guard():
            counts = {
                TIER_NAMES[tier]: n
                for tier, n in self._db.execute(
                    "SELECT tier, COUNT(*) FROM samples GROUP BY tier"
                ).fetchall()
            }
            counts["readings"] = self._db.execute("SELECT COUNT(*) FROM readings").fetchone()[0]
        for name in TIER_NAMES.values():
            counts.setdefault(name, 0)
        return counts

    # -- retention -------------------------------------------------------------------------------

    def _maybe_compact(self) -> None:
        if not self._auto_compact:
            return
        now = self._clock()
        if self._last_compact_at is not None and now - self._last_compact_at < COMPACT_EVERY_S:
            return
        self.compact(now)

    def compact(self, now: float, *, force: bool = False) -> bool:
        """Apply the retention tiers (:func:`bwtui.history_retention.apply_retention`); at most
        once an hour unless ``force``. True if it ran."""
        if self.read_only:
            return False
        keep = self.retention
        with self._guard(0):
            last = self._meta("last_compact_at")
            if not force and last is not None and 0 <= now - last < COMPACT_EVERY_S:
                self._last_compact_at = last
                return False
            with self._write():
                for name, value in apply_retention(self._db, keep, now).items():
                    old = self._meta(name)
                    self._set_meta(name, value if old is None else max(old, value))
                self._set_meta("last_compact_at", now)
            self._last_compact_at = now
            reclaim_free_pages(self._db)
        return True

class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (rollback on error): short, and never a lock upgrade."""

    def __init__(self, store: HistoryStore) -> None:
        self._store = store

    def __enter__(self) -> None:
        self._store._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self._store._db.execute("COMMIT")
            return
        self._store._rids.clear()  # ids created in this transaction are gone
        try:
            self._store._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass


class _Guard:
    """Hold the store's lock, check the file first, and turn SQLite errors into
    :class:`HistoryUnavailable` (recorded in the store's health, with the points lost)."""

    def __init__(self, store: HistoryStore, points: int | None) -> None:
        self._store = store
        self._points = points  # None: a read

    def __enter__(self) -> None:
        store = self._store
        store._lock.acquire()
        try:
            store._watchdog.check(self._points)
        except BaseException:
            store._lock.release()
            raise

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        store = self._store
        try:
            if isinstance(exc, sqlite3.Error):
                store._rids.clear()
                raise store._watchdog.failure(store._db, exc, self._points) from None
            if exc is None and self._points is not None:
                store.health_tracker.wrote()
        finally:
            store._lock.release()


def open_history(
    path: Path | None = None, **options: object
) -> tuple[HistoryStore | None, str | None]:
    """Open the store as well as it can be opened: ``(store, notice)`` or ``(None, problem)``.

    See :func:`bwtui.history_open.open_store`: read-only when it cannot be written, a damaged
    file kept aside and a new one started, else no store and the problem for the user.
    """
    from bwtui.history_open import open_store

    return open_store(path, **options)


__all__ = [
    "COMPACT_EVERY_S",
    "ExportRow",
    "HistoryHealth",
    "HistoryStore",
    "HistoryUnavailable",
    "Retention",
    "TIER_DAY",
    "TIER_HOUR",
    "TIER_NAMES",
    "TIER_RAW",
    "default_history_path",
    "downsample",
    "open_history",
    "rate_from_readings",
]
