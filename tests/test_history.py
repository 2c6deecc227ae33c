"""The SQLite history store: persistence, idempotent writes, tiered retention, rates, failures."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bwtui.history import (
    HistoryStore,
    HistoryUnavailable,
    downsample,
    open_history,
    rate_from_readings,
)
from bwtui.model import Reading, Sample

DAY = 86400
HOUR = 3600
NOW = 1_790_000_000 - (1_790_000_000 % DAY)  # a UTC midnight in 2026
KEY = ("hv-prod", "152515")


class FakeClock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def five_minute_points(start: float, end: float, value=lambda t: 1000.0) -> list[Sample]:
    return [Sample(t, value(t), value(t) * 2) for t in range(int(start), int(end), 300)]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "bwtui" / "history.sqlite3"


def store_at(path: Path, now: float = NOW, **kw) -> HistoryStore:
    return HistoryStore(path, clock=FakeClock(now), **kw)


def test_history_survives_a_restart(db_path: Path) -> None:
    with store_at(db_path) as store:
        store.add_samples(KEY, five_minute_points(NOW - 6 * HOUR, NOW))
        store.add_reading(KEY, Reading(NOW, 10, 20))
    with store_at(db_path) as reopened:
        shown = reopened.samples(KEY, NOW - DAY)
        assert len(shown) == 72
        assert shown[-1] == Sample(NOW - 300, 1000.0, 2000.0)
        assert reopened.last_reading(KEY) == Reading(NOW, 10, 20)


def test_overlapping_series_from_successive_polls_are_stored_once(db_path: Path) -> None:
    with store_at(db_path) as store:
        store.add_samples(KEY, five_minute_points(NOW - DAY, NOW))
        # The next poll's day series overlaps all but one point; its last point was revised.
        second = five_minute_points(NOW - DAY + 300, NOW + 300)
        second[-2] = Sample(NOW - 300, 5000.0, 6000.0)
        store.add_samples(KEY, second)
        shown = store.samples(KEY, NOW - 2 * DAY)
        assert len(shown) == 289
        assert [s.t for s in shown] == sorted({s.t for s in shown})
        assert shown[-2] == Sample(NOW - 300, 5000.0, 6000.0)


def test_gaps_are_kept_as_gaps_not_zeros(db_path: Path) -> None:
    with store_at(db_path) as store:
        store.add_samples(
            KEY, [Sample(NOW - 600, None, 5.0), Sample(NOW - 300, float("nan"), None)]
        )
        assert store.samples(KEY, NOW - HOUR) == [
            Sample(NOW - 600, None, 5.0),
            Sample(NOW - 300, None, None),
        ]


def test_compaction_averages_old_raw_points_into_hours(db_path: Path) -> None:
    clock = FakeClock(NOW)
    with HistoryStore(db_path, clock=clock, auto_compact=False) as store:
        # Three days of points whose value is the minute of the hour: each hour averages 27.5.
        store.add_samples(
            KEY, five_minute_points(NOW - 3 * DAY, NOW, lambda t: (t % HOUR) / 60 * 1000)
        )
        assert store.compact(NOW)
        counts = store.row_counts()
        assert counts["raw"] == 2 * DAY // 300  # exactly the last two days stay raw
        assert counts["hour"] == 24
        hourly = store.samples(KEY, NOW - 3 * DAY, NOW - 2 * DAY - 1)
        assert len(hourly) == 24
        assert all(s.in_bps == 27500.0 and s.out_bps == 55000.0 for s in hourly)
        assert all(s.t % HOUR == 0 for s in hourly)


def test_compaction_runs_at_most_once_an_hour(db_path: Path) -> None:
    with HistoryStore(db_path, auto_compact=False) as store:
        assert store.compact(NOW)
        assert not store.compact(NOW + 1800)
        assert store.compact(NOW + HOUR)
        assert store.compact(NOW + HOUR + 1, force=True)


def test_writes_compact_on_their_own_with_the_clock(db_path: Path) -> None:
    clock = FakeClock(NOW)
    with HistoryStore(db_path, clock=clock) as store:
        store.add_samples(KEY, five_minute_points(NOW - DAY, NOW))
        clock.t = NOW + 3 * DAY
        store.add_samples(KEY, five_minute_points(NOW + 3 * DAY - HOUR, NOW + 3 * DAY))
        counts = store.row_counts()
        assert counts["raw"] == 12
        assert counts["hour"] == 24


def test_a_gap_hour_averages_to_a_gap(db_path: Path) -> None:
    with HistoryStore(db_path, auto_compact=False) as store:
        start = NOW - 3 * DAY
        store.add_samples(KEY, [Sample(t, None, None) for t in range(start, start + HOUR, 300)])
        store.compact(NOW)
        assert store.samples(KEY, start, start + HOUR) == [Sample(start, None, None)]


def test_retention_keeps_the_file_bounded_over_months(db_path: Path) -> None:
    clock = FakeClock(NOW)
    with HistoryStore(db_path, clock=clock) as store:
        for day in range(200):  # one resource polled for 200 days, a day's series at a time
            t0 = NOW + day * DAY
            clock.t = t0 + DAY
            store.add_samples(KEY, five_minute_points(t0, t0 + DAY))
            store.add_reading(KEY, Reading(t0 + DAY, day, day))
        counts = store.row_counts()
    assert counts["raw"] <= 2 * DAY // 300 + 12
    assert counts["hour"] <= 90 * 24 + 24
    assert counts["day"] <= 200 - 90 + 1
    shown = HistoryStore(db_path, clock=clock).samples(KEY, NOW, NOW + 200 * DAY)
    assert shown[0].t == NOW  # the oldest data survives, as daily averages
    assert {s.in_bps for s in shown} == {1000.0}


def test_daily_points_expire_after_two_years(db_path: Path) -> None:
    with HistoryStore(db_path, auto_compact=False) as store:
        store.add_samples(
            KEY, [Sample(NOW - 800 * DAY, 1.0, 1.0), Sample(NOW - 700 * DAY, 2.0, 2.0)], step_s=DAY
        )
        store.compact(NOW)
        assert store.samples(KEY, 0) == [Sample(NOW - 700 * DAY, 2.0, 2.0)]


def test_late_points_for_already_averaged_hours_are_ignored(db_path: Path) -> None:
    with HistoryStore(db_path, auto_compact=False) as store:
        old = NOW - 3 * DAY
        store.add_samples(KEY, five_minute_points(old, old + HOUR, lambda t: 100.0))
        store.compact(NOW)
        # A later week series (step 1800) repeats one point of that hour with another value.
        store.add_samples(KEY, [Sample(old, 999.0, 999.0)], step_s=1800)
        store.compact(NOW + HOUR)
        assert store.samples(KEY, old, old + HOUR - 1) == [Sample(old, 100.0, 200.0)]


def test_month_query_stitches_tiers_and_respects_max_points(db_path: Path) -> None:
    with HistoryStore(db_path, auto_compact=False) as store:
        store.add_samples(KEY, five_minute_points(NOW - 30 * DAY, NOW))
        store.compact(NOW)
        month = store.samples(KEY, NOW - 30 * DAY, NOW)
        assert len(month) == 28 * 24 + 2 * DAY // 300
        times = [s.t for s in month]
        assert times == sorted(times) and len(set(times)) == len(times)
        chart = store.samples(KEY, NOW - 30 * DAY, NOW, max_points=200)
        assert 0 < len(chart) <= 200
        assert {s.in_bps for s in chart} == {1000.0}


def test_downsample_averages_buckets_and_ignores_gaps() -> None:
    samples = [
        Sample(0, 10.0, None),
        Sample(1, 20.0, None),
        Sample(2, None, 4.0),
        Sample(3, 30.0, 6.0),
    ]
    assert downsample(samples, 2) == [Sample(0, 15.0, None), Sample(2, 30.0, 5.0)]


def test_readings_are_thinned_by_age(db_path: Path) -> None:
    with HistoryStore(db_path, auto_compact=False) as store:
        for t in range(NOW - 5 * DAY, NOW, 60):  # an Altostrat reading a minute
            store.add_reading(KEY, Reading(t, t - NOW + 5 * DAY, 0))
        store.compact(NOW)
        kept = store.readings(KEY)
        assert len(kept) == 2 * DAY // 60 + 3 * 24
        assert store.last_reading(KEY) == Reading(NOW - 60, 5 * DAY - 60, 0)
        hourly = [r for r in kept if r.t < NOW - 2 * DAY]
        assert all(r.t % HOUR == HOUR - 60 for r in hourly)  # the last reading of each hour


# -- rates from readings --------------------------------------------------------------------------


def test_rate_is_the_difference_over_time() -> None:
    sample = rate_from_readings(Reading(100, 1_000, 2_000), Reading(110, 2_000, 4_500))
    assert sample == Sample(110, 800.0, 2000.0)


def test_counter_drop_starts_a_new_period_not_a_negative_rate() -> None:
    assert rate_from_readings(Reading(100, 5_000, 5_000), Reading(160, 10, 5_100)) is None
    assert rate_from_readings(Reading(100, 5_000, 5_000), Reading(100, 6_000, 6_000)) is None
    assert rate_from_readings(Reading(0, 0, 0), Reading(10_000, 1, 1), max_interval_s=3600) is None


def test_second_status_run_gets_a_rate_from_the_stored_reading(db_path: Path) -> None:
    key = ("vpn", "d290f1ee")
    with store_at(db_path) as first_run:
        assert first_run.derive_rate(key, Reading(NOW, 1_000_000, 4_000_000)) is None
    with store_at(db_path) as second_run:
        sample = second_run.derive_rate(key, Reading(NOW + 5, 1_500_000, 5_000_000))
        assert sample == Sample(NOW + 5, 800_000.0, 1_600_000.0)
        # The same reading again (two callers storing it) does not turn into a zero rate.
        assert second_run.derive_rate(key, Reading(NOW + 5, 1_500_000, 5_000_000)) == sample
        assert second_run.samples(key, NOW) == [Sample(NOW + 5, 800_000.0, 1_600_000.0)]


def test_period_rollover_reading_gives_no_rate_then_rates_resume(db_path: Path) -> None:
    key = ("vpn", "x")
    with store_at(db_path) as store:
        store.derive_rate(key, Reading(NOW - 60, 9_000_000, 9_000_000))
        assert store.derive_rate(key, Reading(NOW, 1_000, 2_000)) is None  # new billing period
        assert store.derive_rate(key, Reading(NOW + 60, 7_000, 8_000)) == Sample(
            NOW + 60, 800.0, 800.0
        )


# -- two processes, failures ----------------------------------------------------------------------


def test_two_stores_on_one_file_see_each_others_writes(db_path: Path) -> None:
    with store_at(db_path) as a, store_at(db_path) as b:
        a.add_samples(KEY, [Sample(NOW, 1.0, 1.0)])
        b.add_samples(KEY, [Sample(NOW + 300, 2.0, 2.0)])
        b.add_samples(("other", "1"), [Sample(NOW, 3.0, 3.0)])
        assert [s.in_bps for s in a.samples(KEY, 0)] == [1.0, 2.0]
        assert a.keys() == [("hv-prod", "152515"), ("other", "1")]


def test_two_processes_write_at_once_without_errors(db_path: Path) -> None:
    HistoryStore(db_path).close()
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from bwtui.history import HistoryStore
        from bwtui.model import Sample
        who = sys.argv[1]
        store = HistoryStore(Path({str(db_path)!r}), clock=lambda: {NOW})
        for i in range(150):
            store.add_samples((who, str(i % 10)), [Sample({NOW} + i * 300, 1.0, 2.0)])
        store.close()
        """
    )
    repo = str(Path(__file__).resolve().parents[1])
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")]))
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, name], stderr=subprocess.PIPE, env=env)
        for name in ("one", "two")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    with store_at(db_path) as store:
        assert store.row_counts()["raw"] == 300
        assert len(store.keys()) == 20


def test_corrupt_file_is_reported_and_kept_aside_for_a_new_one(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    garbage = b"this is not a database, it is a text file " * 200
    db_path.write_bytes(garbage)
    with pytest.raises(HistoryUnavailable) as info:
        HistoryStore(db_path)
    message = str(info.value)
    assert str(db_path) in message and "corrupt" in message and "Fix:" in message
    store, notice = open_history(db_path, clock=FakeClock(NOW))
    assert store is not None and notice is not None
    kept = db_path.with_name("history.sqlite3.corrupt-20260921T0000")
    assert kept.read_bytes() == garbage
    assert "corrupt" in notice and kept.name in notice and "new history" in notice
    store.add_samples(KEY, [Sample(NOW, 1.0, 2.0)])
    assert store.samples(KEY, 0) == [Sample(NOW, 1.0, 2.0)]
    store.close()


def test_locked_database_is_reported_not_hung(db_path: Path) -> None:
    store = HistoryStore(db_path, busy_timeout_s=0.05)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(HistoryUnavailable, match="locked"):
            store.add_samples(KEY, [Sample(NOW, 1.0, 1.0)])
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.add_samples(KEY, [Sample(NOW, 1.0, 1.0)])  # usable again once the lock is gone
    assert store.samples(KEY, 0) == [Sample(NOW, 1.0, 1.0)]
    store.close()


def test_history_from_a_newer_bwtui_is_left_alone(db_path: Path) -> None:
    HistoryStore(db_path).close()
    with sqlite3.connect(db_path) as db:
        db.execute("PRAGMA user_version = 99")
    store, problem = open_history(db_path)
    assert store is None and "newer bwtui" in problem


def test_unwritable_location_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store, problem = open_history(blocker / "bwtui" / "history.sqlite3")
    assert store is None and "cannot be created" in problem


def test_default_location_is_the_user_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    store, problem = open_history(None)
    assert problem is None and store is not None
    assert store.path == tmp_path / "bwtui" / "history.sqlite3"
    assert store.path.exists()
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    store.close()


def test_export_rows_filter_by_account_resource_and_time(db_path: Path) -> None:
    with store_at(db_path) as store:
        store.add_samples(KEY, [Sample(NOW - 600, 1.0, 2.0), Sample(NOW, 3.0, 4.0)])
        store.add_reading(KEY, Reading(NOW, 5, 6))
        store.add_samples(("vpn", "a"), [Sample(NOW, 7.0, 8.0)])
        rows = list(store.export_rows(since=NOW - 1, account="hv-prod"))
        assert [(r.record, r.tier, r.t) for r in rows] == [
            ("sample", "raw", NOW),
            ("reading", None, NOW),
        ]
        assert rows[1].in_bytes == 5 and rows[1].out_bytes == 6
        assert [r.account for r in store.export_rows(resource_id="a")] == ["vpn"]


def test_a_downsampled_chart_is_the_same_as_averaging_the_full_series(db_path: Path) -> None:
    def wavy(t: float) -> float | None:
        return None if int(t) % 7 == 0 else 1000.0 + (int(t) // 300) % 37

    with HistoryStore(db_path, auto_compact=False) as store:
        store.add_samples(
            KEY, [Sample(p.t, wavy(p.t), None if wavy(p.t) is None else 2.0) for p in
                  five_minute_points(NOW - 10 * DAY, NOW)]
        )
        store.compact(NOW)
        full = store.samples(KEY, NOW - 10 * DAY, NOW)
        for max_points in (1, 7, 200, len(full) - 1):
            chart = store.samples(KEY, NOW - 10 * DAY, NOW, max_points=max_points)
            expected = downsample(full, max_points)
            assert [s.t for s in chart] == [s.t for s in expected]
            for got, want in zip(chart, expected, strict=True):
                assert got.in_bps == pytest.approx(want.in_bps)
                assert got.out_bps == pytest.approx(want.out_bps)
        assert store.samples(KEY, NOW - 10 * DAY, NOW, max_points=len(full)) == full


def test_free_pages_stay_under_five_percent_after_compaction(db_path: Path) -> None:
    clock = FakeClock(NOW)
    with HistoryStore(db_path, clock=clock, auto_compact=False) as store:
        for day in range(6):
            t0 = NOW + day * DAY
            store.add_batch(
                ((KEY[0], str(i)), five_minute_points(t0, t0 + DAY)) for i in range(20)
            )
            store.compact(t0 + DAY, force=True)
            pages = store._db.execute("PRAGMA page_count").fetchone()[0]
            free = store._db.execute("PRAGMA freelist_count").fetchone()[0]
            assert free / pages < 0.05, (day, free, pages)


def test_an_old_file_without_auto_vacuum_is_rebuilt_once(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    old = sqlite3.connect(db_path, isolation_level=None)
    old.execute("PRAGMA journal_mode = WAL")  # a file made before incremental vacuum
    old.close()
    clock = FakeClock(NOW)
    with HistoryStore(db_path, clock=clock, auto_compact=False) as store:
        assert store._db.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
        store.add_batch(((KEY[0], str(i)), five_minute_points(NOW, NOW + 3 * DAY)) for i in range(20))
        store.compact(NOW + 3 * DAY, force=True)
        assert store._db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
        assert store._db.execute("PRAGMA freelist_count").fetchone()[0] == 0
        assert len(store.samples((KEY[0], "3"), 0)) == 24 + 2 * DAY // 300
