"""The poller is told which resources are on screen, and only when that changes: on a short
budget it serves what the user looks at first (PollerControl.set_visible)."""

from __future__ import annotations

from typing import Any

from ui_support import fake_app, settle, standard_script


def _visible_calls(app: Any) -> list[frozenset[tuple[str, str]]]:
    return [call[1] for call in app.poller.calls if call[0] == "set_visible"]


async def test_the_rows_on_screen_are_told_once_and_again_after_a_scroll() -> None:
    app = fake_app(standard_script(services=40))
    async with app.run_test(size=(120, 20)) as pilot:
        await settle(pilot, app)
        if app.view_mode != "overview":
            await pilot.press("o")
        await pilot.pause()
        app._report_visible()
        first = _visible_calls(app)
        assert first, "the poller was never told what is on screen"
        shown = first[-1]
        on_screen = set(app.overview.visible_keys())
        assert on_screen <= shown and len(on_screen) < 40  # the screen's rows, not the whole fleet
        app._report_visible()
        assert len(_visible_calls(app)) == len(first)  # nothing moved: nothing sent
        await pilot.press("end")
        await pilot.pause()
        app._report_visible()
        calls = _visible_calls(app)
        assert len(calls) == len(first) + 1 and calls[-1] != shown  # the rows further down now


async def test_the_sidebar_tells_its_resources_and_the_selected_one() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        if app.view_mode == "overview":
            await pilot.press("o")
        await pilot.pause()
        app._report_visible()
        shown = _visible_calls(app)[-1]
        assert set(app.tree.visible_keys()) <= shown
        if app.selected is not None:
            assert app.selected in shown


async def test_a_screen_on_top_does_not_break_the_check() -> None:
    """Help (or the tables) over the monitor: the once-a-second check waits, nothing crashes."""
    app = fake_app(standard_script())
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert len(app.screen_stack) > 1
        before = len(_visible_calls(app))
        app._report_visible()  # the timer's call while help is open
        assert len(_visible_calls(app)) == before
        await pilot.press("escape")
        await pilot.pause()
        app._report_visible()


async def test_the_check_after_the_views_are_gone_does_nothing() -> None:
    """The timer can fire while the app closes (CI saw NoMatches for #tree at exit)."""
    app = fake_app(standard_script())
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await app.query_one("#body").remove()
        app._report_visible()  # no NoMatches
