"""Tiered retention of the history store: what is kept how long, and how it is folded.

Raw points (5-minute for Hivelocity, one a poll for Altostrat) are kept for 2 days, then as
hourly averages for 90 days, then as daily averages for 2 years (:class:`Retention`). Readings
(period totals) are thinned on the same schedule to the last reading of each hour, then of each
day. What compaction frees goes back to the file system (:func:`reclaim_free_pages`: SQLite's
incremental vacuum), so free pages stay under 5 % of the file instead of piling up (14 % before).
Plain SQL on a connection the store hands in; nothing here knows HTTP or Textual.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass

from bwtui.model import Sample

COMPACT_EVERY_S = 3600.0
TIER_RAW, TIER_HOUR, TIER_DAY = 0, 1, 2
TIER_NAMES = {TIER_RAW: "raw", TIER_HOUR: "hour", TIER_DAY: "day"}
_BUCKET_S = {TIER_HOUR: 3600, TIER_DAY: 86400}
FREE_PAGES_MAX = 0.05  # above this share of the file, an old (non auto-vacuum) file is rebuilt once
AUTO_VACUUM_INCREMENTAL = 2


@dataclass(frozen=True, slots=True)
class Retention:
    """How long each tier is kept (seconds). Raw points become hourly, hourly become daily."""

    raw_keep_s: float = 2 * 86400
    hour_keep_s: float = 90 * 86400
    day_keep_s: float = 730 * 86400


def apply_retention(db: sqlite3.Connection, keep: Retention, now: float) -> dict[str, float]:
    """Fold and delete what is past each tier's age; returns the cut times (for the meta table).

    Raw points older than ``raw_keep_s`` (rounded down to a whole hour, so every hourly bucket is
    complete) become hourly averages; hourly points older than ``hour_keep_s`` (rounded to a
    whole UTC day) become daily averages; daily points older than ``day_keep_s`` are deleted.
    Gaps stay gaps: a bucket of gaps averages to a gap. Call inside a write transaction.
    """
    raw_cut = math.floor((now - keep.raw_keep_s) / 3600) * 3600
    hour_cut = math.floor((now - keep.hour_keep_s) / 86400) * 86400
    day_cut = math.floor((now - keep.day_keep_s) / 86400) * 86400
    _fold(db, TIER_RAW, TIER_HOUR, raw_cut)
    _fold(db, TIER_HOUR, TIER_DAY, hour_cut)
    db.execute("DELETE FROM samples WHERE tier = 2 AND t < ?", (day_cut,))
    _thin_readings(db, raw_cut, hour_cut, day_cut)
    return {
        "raw_compacted_until": raw_cut,
        "hour_compacted_until": hour_cut,
        "day_deleted_until": day_cut,
    }


def free_page_share(db: sqlite3.Connection) -> float:
    """Free pages as a share of the file's pages (0 for an empty file)."""
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    return free / pages if pages else 0.0


def reclaim_free_pages(db: sqlite3.Connection) -> None:
    """Give the pages compaction freed back to the file system (outside any transaction).

    New files are made with ``auto_vacuum = INCREMENTAL``: ``PRAGMA incremental_vacuum`` moves
    free pages to the end and truncates them, in time proportional to what was freed. A file
    made before that is rebuilt once with ``VACUUM`` when its free pages pass 5 %, which also
    switches it to incremental mode. (``executescript`` steps the pragma to completion;
    ``execute`` would free a single page.)
    """
    if not db.execute("PRAGMA freelist_count").fetchone()[0]:
        return
    if db.execute("PRAGMA auto_vacuum").fetchone()[0] == AUTO_VACUUM_INCREMENTAL:
        db.executescript("PRAGMA incremental_vacuum;")
    elif free_page_share(db) > FREE_PAGES_MAX:
        db.executescript(f"PRAGMA auto_vacuum = {AUTO_VACUUM_INCREMENTAL}; VACUUM;")


def _fold(db: sqlite3.Connection, tier: int, into: int, cut: float) -> None:
    bucket = _BUCKET_S[into]
    db.execute(
        "INSERT OR REPLACE INTO samples (tier, rid, t, in_bps, out_bps)"
        f" SELECT ?, rid, (t / {bucket}) * {bucket}, ROUND(AVG(in_bps)), ROUND(AVG(out_bps))"
        " FROM samples WHERE tier = ? AND t < ? GROUP BY rid, t / ?",
        (into, tier, cut, bucket),
    )
    db.execute("DELETE FROM samples WHERE tier = ? AND t < ?", (tier, cut))


def _thin_readings(db: sqlite3.Connection, raw_cut: float, hour_cut: float, day_cut: float) -> None:
    db.execute("DELETE FROM readings WHERE t < ?", (day_cut,))
    for low, high, bucket in ((hour_cut, raw_cut, 3600), (day_cut, hour_cut, 86400)):
        db.execute(
            "DELETE FROM readings WHERE t >= ? AND t < ? AND (rid, t) NOT IN ("
            " SELECT rid, MAX(t) FROM readings WHERE t >= ? AND t < ?"
            " GROUP BY rid, CAST(t / ? AS INTEGER))",
            (low, high, low, high, bucket),
        )


def downsample(samples: list[Sample], max_points: int) -> list[Sample]:
    """Average into ``max_points`` equal time buckets (gaps ignored, empty buckets dropped)."""
    if len(samples) <= max_points:
        return samples
    start, end = samples[0].t, samples[-1].t
    width = (end - start) / max_points or 1.0
    buckets: dict[int, list[Sample]] = {}
    for sample in samples:
        buckets.setdefault(min(int((sample.t - start) / width), max_points - 1), []).append(sample)
    result = []
    for index in sorted(buckets):
        group = buckets[index]
        ins = [s.in_bps for s in group if s.in_bps is not None]
        outs = [s.out_bps for s in group if s.out_bps is not None]
        result.append(
            Sample(
                group[0].t,
                sum(ins) / len(ins) if ins else None,
                sum(outs) / len(outs) if outs else None,
            )
        )
    return result
