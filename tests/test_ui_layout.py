"""Layout at small and large sizes, checked on what the screen says (Pilot, fake poller)."""

from __future__ import annotations

from ui_support import fake_app, screen_text, settle, standard_script


async def test_below_the_minimum_a_clear_screen_says_what_is_needed() -> None:
    from bwtui.ui.too_small import TooSmallScreen

    app = fake_app(standard_script())
    async with app.run_test(size=(50, 12)) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, TooSmallScreen)
        text = screen_text(app)
        assert "terminal too small" in text and "need 60×15, have 50×12" in text
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        assert not isinstance(app.screen, TooSmallScreen)
        assert "hv-prod" in screen_text(app)
        await pilot.resize_terminal(59, 30)
        await pilot.pause()
        await pilot.pause()
        assert "need 60×15, have 59×30" in screen_text(app)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_at_80x24_the_detail_keeps_the_cost_and_a_5_row_chart() -> None:
    app = fake_app(standard_script(services=9))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.select_resource(("hv-prod", "1008"))  # 9.9 TB out by mid-month: an overage
        await pilot.pause()
        assert app.query_one("#chart").size.height >= 5
        assert app.query_one("#usage").region.bottom <= app.screen.size.height - 1  # above the footer
        text = screen_text(app)
        assert "in  now" in text and "out now" in text
        cost = next(line for line in text.splitlines() if "cost" in line)
        assert "overage by period end (estimate)" in cost and "$" in cost
        assert not app.query_one("#spark-in").display or app.query_one("#spark-in").size.height == 0
