"""The chart's keys in the monitor: time cursor, zoom, typed windows, compare, tables, the
provider's image. Readouts are checked against the figures stored in the history."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bwtui.history import HistoryStore, Retention
from bwtui.model import Period, Sample
from bwtui.session.format import format_bytes, format_rate
from bwtui.ui.chart import RateChart
from bwtui.ui.chart_panel import ChartPanel
from bwtui.ui.text_panel import TextPanel
from ui_support import (T0, FakeClock, demo_app, fake_app, last_call, named_script, screen_text, settle,
                        settle_demo, standard_script)

SIZE = (120, 40)
KEY = ("hv-prod", "1000")
DAY_START = 1_768_212_000.0  # 2026-01-12 10:00 UTC


def _stored() -> list[Sample]:
    """Two hours of 5-minute points on Jan 12, out rising then falling, a peak at 11:05."""
    samples = []
    for i in range(24):
        out = 10e6 + i * 1e6 if i <= 13 else 10e6 + (26 - i) * 1e6
        samples.append(Sample(DAY_START + i * 300, 2e6 + i * 1e4, out))
    return samples


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    history = HistoryStore(tmp_path / "h.sqlite3", retention=Retention(), clock=lambda: T0, auto_compact=False)
    history.add_samples(KEY, _stored(), step_s=300)
    yield history
    history.close()


def _panel(app: Any) -> ChartPanel:
    return app.detail.chart


async def _type_window(pilot: Any, app: Any, text: str) -> None:
    await pilot.press("z")
    await pilot.pause()
    box = app.screen.query_one("#window-input")
    box.value = text
    await pilot.press("enter")
    panel = _panel(app)
    for _ in range(100):  # the history is read in a thread
        await pilot.pause(0.02)
        if any(p.out_bps is not None for p in panel.points.points):
            break


def _readout(app: Any) -> str:
    return app.detail.chart.query_one("#chart-readout", TextPanel).plain


async def test_cursor_readouts_equal_the_stored_figures(store: HistoryStore) -> None:
    app = fake_app(standard_script(), history=store, clock=FakeClock(T0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await _type_window(pilot, app, "2026-01-12 10:00..2026-01-12 12:00")
        panel = _panel(app)
        assert "window 2026-01-12 10:00 .. 2026-01-12 12:00" in panel.query_one("#chart-caption", TextPanel).plain
        stored = _stored()
        await pilot.press("home")
        await pilot.pause()
        readout = panel.cursor.readout(panel.points)
        assert readout is not None and readout.t == stored[0].t
        assert (readout.point.in_bps, readout.point.out_bps) == (stored[0].in_bps, stored[0].out_bps)
        await pilot.press("right", "right", "l")
        await pilot.pause()
        readout = panel.cursor.readout(panel.points)
        assert readout.t == stored[3].t
        expected_out = sum(s.out_bps for s in stored[:4]) * 300 / 8
        expected_in = sum(s.in_bps for s in stored[:4]) * 300 / 8
        assert readout.total.out_bytes == pytest.approx(expected_out)
        assert readout.total.in_bytes == pytest.approx(expected_in)
        text = _readout(app)
        assert "2026-01-12 10:15-10:20" in text
        assert format_rate(stored[3].out_bps) in text and format_rate(stored[3].in_bps) in text
        assert f"out {format_bytes(expected_out)}" in text
        await pilot.press("h")
        await pilot.pause()
        assert panel.cursor.t == stored[2].t


async def test_peak_end_and_hide_keys(store: HistoryStore) -> None:
    app = fake_app(standard_script(), history=store, clock=FakeClock(T0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await _type_window(pilot, app, "2026-01-12 10:00..2026-01-12 12:00")
        panel = _panel(app)
        await pilot.press("m")
        await pilot.pause()
        peak = max(_stored(), key=lambda s: s.out_bps)
        assert panel.cursor.t == peak.t
        await pilot.press("end")
        await pilot.pause()
        assert panel.cursor.t == _stored()[-1].t
        await pilot.press("x")
        await pilot.pause()
        assert panel.cursor.t is None and "time cursor" in _readout(app)


async def test_a_click_on_the_chart_places_the_cursor(store: HistoryStore) -> None:
    app = fake_app(standard_script(), history=store, clock=FakeClock(T0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await _type_window(pilot, app, "2026-01-12 10:00..2026-01-12 12:00")
        chart = app.detail.chart.query_one(RateChart)
        picture = chart.picture
        assert picture is not None
        area = picture.area
        x = area.left + area.width // 2
        await pilot.click(RateChart, offset=(x, area.top + 1))
        await pilot.pause()
        wanted = area.time_at(x)
        assert abs(_panel(app).cursor.t - wanted) <= 300  # the nearest point


async def test_zoom_keys_pick_windows_and_ask_for_the_series_that_covers_them() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        panel = _panel(app)
        await pilot.press("4")
        await pilot.pause()
        assert panel.window.kind == "1h" and "last hour" in screen_text(app)
        assert panel.points.end - panel.points.start == 3600
        await pilot.press("plus")  # already the shortest
        await pilot.press("minus")
        await pilot.pause()
        assert panel.window.kind == "6h"
        await pilot.press("minus", "minus")
        await pilot.pause()
        assert panel.window.kind == "week"
        assert last_call(app, "set_period") == ("set_period", KEY, Period.WEEK)
        await pilot.press("5")
        await pilot.pause()
        assert panel.window.kind == "6h"
        assert last_call(app, "set_period") == ("set_period", KEY, Period.DAY)


async def test_a_bad_typed_window_says_what_to_type() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("z")
        await pilot.pause()
        app.screen.query_one("#window-input").value = "yesterday-ish"
        await pilot.press("enter")
        await pilot.pause()
        assert "YYYY-MM-DD HH:MM" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert _panel(app).window.kind == "day"


async def test_compare_overlays_the_day_before_and_says_so() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        panel = _panel(app)
        await pilot.press("c")
        await pilot.pause()
        assert panel.compare == "day"
        assert last_call(app, "set_period") == ("set_period", KEY, Period.WEEK)  # the day before: the week series
        caption = panel.query_one("#chart-caption", TextPanel).plain
        assert "compare: a day earlier" in caption
        assert panel.compare_points is not None
        assert any(p.out_bps is not None for p in panel.compare_points.points)
        await pilot.press("end")
        await pilot.pause()
        assert "out a day earlier:" in _readout(app)
        await pilot.press("c", "c")
        await pilot.pause()
        assert panel.compare is None


async def test_cursor_keys_leave_the_overview_and_the_filter_alone() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("left", "m")
        await pilot.pause()
        assert _panel(app).cursor.t is None
        await pilot.press("o", "slash", "w", "e", "b", "left", "h")
        await pilot.pause()
        assert app.query_one("#filter").value == "wehb"  # left moved the text cursor; h was typed
        assert _panel(app).cursor.t is None


async def test_the_chart_area_made_by_a_key_before_any_resource_was_shown_stays_hidden() -> None:
    """The chart area is made when first needed: made by a key (1) over the overview, before the
    detail showed a resource, it is hidden like the resource's other parts, and shows with them."""
    app = fake_app(named_script(services=16, instances=4))  # 20 resources: the overview first
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.view_mode == "overview"
        assert not app.detail.query("#chart-panel")  # not made: no resource was shown
        await pilot.press("1")
        await pilot.pause()
        assert app.detail.query_one("#chart-panel").display is False
        assert app.detail.query_one("#usage").display is False
        await pilot.press("enter")  # the highlighted resource's detail
        for _ in range(50):
            await pilot.pause()
            if _panel(app).query_one(RateChart).picture is not None:
                break
        assert app.view_mode == "detail"
        assert app.detail.query_one("#chart-panel").display is True
        assert _panel(app).query_one(RateChart).picture is not None


async def test_period_tables_open_on_t_and_sum_to_their_total() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("t")
        for _ in range(100):
            await pilot.pause(0.02)
            if "daily" in getattr(app.screen, "tables", {}):
                break
        screen = app.screen
        table = screen.tables["daily"]
        assert table.rows and table.total is not None
        assert sum(r.out_bytes for r in table.rows) == pytest.approx(table.total.out_bytes)
        assert "2026-01-15 Thu *" in screen_text(app)
        await pilot.press("p")
        for _ in range(100):
            await pilot.pause(0.02)
            if "periods" in screen.tables:
                break
        assert screen.tables["periods"].rows[0].label.startswith("2026-01-01 .. 2026-02-01")
        await pilot.press("escape")
        await pilot.pause()
        assert not hasattr(app.screen, "tables")


async def test_the_providers_image_is_fetched_through_the_poller_and_shown() -> None:
    app, env = demo_app(services=2, instances=1)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle_demo(pilot, app)
            before = len([r for r in env.simulator.requests if "/image" in r[1]]) if hasattr(env.simulator, "requests") else None
            await pilot.press("i")
            for _ in range(200):
                await pilot.pause(0.02)
                if app.screen.query("#provider-image"):
                    break
            assert app.screen.query("#provider-image")
            status = str(app.screen.query_one("#image-status").render())
            assert "320×100 PNG" in status and "1 request spent here" in status
            if before is not None:
                assert len([r for r in env.simulator.requests if "/image" in r[1]]) == before + 1
            await pilot.press("2")
            for _ in range(200):
                await pilot.pause(0.02)
                if "2 requests" in str(app.screen.query_one("#image-status").render()):
                    break
            assert "2 requests spent here" in str(app.screen.query_one("#image-status").render())
            await pilot.press("1")  # already fetched: no new request
            await pilot.pause(0.1)
            assert "2 requests spent here" in str(app.screen.query_one("#image-status").render())
    finally:
        env.stop()


async def test_no_image_for_a_provider_without_one() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.tree.select_data(("resource", ("vpn", "inst-01")))
        app.select_resource(("vpn", "inst-01"))
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        assert not app.screen.query("#provider-image")
        assert "Waiting" not in screen_text(app)


def test_asyncio_is_used() -> None:
    assert asyncio.iscoroutinefunction(test_cursor_readouts_equal_the_stored_figures)


async def test_an_older_window_comes_from_the_provider_with_one_request() -> None:
    app, env = demo_app(services=2, instances=1)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle_demo(pilot, app)
            asked = len([r for r in env.simulator.requests if r.query.get("period") == "custom"])
            await _type_window(pilot, app, "2026-01-05 00:00..2026-01-12 00:00")
            panel = _panel(app)
            for _ in range(100):
                await pilot.pause(0.02)
                if "older points" in panel.query_one("#chart-caption", TextPanel).plain:
                    break
            caption = panel.query_one("#chart-caption", TextPanel).plain
            assert "1 request for the older points" in caption and "hourly" in caption
            custom = [r for r in env.simulator.requests if r.query.get("period") == "custom"]
            assert len(custom) >= asked + 1 and custom[-1].query["step"] == "3600"
            data = [p for p in panel.points.points if p.out_bps is not None]
            assert data and data[0].t <= 1_767_571_200.0 + 3600  # from Jan 5 on
            await pilot.press("4", "z")  # another window and back: asked once per window
            await pilot.pause()
    finally:
        env.stop()


async def test_the_chart_area_is_ascii_only_with_ascii() -> None:
    app = fake_app(standard_script(), ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("m", "c")
        await pilot.pause()
        panel = _panel(app)
        chart = panel.query_one(RateChart)
        chart.render()
        texts = [chart.picture.plain, panel.query_one("#chart-caption", TextPanel).plain, _readout(app)]
        assert all(ord(ch) < 0x80 for text in texts for ch in text), texts
        assert "^" in texts[2]  # the cursor's mark in the readout


def _role_colours(chart: RateChart) -> dict[str, set[Any]]:
    """The colour (and dim) each role is drawn in on screen."""
    picture = chart.picture
    assert picture is not None
    colours: dict[str, set[Any]] = {}
    for role_span, span in zip(picture.text.spans, chart.render().spans):
        role = str(role_span.style).removeprefix("chart--")
        colours.setdefault(role, set()).add((span.style.color, bool(span.style.dim)))
    return colours


@pytest.mark.parametrize(("theme", "colors"), [("default", "truecolor"), ("ansi", "16")])
async def test_the_chart_draws_in_the_themes_in_and_out_colours_the_compare_dimmer(theme: str, colors: str) -> None:
    from textual.color import Color

    app = fake_app(standard_script(), theme=theme, colors=colors)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("c")
        await pilot.pause()
        chart = _panel(app).query_one(RateChart)
        colours = _role_colours(chart)
        primary = Color.parse(app.theme_variables["text-primary"]).rich_color
        accent = Color.parse(app.theme_variables["text-accent"]).rich_color
        assert colours["in"] == {(primary, False)} and colours["out"] == {(accent, False)}
        assert colours["out-cmp"] == {(accent, True)}
        assert primary != accent


async def test_the_chart_has_no_colour_under_no_color() -> None:
    from bwtui.themes import MONO

    app = fake_app(standard_script(), no_color=True, theme=MONO)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        chart = _panel(app).query_one(RateChart)
        colours = _role_colours(chart)
        assert {"in", "out", "axis"} <= set(colours)
        assert all(colour is None or colour.is_default for role in colours.values() for colour, _ in role)


async def test_plotext_draws_only_when_what_the_chart_shows_changes() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        chart = _panel(app).query_one(RateChart)
        chart.refresh()
        await pilot.pause()
        assert chart.picture is not None  # drawn once
        builds: list[int] = []
        build = chart.plt.build
        chart.plt.build = lambda: builds.append(1) or build()  # type: ignore[method-assign]
        chart.refresh()
        await pilot.pause()
        assert builds == []  # a repaint reuses the drawing
        await pilot.press("left")
        await pilot.pause()
        assert len(builds) == 1 and _panel(app).cursor.t is not None  # the cursor moved: drawn once
        _panel(app).redraw()  # the same data again
        chart.refresh()
        await pilot.pause()
        assert len(builds) == 1
