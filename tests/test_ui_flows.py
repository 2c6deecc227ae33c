"""Pilot-driven flows of the monitor: what the user sees and what the UI asks of the poller."""

from __future__ import annotations

import pytest

from bwtui.events import AccountFailed, ResourceUpdated
from bwtui.model import ErrorKind, ProviderError
from bwtui.model import Period
from ui_support import (
    T0,
    FakeClock,
    FakePoller,
    fake_app,
    last_call,
    make_resources,
    make_state,
    runtimes,
    screen_text,
    settle,
    standard_script,
)

SIZE = (100, 32)


async def test_first_resource_is_selected_and_prioritized() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        text = screen_text(app)
        assert "web-01  hivelocity service 1000" in text
        assert ("prioritize", ("hv-prod", "1000")) in app.poller.calls
        assert ("set_period", ("hv-prod", "1000"), Period.DAY) in app.poller.calls
        assert "period  in 300 GB  out 1.10 TB" in text


async def test_navigating_with_j_and_arrows_selects_the_next_resource() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("j")
        await pilot.pause()
        assert "web-02  hivelocity service 1001" in screen_text(app)
        await pilot.press("down", "down")
        await pilot.pause()
        assert "web-04  hivelocity service 1003" in screen_text(app)
        await pilot.press("k")
        await pilot.pause()
        assert "web-03" in screen_text(app).splitlines()[1]
        asked = [call for call in app.poller.calls if call[0] != "set_visible"]  # (the 1 s check's)
        assert asked[-2:] == [
            ("prioritize", ("hv-prod", "1002")),
            ("set_period", ("hv-prod", "1002"), Period.DAY),
        ]


async def test_period_keys_switch_the_chart_and_ask_the_poller() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("2")
        await pilot.pause()
        assert "last 7 days" in screen_text(app)
        assert last_call(app, "set_period") == ("set_period", ("hv-prod", "1000"), Period.WEEK)
        await pilot.press("3")
        await pilot.pause()
        text = screen_text(app)
        assert "billing period since 2026-01-01" in text  # key 3: the current billing period
        assert "2-hour" in text  # the provider's month series, at its own step
        assert last_call(app, "set_period") == ("set_period", ("hv-prod", "1000"), Period.MONTH)
        await pilot.press("1")
        await pilot.pause()
        assert "last 24 hours" in screen_text(app)
        assert last_call(app, "set_period") == ("set_period", ("hv-prod", "1000"), Period.DAY)


async def test_refresh_asks_the_poller_for_the_selected_resource() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("j", "r")
        await pilot.pause()
        assert last_call(app, "refresh_now") == ("refresh_now", ("hv-prod", "1001"))
        await pilot.press("R")
        await pilot.pause()
        assert last_call(app, "refresh_now") == ("refresh_now", None)


async def test_pause_and_resume_show_in_header_and_glyphs() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("p")
        await pilot.pause()
        text = screen_text(app)
        assert "PAUSED" in text
        assert "‖ web-01" in text
        assert ("pause",) in app.poller.calls
        await pilot.press("p")
        await pilot.pause()
        text = screen_text(app)
        assert "PAUSED" not in text and "● polling" in text
        assert ("resume",) in app.poller.calls


async def test_bits_bytes_toggle_changes_every_rate() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert "Mbit/s" in screen_text(app)
        await pilot.press("b")
        await pilot.pause()
        text = screen_text(app)
        assert "Mbit/s" not in text and "MB/s" in text


async def test_filter_by_name_narrows_sidebar_and_enter_keeps_it() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", "v", "p", "n", "-", "0", "2")
        await pilot.pause()
        text = screen_text(app)
        assert "vpn-02" in text and "web-01 " not in text.split("▕")[0]
        assert "last 24 hours" in text  # typing digits in the filter does not switch period
        await pilot.press("enter")
        await pilot.pause()
        assert "filter: vpn-02" in screen_text(app)
        assert app.focused is app.tree
        await pilot.press("slash", *["backspace"] * 6, "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "filter:" not in text and "web-01" in text


async def test_help_opens_with_question_mark_and_f1_and_closes_without_escape() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert "bwtui help" in screen_text(app)
        help_text = str(app.screen.query_one("#help-text").render())
        assert "rate-limited by the provider" in help_text  # the status glyphs (scroll down)
        assert "time cursor" in help_text and "period tables" in help_text
        await pilot.press("question_mark")
        await pilot.pause()
        assert "bwtui help" not in screen_text(app)
        await pilot.press("f1")
        await pilot.pause()
        assert "bwtui help" in screen_text(app)
        await pilot.press("q")  # closes help, does not quit
        await pilot.pause()
        assert app.is_running and "bwtui help" not in screen_text(app)


async def test_quit_with_q() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_overview_is_sorted_by_out_rate_and_enter_opens_a_resource() -> None:
    app = fake_app(standard_script(services=12, instances=6))
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot, app)
        app.overview.apply_sort()
        app.overview.move_cursor(row=0)
        await pilot.pause()
        assert app.view_mode == "overview"  # 18 resources > 15: overview by default
        rows = [app.store.states[key] for key in _overview_keys(app)]
        outs = [s.out_bps for s in rows]
        assert outs == sorted(outs, reverse=True)
        top = rows[0].resource
        assert top.name in screen_text(app).splitlines()[2]
        await pilot.press("enter")
        await pilot.pause()
        assert app.view_mode == "detail"
        assert f"{top.name}  {top.provider}" in screen_text(app)
        await pilot.press("o")
        await pilot.pause()
        assert app.view_mode == "overview"
        await pilot.click("#overview", offset=(app.overview.column_x("name"), 0))  # by name
        await pilot.pause()
        names = [app.store.states[key].resource.name for key in _overview_keys(app)]
        assert names == sorted(names, key=str.casefold)


async def test_overview_cursor_starts_on_the_busiest_resource_and_stays_where_the_user_puts_it() -> None:
    app = fake_app(standard_script(services=12, instances=6))
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot, app)
        app.overview.apply_sort()
        await pilot.pause()
        keys = _overview_keys(app)
        assert app.overview.highlighted_key() == keys[0]  # the top row: highest out rate
        await pilot.press("j", "j")
        await pilot.pause()
        chosen = app.overview.highlighted_key()
        assert chosen == keys[2]
        app.overview.sort_mode = "name"  # whatever reorders the rows, the cursor stays on it
        app.overview.apply_sort()
        await pilot.pause()
        assert app.overview.highlighted_key() == chosen
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected == chosen and app.view_mode == "detail"


def _overview_keys(app):  # noqa: ANN001, ANN202
    return app.overview.ordered_keys


async def test_failing_resource_shows_provider_message_literally() -> None:
    app = fake_app(standard_script(failing="web-02"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("j")
        await pilot.pause()
        text = screen_text(app)
        assert "error: server (HTTP 500)" in text
        assert "Internal error [b]boom[/b] \\x1b[31m" in text
        assert "✖ web-02" in text


async def test_account_failure_is_shown_on_the_account_and_app_keeps_running() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.poller.emit(AccountFailed("vpn", ProviderError(ErrorKind.AUTH, "[red]Unauthenticated.", status=401)))
        await pilot.pause()
        text = screen_text(app)
        assert "✖ vpn (auth)" in text
        assert app.is_running


async def test_hostile_names_are_shown_literally_and_do_nothing() -> None:
    app = fake_app(standard_script(hostile=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        text = screen_text(app)
        assert "[@click=app.quit]x[/]" in text
        assert "[bold]unclos" in text
        assert "evil\\x1b]0;p" in text
        await pilot.click("#tree", offset=(6, 1))
        await pilot.pause()
        assert app.is_running
        await pilot.press("o")
        await pilot.pause()
        assert "[$accent]var[/]" in screen_text(app)
        assert "[bold]unclosed" in screen_text(app)
        assert "evil\\x1b]0;pwned\\x07t" in screen_text(app)  # long names end in …
        await pilot.click("#overview", offset=(6, 2))
        await pilot.pause()
        assert app.is_running


async def test_resource_update_redraws_only_when_data_changed() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        resource = make_resources("hv-prod", "hivelocity", 1)[0]
        state = app.store.states[resource.key]
        assert not app.store.apply_state(state)  # same data: nothing to redraw
        app.poller.emit(ResourceUpdated(make_state(resource, 5, T0 + 300)))
        await pilot.pause()
        assert app.store.states[resource.key].updated_at == T0 + 240


async def test_first_run_offers_demo_and_d_starts_it() -> None:
    started = []

    class Env:
        def __init__(self) -> None:
            self.runtimes = runtimes(("hv-demo", "hivelocity"))

        def stop(self) -> None:
            started.append("stopped")

        def ended(self) -> str | None:
            return None  # its simulator serves

    from bwtui.ui.app import BwtuiApp

    def factory(rts, *, clock, on_event, history=None):  # noqa: ANN001, ANN202
        return FakePoller(rts, clock=clock, on_event=on_event, script=standard_script(instances=0))

    def demo_factory() -> Env:
        started.append("started")
        return Env()

    app = BwtuiApp([], first_run=True, demo_factory=demo_factory, poller_factory=factory, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "No account is configured yet" in text
        assert "BWTUI_TOKEN_HV_PROD" in text and "bwtui auth set hv-prod" in text
        await pilot.press("d")
        for _ in range(50):
            await pilot.pause()
            if app.poller is not None and app.poller.ran.is_set():
                break
        await pilot.pause()
        assert started == ["started"]
        assert "web-01" in screen_text(app)
        assert "DEMO" in screen_text(app)


async def test_command_palette_lists_every_action() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for wanted in ("Overview / detail", "Refresh now", "Pause / resume polling", "Bits / bytes",
                       "Chart: last day", "Chart: last week", "Chart: billing period", "Chart: last hour",
                       "Compare with earlier", "Period tables", "Provider's graph", "Filter by name", "Help"):
            assert wanted in titles


def test_run_app_refuses_without_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from bwtui.ui.run import run_app

    assert run_app([]) == 2
    assert "bwtui status" in capsys.readouterr().err


async def test_ascii_mode_uses_text_glyphs() -> None:
    app = fake_app(standard_script(failing="web-02"), ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        text = screen_text(app)
        assert "ok web-01" in text and "ER web-02" in text
        assert not any(ch in text for ch in "⣿⠉⢕▁▂▃▄▅▆▇█")
