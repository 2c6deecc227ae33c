"""History never fails silently: damaged, full, replaced, locked or read-only is told, with
what was lost, and whatever can still be read is shown."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bwtui.history import HistoryStore, HistoryUnavailable, open_history
from bwtui.history_health import HistoryHealth, header_mark, store_mark
from bwtui.model import Reading, Sample

DAY = 86400
NOW = 1_790_000_000 - (1_790_000_000 % DAY) + 14 * 3600 + 3 * 60  # 14:03 UTC
KEY = ("hv-prod", "152515")
REPO = Path(__file__).resolve().parent.parent


class FakeClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "state" / "bwtui" / "history.sqlite3"
    path.parent.mkdir(parents=True)
    return path


def points(n: int, start: float = NOW - 3600) -> list[Sample]:
    return [Sample(start + i * 300, 1e6, 2e6) for i in range(n)]


def filled(path: Path, clock: FakeClock, n: int = 12) -> HistoryStore:
    store = HistoryStore(path, clock=clock, auto_compact=False)
    store.add_samples(KEY, points(n))
    store.add_reading(KEY, Reading(NOW - 600, 10, 20))
    return store


# ----- the header mark ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("health", "expected"),
    [
        (HistoryHealth(), None),
        (
            HistoryHealth("failed", "disk full", "…", 42, NOW, NOW + 60),
            ("✖ history disk full: 42 points not written since 14:03", "error"),
        ),
        (
            HistoryHealth("failed", "damaged", "…", 1, NOW, NOW),
            ("✖ history damaged: 1 point not written since 14:03", "error"),
        ),
        (HistoryHealth("read-only", "unwritable", "…"), ("⚠ history read-only", "stale")),
        (
            HistoryHealth("read-only", "unwritable", "…", 7, NOW, NOW),
            ("⚠ history read-only: 7 points not written since 14:03", "stale"),
        ),
        (
            HistoryHealth("ok", None, None, 30, NOW, NOW + 7 * 60),
            ("⚠ history: 30 points lost 14:03–14:10", "stale"),
        ),
        (
            HistoryHealth(note="kept as history.sqlite3.corrupt-20260921T1403"),
            ("⚠ history: new file (damaged one kept)", "stale"),
        ),
    ],
)
def test_header_mark_says_what_is_wrong_and_what_was_lost(
    health: HistoryHealth, expected: tuple[str, str] | None
) -> None:
    assert header_mark(health) == expected


def test_header_mark_without_a_store() -> None:
    assert header_mark(None, "cannot be created") == ("✖ history off", "error")
    assert header_mark(None, None) is None
    assert store_mark(None, "x", ascii_only=True) == ("x history off", "error")
    assert store_mark(object()) is None  # a store that does not track its health


# ----- damaged during a run -----------------------------------------------------------------------
def test_garbage_written_over_the_file_is_caught_at_the_next_write(db_path: Path) -> None:
    clock = FakeClock(NOW)
    store = filled(db_path, clock)
    size = db_path.stat().st_size
    with open(db_path, "r+b") as handle:  # another program scribbles over it
        handle.write(os.urandom(size))
    clock.t = NOW + 60
    with pytest.raises(HistoryUnavailable) as info:
        store.add_batch([(KEY, points(3, NOW))])
    assert info.value.cause == "damaged"
    assert "overwritten" in str(info.value) and "restart bwtui" in str(info.value)
    clock.t = NOW + 120
    with pytest.raises(HistoryUnavailable):  # never written into a damaged file again
        store.add_reading(KEY, Reading(NOW, 1, 2))
    health = store.health
    assert (health.state, health.cause, health.lost_points) == ("failed", "damaged", 4)
    assert health.lost_since == NOW + 60 and health.lost_until == NOW + 120
    assert header_mark(health) == (
        "✖ history damaged: 4 points not written since 14:04", "error"
    )
    with pytest.raises(HistoryUnavailable):  # reads say so too, rather than show garbage
        store.samples(KEY, 0)
    store.close()


def test_damage_found_by_sqlite_is_checked_and_told(db_path: Path) -> None:
    clock = FakeClock(NOW)
    store = filled(db_path, clock, n=400)
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    page = 4096
    with open(db_path, "r+b") as handle:  # header intact, the data pages scribbled over
        handle.seek(page)
        handle.write(b"\x0d" + os.urandom(db_path.stat().st_size - page - 1))
    store = HistoryStore(db_path, clock=clock, auto_compact=False)
    with pytest.raises(HistoryUnavailable) as info:
        store.add_batch([(KEY, points(2, NOW))])
    assert info.value.cause == "damaged"
    assert "integrity check" in str(info.value)
    assert store.health.state == "failed" and store.health.lost_points == 2
    store.close()
    # The next start checks the file the run found damaged, and keeps it aside.
    store, notice = open_history(db_path, clock=clock)
    assert store is not None and notice is not None and "new history was started" in notice
    assert len(list(db_path.parent.glob("history.sqlite3.corrupt-*"))) == 1
    assert not db_path.with_name("history.sqlite3.damaged").exists()
    store.add_samples(KEY, points(1, NOW))
    store.close()


def test_a_file_removed_or_replaced_during_a_run_is_caught(db_path: Path) -> None:
    store = filled(db_path, FakeClock(NOW))
    db_path.rename(db_path.with_suffix(".old"))
    with pytest.raises(HistoryUnavailable) as info:
        store.add_samples(KEY, points(1, NOW))
    assert info.value.cause == "replaced" and "removed" in str(info.value)
    assert store.health.lost_points == 1
    store.close()


def test_damage_at_start_keeps_the_file_aside_with_its_wal(db_path: Path) -> None:
    db_path.write_bytes(b"\x00garbage" * 512)
    Path(f"{db_path}-wal").write_bytes(b"old wal")
    store, notice = open_history(db_path, clock=FakeClock(NOW))
    assert store is not None and notice is not None
    kept = db_path.with_name("history.sqlite3.corrupt-20260921T1403")
    assert kept.exists() and Path(f"{kept}-wal").read_bytes() == b"old wal"
    assert kept.name in notice and "new history was started" in notice
    assert header_mark(store.health) == ("⚠ history: new file (damaged one kept)", "stale")
    assert store.samples(KEY, 0) == []
    store.close()
    # A second damaged file the same minute gets its own name; the first is never overwritten.
    db_path.write_bytes(b"\x00garbage again" * 512)
    store, notice = open_history(db_path, clock=FakeClock(NOW))
    assert store is not None and "corrupt-20260921T1403-2" in (notice or "")
    store.close()


# ----- full disk ----------------------------------------------------------------------------------
def test_a_full_disk_is_told_with_what_was_lost_and_recovers(db_path: Path) -> None:
    clock = FakeClock(NOW)
    store = filled(db_path, clock)
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")  # SQLITE_FULL on the next growth
    lost = 0
    for minute in range(1, 4):
        clock.t = NOW + minute * 60
        batch = [((KEY[0], str(i)), points(5, NOW)) for i in range(40)]
        with pytest.raises(HistoryUnavailable) as info:
            store.add_batch(batch)
        lost += 200
        assert info.value.cause == "disk full" and "free disk space" in str(info.value)
    health = store.health
    assert (health.state, health.lost_points, health.lost_since) == ("failed", lost, NOW + 60)
    assert header_mark(health) == (
        "✖ history disk full: 600 points not written since 14:04", "error"
    )
    store._db.execute("PRAGMA max_page_count = 1073741823")  # space freed
    clock.t = NOW + 5 * 60
    store.add_samples(KEY, points(1, NOW + 300))
    assert store.health.state == "ok"
    assert header_mark(store.health) == ("⚠ history: 600 points lost 14:04–14:06", "stale")
    store.close()


@contextlib.contextmanager
def tiny_tmpfs(where: Path, size_kb: int) -> Iterator[Path]:
    where.mkdir(parents=True)
    if os.geteuid() != 0:
        pytest.skip("a real full filesystem needs root to mount a tiny tmpfs")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where)],
        capture_output=True,
    )
    if result.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_a_really_full_filesystem_is_told(tmp_path: Path) -> None:
    with tiny_tmpfs(tmp_path / "tiny", 192) as mount:
        clock = FakeClock(NOW)
        store, problem = open_history(mount / "history.sqlite3", clock=clock, auto_compact=False)
        assert store is not None and problem is None
        failures = 0
        for n in range(400):
            clock.t = NOW + n
            try:
                store.add_batch([((KEY[0], str(n)), points(24, NOW))])
            except HistoryUnavailable as error:
                assert error.cause in ("disk full", "I/O error"), str(error)
                failures += 1
                if failures >= 3:
                    break
        assert failures >= 3
        assert store.health.state == "failed" and store.health.lost_points >= 72
        store.close()


# ----- read-only ----------------------------------------------------------------------------------
@contextlib.contextmanager
def read_only_dir(directory: Path) -> Iterator[None]:
    """The directory (and its files) made unwritable for this process: chmod for a normal user,
    a read-only bind mount for root (who ignores permissions)."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [directory, *directory.iterdir()]}
        for path in modes:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    bind = subprocess.run(["mount", "--bind", str(directory), str(directory)], capture_output=True)
    if bind.returncode != 0:
        pytest.skip("cannot make a read-only directory here (root without mount)")
    try:
        remount = subprocess.run(
            ["mount", "-o", "remount,ro,bind", str(directory)], capture_output=True
        )
        if remount.returncode != 0:
            pytest.skip("cannot remount read-only here")
        yield
    finally:
        subprocess.run(["umount", "-l", str(directory)], capture_output=True)


def test_a_read_only_state_dir_still_shows_history(db_path: Path) -> None:
    filled(db_path, FakeClock(NOW)).close()
    with read_only_dir(db_path.parent):
        clock = FakeClock(NOW + 60)
        store, notice = open_history(db_path, clock=clock)
        assert store is not None and store.read_only
        assert notice is not None and "cannot be written" in notice and "shown" in notice
        assert len(store.samples(KEY, 0)) == 12  # what is stored is still there to show
        assert store.last_reading(KEY) == Reading(NOW - 600, 10, 20)
        assert store.add_batch([(KEY, points(3, NOW))]) == 0
        store.add_reading(KEY, Reading(NOW, 30, 60))
        rate = store.derive_rate(KEY, Reading(NOW, 1010, 2020))
        assert rate is not None and rate.in_bps == pytest.approx(1000 * 8 / 600)
        health = store.health
        assert (health.state, health.lost_points) == ("read-only", 5)
        assert header_mark(health) == (
            "⚠ history read-only: 5 points not written since 14:04", "stale"
        )
        store.close()


def test_export_reads_a_read_only_state_dir(db_path: Path, tmp_path: Path) -> None:
    filled(db_path, FakeClock(NOW)).close()
    with read_only_dir(db_path.parent):
        result = subprocess.run(
            [sys.executable, "-m", "bwtui", "export", "--csv", "--history", str(db_path)],
            capture_output=True, text=True, cwd=REPO, timeout=60,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
    assert result.returncode == 0, result.stderr
    rows = result.stdout.strip().splitlines()
    assert rows[0].startswith("account,resource_id,record")
    assert len(rows) == 1 + 12 + 1  # header, 12 samples, 1 reading


def test_read_only_can_be_asked_for(db_path: Path) -> None:
    filled(db_path, FakeClock(NOW)).close()
    before = db_path.stat().st_mtime_ns
    store, notice = open_history(db_path, read_only=True)
    assert store is not None and store.read_only and notice
    assert store.add_samples(KEY, points(2, NOW)) == 0
    assert store.compact(NOW + 10 * DAY, force=True) is False
    store.close()
    assert db_path.stat().st_mtime_ns == before


def test_a_read_only_corrupt_file_is_left_alone(db_path: Path) -> None:
    db_path.write_bytes(b"garbage" * 1000)
    store, problem = open_history(db_path, read_only=True)
    assert store is None and problem is not None and "corrupt" in problem
    assert db_path.read_bytes() == b"garbage" * 1000


# ----- locked -------------------------------------------------------------------------------------
def test_a_locked_database_loses_points_and_says_so(db_path: Path) -> None:
    clock = FakeClock(NOW)
    store = HistoryStore(db_path, clock=clock, busy_timeout_s=0.05, auto_compact=False)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(HistoryUnavailable):
            store.add_batch([(KEY, points(3, NOW))])
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert (store.health.state, store.health.cause, store.health.lost_points) == (
        "failed", "locked", 3
    )
    store.add_samples(KEY, points(1, NOW))
    assert store.health.state == "ok" and store.health.lost_points == 3
    store.close()


def test_two_stores_on_one_file_in_one_process_keep_working(db_path: Path) -> None:
    """The header probe shares one descriptor per file, so closing a store never drops the
    locks SQLite holds for another store of the same process."""
    one = HistoryStore(db_path, clock=FakeClock(NOW))
    two = HistoryStore(db_path, clock=FakeClock(NOW))
    one.add_samples(KEY, points(2))
    one.close()
    two.add_samples(("vpn", "a"), points(2))
    assert len(two.samples(KEY, 0)) == 2
    two.close()
