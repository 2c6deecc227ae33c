"""The detail's panels are mounted the first time the pane is shown: a start on the overview
neither composes nor styles them, and opening the detail then shows what it always showed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bwtui.prefs import Prefs, PrefsKeeper
from ui_support import fake_app, screen_text, settle, standard_script

SIZE = (120, 32)
DETAIL_PANELS = ("#detail-title", "#detail-alert", "#detail-error", "#rates", "#stats-in",
                 "#spark-in", "#spark-out-inline", "#usage")


def _app(tmp_path: Path, view: str) -> Any:
    return fake_app(standard_script(), prefs=PrefsKeeper(Prefs(view=view), tmp_path / "prefs.json"))


def _mounted(app: Any) -> list[str]:
    return [selector for selector in DETAIL_PANELS if app.query(selector)]


async def test_a_start_on_the_overview_mounts_no_detail_panel_until_enter_opens_it(tmp_path: Path) -> None:
    app = _app(tmp_path, "overview")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.view_mode == "overview"
        assert _mounted(app) == [] and not app.detail.children  # one empty widget, hidden
        await pilot.press("b")  # units chosen while the panels do not exist yet
        await pilot.press("enter")  # the overview's highlighted row
        await pilot.pause()
        assert app.view_mode == "detail" and app.selected is not None
        assert _mounted(app) == list(DETAIL_PANELS)
        opened, key = screen_text(app), app.selected

    same = _app(tmp_path, "detail")  # the same resource, shown from the start
    async with same.run_test(size=SIZE) as pilot:
        await settle(pilot, same)
        await pilot.press("b")
        same.tree.select_data(("resource", key))
        same.select_resource(key)
        await pilot.pause()
        assert same.selected == key
        assert screen_text(same) == opened
        assert "B/s" in opened  # the units chosen before the panels were made


async def test_a_start_on_the_detail_has_its_panels_from_the_first_frame(tmp_path: Path) -> None:
    app = _app(tmp_path, "detail")
    async with app.run_test(size=SIZE) as pilot:
        assert _mounted(app) == list(DETAIL_PANELS)  # before any event: the first frame's pane
        await settle(pilot, app)
        assert "No resource selected" not in screen_text(app)


async def test_switching_views_and_the_filter_keep_the_panels_made_once(tmp_path: Path) -> None:
    app = _app(tmp_path, "overview")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("o")  # to the detail
        await pilot.pause()
        title = app.query_one("#detail-title")
        await pilot.press("o", "slash", "e", "d", "enter", "o")
        await pilot.pause()
        assert app.view_mode == "detail" and app.query_one("#detail-title") is title
        assert len(app.query("#detail-title")) == 1
