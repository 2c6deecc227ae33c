"""How long the chart takes to build and draw (prints figures; nothing is asserted).

    .venv/bin/python bench/bench_chart.py

A day of 5-minute points (288) and a billing period assembled from 5-minute, 2-hour and hourly
sources (~1,000 points), drawn by plotext (textual-plotext's figure) at 120×30 and 200×50 cells in
braille and ASCII; a cursor move (readout + redraw) on the day; a period table over 6 months of
hourly points.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from typing import Any

from bwtui.charts.build import chart_spec
from bwtui.charts.cursor import TimeCursor
from bwtui.charts.data import Source, WindowPoints, assemble
from bwtui.model import Sample
from bwtui.periods import period_bounds
from bwtui.reports import Pricing, build_table
from bwtui.ui.chart_plot import draw_chart

NOW = 1_768_482_420.0


def _samples(start: float, step: int, count: int) -> list[Sample]:
    return [Sample(start + i * step, 2e6 + 1e6 * math.sin(i / 7), 2e7 + 1.5e7 * math.sin(i / 20))
            for i in range(count)]


def _time(fn: Callable[[], object], runs: int = 30) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    from textual_plotext.plot import Plot

    plt = Plot()
    day = [Source("provider", 300, _samples(NOW - 86400, 300, 288))]
    period = [*day, Source("provider", 7200, _samples(NOW - 30 * 86400, 7200, 360)),
              Source("local history", 3600, _samples(NOW - 15 * 86400, 3600, 336))]
    start = period_bounds(NOW)[0]
    cases = {
        "day, 288 points": (day, NOW - 86400),
        "billing period, mixed sources": (period, start),
    }
    for name, (sources, begin) in cases.items():
        med, worst = _time(lambda: assemble(sources, begin, NOW))
        points = assemble(sources, begin, NOW)
        print(f"assemble {name} ({len(points.points)} points): median {med:.2f} ms, max {worst:.2f} ms")
        spec = chart_spec(points, cursor_t=NOW - 3600)
        for size in ((120, 30), (200, 50)):
            for ascii_only in (False, True):
                med, worst = _time(lambda: draw_chart(plt, spec, *size, ascii_only=ascii_only))
                kind = "ascii" if ascii_only else "braille"
                print(f"  draw {size[0]}x{size[1]} {kind}: median {med:.2f} ms, max {worst:.2f} ms")
    points = assemble(day, NOW - 86400, NOW)
    cursor = TimeCursor()
    cursor.end(points)

    def move() -> None:
        cursor.move(points, -1)
        cursor.readout(points)
        draw_chart(plt, chart_spec(points, cursor_t=cursor.t), 120, 30)

    med, worst = _time(move, runs=100)
    print(f"cursor move (readout + redraw 120x30): median {med:.2f} ms, max {worst:.2f} ms")
    _redraws(plt, points)
    hourly = assemble([Source("local history", 3600, _samples(NOW - 186 * 86400, 3600, 186 * 24))],
                      NOW - 186 * 86400, NOW)
    for kind in ("daily", "periods"):
        med, worst = _time(lambda: build_table(kind, ("a", "1"), "x", hourly, now=NOW, period_of=period_bounds,
                                               pricing=Pricing(10**12, 0.01)), runs=5)
        print(f"{kind} table over {len(hourly.points)} hourly points: median {med:.1f} ms, max {worst:.1f} ms")


def _redraws(plt: Any, points: WindowPoints) -> None:
    """600 redraws on one plotext figure (a cursor walking): does a draw get slower or memory grow?"""
    import resource

    def rss_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    before = rss_mb()
    blocks = []
    for block in range(6):
        t = time.perf_counter()
        for i in range(100):
            draw_chart(plt, chart_spec(points, cursor_t=NOW - 3600 * ((block * 100 + i) % 20)), 120, 30)
        blocks.append((time.perf_counter() - t) * 10)
    print(f"600 redraws 120x30 on one figure: first 100 {blocks[0]:.1f} ms/draw, last 100 {blocks[-1]:.1f} "
          f"ms/draw; peak RSS {before:.0f} -> {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
