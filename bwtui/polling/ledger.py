"""One request budget per provider budget group per host, shared by every bwtui process.

The ledger is a small SQLite database in the state dir (``budget.sqlite3``, WAL mode). It holds,
per budget group (``str(BudgetKey)``, e.g. ``hivelocity@core.hivelocity.net``):
- what the provider's headers last said (limit, remaining, when the window resets), already
  less what bwtui processes spent since, and a 429 block if one is in force;
- per process: what it spent, whether it is a long-running (paced) poller and what it needs
  a second at its natural cadence, and a heartbeat (a process silent for ``LIVE_S`` is gone);
- each account's last listing, so a one-shot command short of budget can still list what the
  account holds (never an empty list).

A process reads the ledger before its first request. A monitor syncs about once a second
(its spend since the last sync, the latest figures, its demand) and paces itself on the shared
figures and its share of the paced demand. A one-shot command *claims* what it needs in one
transaction and gets at most what the paced processes' claim on the rest of the window leaves.

Why SQLite rather than a locked JSON file: every update is a read-modify-write that several
processes race on; SQLite gives atomic transactions across processes (``BEGIN IMMEDIATE`` with a
busy timeout), survives a process killed mid-write (a JSON rewrite needs write-temp-and-rename
plus ``flock``, which does not exist on Windows), lets readers run while a writer writes (WAL),
and is in the standard library and already used for history. The file holds no secret: budget
groups are named by provider, host and (token-scoped budgets) account name, never the token.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any

from bwtui.model import BillingTerms, RateLimit, Resource

log = logging.getLogger(__name__)

LEDGER_FILE_NAME = "budget.sqlite3"
LIVE_S = 30.0  # a process that has not synced for this long is gone
FORGET_S = 2 * 86400.0  # rows of groups nobody touched for this long are dropped
PACED_HEADROOM = 1.2  # a one-shot leaves the monitors 20 % more than their natural need
NEW_WINDOW_S = 5.0  # a reset this much later than the known one starts a new window
RESET_MARGIN_S = 1.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS budget (
    grp TEXT PRIMARY KEY,
    lim INTEGER,
    remaining INTEGER,
    window_end REAL,
    blocked_until REAL NOT NULL DEFAULT 0,
    block_reason TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS spender (
    grp TEXT NOT NULL,
    process TEXT NOT NULL,
    kind TEXT NOT NULL,
    demand_rps REAL NOT NULL DEFAULT 0,
    spent INTEGER NOT NULL DEFAULT 0,
    heartbeat REAL NOT NULL,
    PRIMARY KEY (grp, process)
);
CREATE TABLE IF NOT EXISTS listing (
    account TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    resources TEXT NOT NULL,
    saved_at REAL NOT NULL
)
"""

PACED = "paced"  # a long-running poller (monitor, serve)
ONESHOT = "oneshot"  # status, check, export


@dataclass(frozen=True, slots=True)
class SharedBudget:
    """A budget group as every bwtui process on this host sees it."""

    limit: int | None
    remaining: int | None  # None: no provider figures yet in this window
    window_end: float | None
    blocked_until: float
    block_reason: str
    paced_rps: float  # what the live paced processes (this one included) need a second
    own_rps: float  # this process's part of it
    processes: int  # live processes, this one included

    def share(self, supply_rps: float | None) -> float:
        """This paced process's share of the rate (1.0 when everyone's demand fits)."""
        if self.paced_rps <= 0 or self.own_rps <= 0 or supply_rps is None:
            return 1.0
        if self.paced_rps <= supply_rps:
            return 1.0
        return max(0.05, self.own_rps / self.paced_rps)

    def paced_claim(self, now: float, window_s: float = 3600.0) -> float:
        """Requests the live paced processes will need before the window resets (a whole
        window when its end is not known yet)."""
        left_s = window_s if self.window_end is None else min(window_s, max(0.0, self.window_end - now))
        return self.paced_rps * PACED_HEADROOM * left_s


class LedgerError(Exception):
    """The ledger could not be read or written (the caller goes on without it)."""


class Ledger:
    """The shared budget file. One per process; every method is one short transaction."""

    def __init__(
        self, path: Path, *, process: str | None = None, busy_timeout_s: float = 2.0, live_s: float = LIVE_S
    ) -> None:
        self.path = path
        self.live_s = live_s
        self.process = process or f"{os.getpid()}-{time.time_ns()}"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # One connection, used by one thread at a time (a monitor's poller thread, which is
            # not the one that opened it).
            self._db = sqlite3.connect(
                str(path), timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            with self._transaction() as db:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
        except (OSError, sqlite3.Error) as error:
            raise LedgerError(f"request budget ledger {path}: {error}") from None

    # -- plumbing ------------------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise LedgerError(f"request budget ledger {self.path}: {error}") from None
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            try:
                db.execute("COMMIT")
            except sqlite3.Error as error:
                raise LedgerError(f"request budget ledger {self.path}: {error}") from None

    def close(self) -> None:
        try:
            self._db.close()
        except sqlite3.Error:
            pass

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the budget ----------------------------------------------------------------------------
    def _row(self, db: sqlite3.Connection, group: str, now: float) -> tuple[int | None, int | None, float | None, float, str]:
        found = db.execute(
            "SELECT lim, remaining, window_end, blocked_until, block_reason FROM budget WHERE grp = ?", (group,)
        ).fetchone()
        if found is None:
            return None, None, None, 0.0, ""
        lim, remaining, window_end, blocked_until, reason = found
        if window_end is not None and now >= window_end + RESET_MARGIN_S:  # the window reset
            remaining, window_end = lim, None
        return lim, remaining, window_end, float(blocked_until), str(reason)

    def _view(self, db: sqlite3.Connection, group: str, now: float, row: tuple[int | None, int | None, float | None, float, str]) -> SharedBudget:
        lim, remaining, window_end, blocked_until, reason = row
        live = db.execute(
            "SELECT process, kind, demand_rps FROM spender WHERE grp = ? AND heartbeat >= ?",
            (group, now - self.live_s),
        ).fetchall()
        paced = sum(rps for _, kind, rps in live if kind == PACED)
        own = sum(rps for process, kind, rps in live if kind == PACED and process == self.process)
        processes = len({process for process, _, _ in live} | {self.process})
        return SharedBudget(lim, remaining, window_end, blocked_until, reason, paced, own, processes)

    @staticmethod
    def _merge(
        row: tuple[int | None, int | None, float | None, float, str], spent: int, figures: RateLimit | None
    ) -> tuple[int | None, int | None, float | None, float, str]:
        lim, remaining, window_end, blocked_until, reason = row
        if remaining is not None:
            remaining -= spent
        if figures is not None and figures.remaining is not None:
            new_end = figures.observed_at + figures.reset_s if figures.reset_s is not None else window_end
            new_window = remaining is None or window_end is None or (
                new_end is not None and new_end > window_end + NEW_WINDOW_S
            )
            if new_window:
                remaining, window_end = figures.remaining, new_end
            else:
                remaining = min(remaining if remaining is not None else figures.remaining, figures.remaining)
        if figures is not None and figures.limit is not None:
            lim = figures.limit
        return lim, remaining, window_end, blocked_until, reason

    def _write_row(self, db: sqlite3.Connection, group: str, now: float, row: tuple[int | None, int | None, float | None, float, str]) -> None:
        lim, remaining, window_end, blocked_until, reason = row
        db.execute(
            "INSERT INTO budget (grp, lim, remaining, window_end, blocked_until, block_reason, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(grp) DO UPDATE SET lim = excluded.lim, "
            "remaining = excluded.remaining, window_end = excluded.window_end, "
            "blocked_until = excluded.blocked_until, block_reason = excluded.block_reason, "
            "updated_at = excluded.updated_at",
            (group, lim, remaining, window_end, blocked_until, reason, now),
        )

    def _note_spender(self, db: sqlite3.Connection, group: str, now: float, kind: str, spent: int, demand_rps: float) -> None:
        db.execute(
            "INSERT INTO spender (grp, process, kind, demand_rps, spent, heartbeat) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(grp, process) DO UPDATE SET kind = excluded.kind, demand_rps = excluded.demand_rps, "
            "spent = spender.spent + excluded.spent, heartbeat = excluded.heartbeat",
            (group, self.process, kind, demand_rps, spent, now),
        )

    def read(self, group: str, now: float) -> SharedBudget:
        """The group as it stands (before this process's first request)."""
        try:
            with self._transaction() as db:
                return self._view(db, group, now, self._row(db, group, now))
        except sqlite3.Error as error:
            raise LedgerError(str(error)) from None

    def sync(
        self,
        group: str,
        now: float,
        *,
        spent: int = 0,
        figures: RateLimit | None = None,
        demand_rps: float = 0.0,
        kind: str = PACED,
        block: tuple[float, str] | None = None,
    ) -> SharedBudget:
        """Add this process's ``spent`` requests and the provider's latest ``figures``; return
        the shared view. ``block`` (until, reason) sets or (until 0) lifts a 429 block."""
        try:
            with self._transaction() as db:
                row = self._merge(self._row(db, group, now), spent, figures)
                if block is not None:
                    row = (*row[:3], block[0], block[1])
                self._write_row(db, group, now, row)
                self._note_spender(db, group, now, kind, spent, demand_rps)
                return self._view(db, group, now, row)
        except sqlite3.Error as error:
            raise LedgerError(str(error)) from None

    def affordable(self, group: str, now: float, *, reserve: int = 0) -> int | None:
        """What a one-shot :meth:`claim` could get now (None: no figures yet, no limit known)."""
        view = self.read(group, now)
        if now < view.blocked_until:
            return 0
        if view.remaining is None:
            return None
        return max(0, view.remaining - reserve - int(view.paced_claim(now)))

    def claim(self, group: str, now: float, wanted: int, *, reserve: int = 0, all_or_nothing: bool = False) -> tuple[int, SharedBudget]:
        """A one-shot command asks for ``wanted`` requests now; returns how many it may send.

        It gets what is left after ``reserve`` (kept for the user's own refreshes) and after
        what the live paced processes need before the window resets; ``all_or_nothing``: 0
        unless all of ``wanted`` fits. Granted requests count as spent at once.
        """
        try:
            with self._transaction() as db:
                row = self._row(db, group, now)
                view = self._view(db, group, now, row)
                if now < view.blocked_until:
                    granted = 0
                elif view.remaining is None:
                    granted = wanted  # nothing known yet: the provider's figures will tell
                else:
                    free = view.remaining - reserve - int(view.paced_claim(now))
                    granted = max(0, min(wanted, free))
                    if all_or_nothing and granted < wanted:
                        granted = 0
                row = self._merge(row, granted, None)
                self._write_row(db, group, now, row)
                self._note_spender(db, group, now, ONESHOT, granted, 0.0)
                return granted, self._view(db, group, now, row)
        except sqlite3.Error as error:
            raise LedgerError(str(error)) from None

    def forget(self) -> None:
        """This process ends: its demand no longer counts (its spend stays in the figures)."""
        try:
            with self._transaction() as db:
                db.execute("DELETE FROM spender WHERE process = ?", (self.process,))
                cutoff = time.time() - FORGET_S
                db.execute("DELETE FROM spender WHERE heartbeat < ?", (cutoff,))
                db.execute("DELETE FROM budget WHERE updated_at < ?", (cutoff,))
        except (sqlite3.Error, LedgerError) as error:
            log.warning("could not tidy the request budget ledger: %s", error)

    # -- listings ------------------------------------------------------------------------------
    def save_listing(self, account: str, provider: str, resources: Iterable[Resource], now: float) -> None:
        """Remember an account's resources (for a one-shot command short of budget)."""
        payload = json.dumps([_plain(resource) for resource in resources])
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO listing (account, provider, resources, saved_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(account) DO UPDATE SET provider = excluded.provider, "
                    "resources = excluded.resources, saved_at = excluded.saved_at",
                    (account, provider, payload, now),
                )
        except sqlite3.Error as error:
            raise LedgerError(str(error)) from None

    def load_listing(self, account: str, provider: str) -> tuple[tuple[Resource, ...], float] | None:
        """The account's last saved resources and when they were saved (None: none saved)."""
        try:
            found = self._db.execute(
                "SELECT resources, saved_at FROM listing WHERE account = ? AND provider = ?", (account, provider)
            ).fetchone()
        except sqlite3.Error as error:
            raise LedgerError(str(error)) from None
        if found is None:
            return None
        try:
            resources = tuple(_resource(item) for item in json.loads(found[0]))
        except (ValueError, TypeError, KeyError):
            return None
        return resources, float(found[1])


# Per class: its dataclass field names, () for a tuple, None for a value JSON takes as it is.
# (Looked up once per class: a 5,000-service listing spent 0.1-0.2 s in is_dataclass/fields,
# on the poller's thread, before its first rate requests left.)
_SHAPES: dict[type, tuple[str, ...] | None] = {str: None, int: None, float: None, bool: None,
                                                type(None): None, tuple: ()}


def _plain(value: Any) -> Any:
    """A dataclass (nested too) as dicts and lists JSON can write."""
    cls = type(value)
    try:
        shape = _SHAPES[cls]
    except KeyError:
        if is_dataclass(value) and not isinstance(value, type):
            shape = tuple(f.name for f in fields(value))
        elif isinstance(value, tuple):
            shape = ()
        else:
            shape = None
        _SHAPES[cls] = shape
    if shape is None:
        return value
    if not shape:
        return [_plain(item) for item in value]
    return {name: _plain(getattr(value, name)) for name in shape}


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {key: value for key, value in data.items() if key in names}


def _resource(data: dict[str, Any]) -> Resource:
    data = _known(Resource, data)
    billing = data.get("billing")
    if isinstance(billing, dict):
        terms = _known(BillingTerms, billing)
        if isinstance(terms.get("notes"), list):
            terms["notes"] = tuple(terms["notes"])
        data["billing"] = BillingTerms(**terms)
    return Resource(**data)


def default_ledger_path() -> Path:
    """``<user state dir>/budget.sqlite3``."""
    from bwtui.paths import state_dir

    return state_dir() / LEDGER_FILE_NAME


def open_ledger(path: Path | None = None) -> Ledger | None:
    """The host's ledger, or None (logged) when the state dir cannot hold it."""
    try:
        return Ledger(path or default_ledger_path())
    except LedgerError as error:
        log.warning("%s; this process keeps its own request budget only", error)
        return None
