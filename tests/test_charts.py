"""Charts people can read: round ticks, axes from 0, clock-time labels, labelled levels, ASCII."""

from __future__ import annotations

import math
import re

import pytest
from textual_plotext.plot import Plot

from bwtui.charts.data import Point, Source, WindowPoints, assemble, totals
from bwtui.charts.spec import ChartSpec, Level, Line
from bwtui.charts.ticks import nice_ceiling, nice_step, rate_axis, span_text, step_text, time_ticks
from bwtui.charts.window import Window, parse_window, zoom
from bwtui.model import Sample
from bwtui.session.format import SPARK_BARS, sparkline
from bwtui.ui.chart_plot import ChartPicture, draw_chart

T0 = 1_768_482_420.0  # 2026-01-15 13:07 UTC


def _is_125(value: float) -> bool:
    if value == 0:
        return True
    mantissa = value / 10 ** math.floor(math.log10(value))
    return any(abs(mantissa - m) < 1e-9 for m in (1, 2, 5))


@pytest.mark.parametrize("peak", [0.7, 3.2e6, 40.2e6, 166.2e6, 999e6, 1.01e9, 12_345.0])
def test_rate_axis_starts_at_zero_on_1_2_5_steps_above_the_peak(peak: float) -> None:
    axis = rate_axis(peak, rows=20)
    values = [value for value, _ in axis.ticks]
    assert values[0] == 0
    step = values[1] - values[0]
    assert _is_125(step)
    assert all(abs((b - a) - step) < step * 1e-9 for a, b in zip(values, values[1:]))
    assert axis.top > peak  # the peak never touches the frame
    assert len(values) <= 7


def test_tick_labels_are_short_round_numbers_in_one_unit() -> None:
    axis = rate_axis(166.2e6, rows=20)
    assert axis.unit == "Mbit/s"
    assert [label for _, label in axis.ticks] == ["0", "50", "100", "150", "200"]
    assert rate_axis(40.2e6 / 8, rows=20, bytes_mode=True).unit == "MB/s"


def test_nice_numbers() -> None:
    assert nice_step(100, 5) == 20
    assert nice_step(7, 5) == 2
    assert nice_ceiling(3.2) == 5
    assert nice_ceiling(5) == 5
    assert nice_ceiling(0.031) == 0.05


def test_time_axis_is_clock_time_on_round_hours() -> None:
    ticks = time_ticks(T0 - 86400, T0, width=80)
    labels = [label for _, label in ticks]
    assert labels[0] == "15:00" and "Jan 15" in labels  # midnight shows the date
    assert all(t % 3600 == 0 for t, _ in ticks)
    steps = {b - a for (a, _), (b, _) in zip(ticks, ticks[1:])}
    assert steps == {3 * 3600}


def test_short_windows_tick_in_minutes_and_seconds() -> None:
    minutes = time_ticks(T0 - 3600, T0, width=80)
    assert all(t % 300 == 0 for t, _ in minutes)
    seconds = time_ticks(T0 - 150, T0, width=80)
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d", label) for _, label in seconds)


def test_week_ticks_are_dates() -> None:
    labels = [label for _, label in time_ticks(T0 - 7 * 86400, T0, width=80)]
    assert labels and all(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}", label) for label in labels)


def _spec(**kwargs: object) -> ChartSpec:
    points = [(T0 - 86400 + i * 300, 20e6 + 15e6 * math.sin(i / 20)) for i in range(288)]
    base = dict(lines=(Line("in", [(t, v / 4) for t, v in points], "in"), Line("out", points, "out")),
                levels=(Level("p95", 34e6, "95th out 34.0M"),))
    base.update(kwargs)
    return ChartSpec(T0 - 86400, T0, **base)  # type: ignore[arg-type]


def _draw(spec: ChartSpec, width: int = 90, height: int = 16, *, ascii_only: bool = False) -> ChartPicture:
    picture = draw_chart(Plot(), spec, width, height, ascii_only=ascii_only)
    assert picture is not None
    return picture


def test_chart_has_the_95th_line_labelled_on_the_line_not_in_the_legend() -> None:
    picture = _draw(_spec())
    legend = picture.plain.splitlines()[0]
    assert "95th" not in legend
    assert legend.startswith("Mbit/s") and " in" in legend and " out" in legend
    line_rows = [row for row in picture.plain.splitlines()[1:] if "95th out 34.0M" in row]
    assert len(line_rows) == 1 and "─" in line_rows[0]
    y = picture.plain.splitlines().index(line_rows[0])
    x = line_rows[0].index("95th out 34.0M")
    assert {picture.role_at(x + i, y) for i in range(len("95th out 34.0M"))} == {"p95"}


def test_chart_axis_reads_from_zero_and_time_in_clock_time() -> None:
    picture = _draw(_spec())
    rows = picture.plain.splitlines()
    assert rows[-3].lstrip().startswith("0┤")
    assert rows[1].lstrip().startswith("40┤")  # a round top above the 35M peak
    assert "15:00" in rows[-1] and "hours ago" not in picture.plain


def test_series_are_braille_in_their_roles_and_a_gap_stays_a_gap() -> None:
    points = [(T0 - 86400 + i * 300, None if 100 <= i < 160 else 20e6) for i in range(288)]
    picture = _draw(_spec(lines=(Line("out", points, "out"),), levels=()))
    rows = picture.plain.splitlines()
    area = picture.area
    line_row = next(row for row in rows[1:-2] if any(0x2800 <= ord(ch) <= 0x28FF for ch in row))
    gap = line_row[area.left + area.column_of(T0 - 86400 + 130 * 300)]
    assert gap == " "
    assert picture.role_at(area.left + 2, rows.index(line_row)) == "out"


def test_compare_series_have_their_own_roles_for_the_dim_style() -> None:
    earlier = [(T0 - 86400 + i * 300, 5e6) for i in range(288)]
    picture = _draw(_spec(lines=(Line("out_cmp", earlier, "out a day earlier"), *_spec().lines)))
    assert "out a day earlier" in picture.plain.splitlines()[0]
    roles = {str(span.style) for span in picture.text.spans}
    assert {"chart--out-cmp", "chart--in", "chart--out", "chart--p95"} <= roles


def test_ascii_chart_uses_only_ascii() -> None:
    picture = _draw(_spec(cursor=T0 - 3600 * 5), ascii_only=True)
    assert all(ord(ch) < 0x80 for ch in picture.plain)
    assert "95th out 34.0M" in picture.plain and "*" in picture.plain and "+" in picture.plain


def test_cursor_marks_its_column_and_maps_back_to_its_time() -> None:
    at = T0 - 5 * 3600
    picture = _draw(_spec(cursor=at))
    area = picture.area
    column = area.column_of(at)
    assert column is not None
    x = area.left + column
    assert abs(area.time_at(x) - at) <= 86400 / area.width  # a click there lands there
    rows = picture.plain.splitlines()
    assert rows[-2][x] == "▲" and picture.role_at(x, len(rows) - 2) == "cursor"  # as in the readout
    bars = [y for y, row in enumerate(rows[1:-2], start=1) if row[x] == "│"]
    assert len(bars) >= area.height // 2  # the vertical line (a series drawn over it wins its cell)
    assert {picture.role_at(x, y) for y in bars} == {"cursor"}


def test_too_small_a_space_draws_nothing() -> None:
    assert draw_chart(Plot(), _spec(), 90, 4) is None
    assert draw_chart(Plot(), _spec(), 4, 16) is None


def test_flat_sparkline_is_flat_and_not_full_blocks() -> None:
    line = sparkline([3.2e6] * 30, 30)
    assert len(set(line)) == 1
    assert line[0] != SPARK_BARS[-1]
    assert SPARK_BARS.index(line[0]) < len(SPARK_BARS) - 1
    ascii_line = sparkline([3.2e6] * 5, 5, ascii_only=True)
    assert all(ord(ch) < 0x80 for ch in ascii_line)


def test_sparkline_scale_starts_at_zero() -> None:
    line = sparkline([1e6, 1e6, 10e6], 3)
    assert SPARK_BARS.index(line[0]) < 2  # a tenth of the peak is near the bottom


def test_windows_parse_absolute_and_relative() -> None:
    window = parse_window("2026-01-15 03:00..2026-01-15 04:30", T0)
    assert window.bounds(T0) == (1_768_446_000.0, 1_768_451_400.0)
    relative = parse_window("-6h..now", T0)
    assert relative.bounds(T0) == (T0 - 6 * 3600, T0)
    assert relative.follows_now
    assert parse_window("-2d..-1d", T0).bounds(T0) == (T0 - 2 * 86400, T0 - 86400)


@pytest.mark.parametrize("text", ["yesterday", "-6h", "2026-01-15 04:00..2026-01-15 03:00", "-6x..now",
                                  "2026-13-01..now"])
def test_bad_windows_say_what_to_type(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_window(text, T0)
    assert str(caught.value)


def test_zoom_ladder() -> None:
    assert zoom(Window("day"), -1).kind == "6h"
    assert zoom(Window("1h"), -1).kind == "1h"
    assert zoom(Window("week"), 1).kind == "period"
    assert Window("period").bounds(T0, (T0 - 10 * 86400, T0 + 20 * 86400)) == (T0 - 10 * 86400, T0)


def test_finer_points_win_and_coarser_ones_fill_older_time() -> None:
    fine = Source("provider", 300, [Sample(T0 - 3600 + i * 300, 1.0, 2.0) for i in range(12)])
    coarse = Source("local history", 3600, [Sample(T0 - 3600 * k, 10.0, 20.0) for k in range(1, 6)])
    points = assemble([coarse, fine], T0 - 5 * 3600, T0)
    steps = [p.step_s for p in points.points if p.out_bps is not None]
    assert steps.count(300) == 12 and steps.count(3600) == 4  # the newest hour is the fine one
    assert points.condensed
    assert "hourly averages before" in points.resolution_text()


def test_totals_are_rate_times_duration() -> None:
    points = [Point(T0 + i * 300, 8e6, 16e6, 300) for i in range(12)]
    result = totals(points, T0, T0 + 3600)
    assert result.in_bytes == 8e6 * 3600 / 8
    assert result.out_bytes == 16e6 * 3600 / 8
    assert result.covered_s == 3600


def test_span_and_step_words() -> None:
    assert span_text(6 * 3600) == "6 h"
    assert span_text(3 * 86400) == "3 days"
    assert step_text(300) == "5-min" and step_text(3600) == "hourly" and step_text(7200) == "2-hour"


def test_gaps_stay_gaps() -> None:
    samples = [Sample(T0 + i * 300, 1.0, 1.0) for i in range(3)] + [Sample(T0 + 20 * 300, 1.0, 1.0)]
    points = assemble([Source("provider", 300, samples)], T0, T0 + 86400)
    assert any(p.out_bps is None for p in points.points)
    assert isinstance(points, WindowPoints)


def test_older_points_are_asked_for_only_where_nothing_covers() -> None:
    from bwtui.charts.older import step_for, uncovered_start

    recent = Source("provider", 300, [Sample(T0 - 3600 + i * 300, 1.0, 1.0) for i in range(12)])
    week = assemble([recent], T0 - 7 * 86400, T0)
    assert uncovered_start(week, now=T0) == (T0 - 7 * 86400, T0 - 3600)
    hour = assemble([recent], T0 - 3600, T0)
    assert uncovered_start(hour, now=T0) is None
    assert step_for(T0 - 86400, T0) == 300
    assert step_for(T0 - 180 * 86400, T0) == 2 * 3600  # small answers: at most ~4,000 rows
