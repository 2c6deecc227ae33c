"""Benchmark the SQLite history store: 1,000 resources × 30 days of 5-minute samples.

The month is written the way the app would leave it: a day of points at a time with the hourly
compaction applied, so the file holds 2 days of raw points and 28 days of hourly averages per
resource. Then it prints the file size, the cost of one poll's write (every resource's newest
point in one transaction), the query time for a month chart, the compaction time and the
Altostrat rate derivation cost. Figures that have a target (issue #15 part 4) are printed beside
it: free pages after compaction under 5 % of the file, and the downsampled month-chart query no
slower than the full-resolution one; the file size before and after compaction, and what a full
VACUUM would reach, for comparison. Prints figures; not a test.

    .venv/bin/python bench/bench_history.py [--resources 1000] [--days 30] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import math
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bwtui.history import HistoryStore
from bwtui.model import Reading, Sample

DAY = 86400
STEP = 300


def rate(resource: int, t: int) -> float:
    """A plausible daily curve with a per-resource scale."""
    phase = (t % DAY) / DAY * 2 * math.pi
    return (resource % 97 + 1) * 1e6 * (1.2 + math.sin(phase))


def points(resource: int, start: int, end: int) -> list[Sample]:
    return [Sample(t, rate(resource, t) / 4, rate(resource, t)) for t in range(start, end, STEP)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def file_figures(store: HistoryStore, path: Path) -> tuple[int, float]:
    """(bytes on disk after a checkpoint, free pages as % of the file's pages)."""
    db = store._db
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    size = sum(
        Path(str(path) + s).stat().st_size for s in ("", "-wal") if Path(str(path) + s).exists()
    )
    return size, 100.0 * free / max(1, pages)


def vacuum_copy(path: Path) -> int:
    """The size a full VACUUM would reach (written to a copy; the bench file stays as it is)."""
    target = path.with_name(path.name + ".vacuumed")
    target.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.execute("VACUUM INTO ?", (str(target),))
    finally:
        db.close()
    size = target.stat().st_size
    target.unlink()
    return size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--dir", default=None, help="where to put the database (default: a temp dir)"
    )
    options = parser.parse_args()

    workdir = Path(options.dir or tempfile.mkdtemp(prefix="bwtui-bench-"))
    path = workdir / "history.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)

    now = 1_790_000_000 - 1_790_000_000 % DAY
    start = now - options.days * DAY
    clock_t = [float(start)]
    store = HistoryStore(path, clock=lambda: clock_t[0], auto_compact=False)
    keys = [("hv-bench", str(100000 + i)) for i in range(options.resources)]

    print(f"history bench: {options.resources} resources × {options.days} days of 5-min points")
    began = time.perf_counter()
    for day in range(options.days):
        t0 = start + day * DAY
        store.add_batch((key, points(i, t0, t0 + DAY)) for i, key in enumerate(keys))
        clock_t[0] = t0 + DAY
        store.compact(t0 + DAY, force=True)
    fill_s = time.perf_counter() - began
    counts = store.row_counts()
    print(f"  fill (incl. daily compaction): {fill_s:.1f} s; rows: {counts}")

    # One poll: every resource's newest 5-minute point, in one transaction.
    poll_times = []
    for n in range(30):
        t = now + n * STEP
        began = time.perf_counter()
        store.add_batch((key, [Sample(t, 1e6, 4e6)]) for key in keys)
        poll_times.append(time.perf_counter() - began)
    # The same poll when each resource's last hour is re-sent (overlapping series).
    overlap_times = []
    for n in range(5):
        t = now + 30 * STEP + n * STEP
        began = time.perf_counter()
        store.add_batch((key, [Sample(t - k * STEP, 1e6, 4e6) for k in range(12)]) for key in keys)
        overlap_times.append(time.perf_counter() - began)

    # The hourly compaction the app runs in the background.
    clock_t[0] = now + 3600
    began = time.perf_counter()
    store.compact(now + 3600, force=True)
    compact_s = time.perf_counter() - began

    # A month chart for one resource (stitched tiers), at 200 points and at full resolution.
    chart_times, full_times, lengths = [], [], []
    for i in range(0, options.resources, max(1, options.resources // 100)):
        began = time.perf_counter()
        chart = store.samples(keys[i], now - 30 * DAY, now + 3600, max_points=200)
        chart_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        full = store.samples(keys[i], now - 30 * DAY, now + 3600)
        full_times.append(time.perf_counter() - began)
        lengths.append((len(chart), len(full)))

    # Altostrat: a reading per instance, rate from the last stored one.
    derive_times = []
    for n in range(200):
        key = ("vpn-bench", str(n % 20))
        began = time.perf_counter()
        store.derive_rate(key, Reading(now + n * 60, n * 10**6, n * 2 * 10**6))
        derive_times.append(time.perf_counter() - began)

    # The file after a day's worth of compaction: free pages and size, then a full VACUUM.
    before = file_figures(store, path)
    clock_t[0] = now + DAY
    began = time.perf_counter()
    store.compact(now + DAY, force=True)
    daily_compact_s = time.perf_counter() - began
    after = file_figures(store, path)
    store.close()
    size = after[0]
    vacuumed = vacuum_copy(path)
    print(
        f"  file size after the month: {size / 1e6:.1f} MB "
        f"({size / options.resources / 1e3:.1f} kB a resource)"
    )
    print(
        f"  compaction a day later: {ms(daily_compact_s)}; file {before[0] / 1e6:.1f} MB "
        f"({before[1]:.1f} % free pages) -> {after[0] / 1e6:.1f} MB "
        f"({after[1]:.1f} % free pages; target < 5 %: {'met' if after[1] < 5 else 'MISSED'}); "
        f"a full VACUUM would give {vacuumed / 1e6:.1f} MB"
    )
    print(
        f"  write per poll ({options.resources} new points, one transaction): "
        f"median {ms(statistics.median(poll_times))}, max {ms(max(poll_times))}"
    )
    print(
        f"  write per poll with the last hour re-sent ({options.resources * 12} points): "
        f"median {ms(statistics.median(overlap_times))}"
    )
    print(f"  hourly compaction: {ms(compact_s)}")
    chart_ms, full_ms = statistics.median(chart_times), statistics.median(full_times)
    print(
        f"  month chart query, one resource: median {ms(chart_ms)} "
        f"({lengths[0][0]} points from {lengths[0][1]}), full resolution {ms(full_ms)} "
        f"(target: downsampled no slower than full: "
        f"{'met' if chart_ms <= full_ms else 'MISSED'}, {chart_ms / full_ms:.2f}×)"
    )
    print(
        f"  Altostrat derive_rate (read + 2 writes): median {ms(statistics.median(derive_times))}"
    )
    print(f"  database: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
