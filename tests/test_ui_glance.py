"""A glance you can trust, on screen: the header counts ok / stale / failing / rate-limited and
leaves its calm colour, the overage mark changes shape, ages show, daily averages say so, a
plug-in that failed to load says so, skipped items are listed, the budget is explained."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bwtui.config import AccountConfig
from bwtui.events import AccountListed, BudgetUpdated, ResourceUpdated
from bwtui.model import ErrorKind, ProviderError, SkippedItem
from bwtui.runtime import AccountRuntime
from ui_support import (
    FakeClock,
    FakePoller,
    T0,
    fake_app,
    make_resources,
    make_state,
    screen_text,
    settle,
    standard_script,
)


async def test_the_header_counts_problems_and_leaves_its_calm_colour() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        header = app.query_one("#header")
        assert "6 resources · 1 warning · all fresh" in screen_text(app)
        assert not header.has_class("-alarm") and not header.has_class("-warn")
        resource = make_resources("hv-prod", "hivelocity", 2)[1]
        failing = make_state(resource, 1, T0, error=ProviderError(ErrorKind.SERVER, "boom", status=500),
                             stale=True)
        app.poller.emit(ResourceUpdated(dataclasses.replace(failing, stale=True)))
        await pilot.pause()
        await pilot.pause()
        first_line = screen_text(app).splitlines()[0]
        assert "5 ok" in first_line and "1 stale" in first_line and "all fresh" not in first_line
        assert header.has_class("-warn")
        app.poller.emit(ResourceUpdated(dataclasses.replace(failing, stale=False, updated_at=None)))
        await pilot.pause()
        await pilot.pause()
        assert "1 failing" in screen_text(app).splitlines()[0]
        assert header.has_class("-alarm")


async def test_a_429_block_and_a_stretched_budget_are_in_the_header() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, app)
        budget = BudgetUpdated("hv", ("hv-prod",), 3600, 0, T0 + 600, T0 + 600, 1.0, 1.0, "", 1, T0)
        app.poller.emit(budget)
        await pilot.pause()
        assert "429: requests wait until 13:17 UTC" in screen_text(app).splitlines()[0]
        app.poller.emit(dataclasses.replace(budget, blocked_until=None, stretch=3.0, remaining=100))
        await pilot.pause()
        assert "budget: polls 3.0× apart" in screen_text(app).splitlines()[0]


async def test_projected_overage_changes_the_glyph_shape_quietly() -> None:
    notes: list[Any] = []
    app = fake_app(standard_script(services=9))
    async with app.run_test(size=(120, 30)) as pilot:
        app.notify = lambda message, **kw: notes.append((message, kw))  # type: ignore[method-assign]
        await settle(pilot, app)
        over = ("hv-prod", "1008")  # 9.9 TB out by mid-month: ~21 TB projected of 10 TB
        assert app.store.alert_level(over) == "critical"
        assert app.tree.label(("resource", over)).plain.startswith("└ ◆ web-09")
        assert not [n for n in notes if n[1].get("title") == "threshold crossed"]  # no toast storm
        header = screen_text(app).splitlines()[0]
        assert "11 resources · 5 critical · 1 warning" in header  # what to act on, first
        assert "all fresh" in header  # the data is fine; the traffic is not


async def test_a_daily_average_and_a_stale_age_read_as_such() -> None:
    vultr = dataclasses.replace(make_resources("vultr", "vultr", 1)[0], rate_basis="daily_average")

    def script(poller: FakePoller) -> list[Any]:
        return [AccountListed("vultr", "vultr", (vultr,)), ResourceUpdated(make_state(vultr, 0, T0))]

    app = fake_app(script, accounts=(("vultr", "vultr"),))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        text = screen_text(app)
        assert "daily average (today so far)" in text and "out now" not in text
        assert " avg " in app.tree.label(("resource", vultr.key)).plain

    old = make_resources("hv-prod", "hivelocity", 1)[0]
    clock = FakeClock(T0 + 3600)  # the newest point is an hour old: 12 steps of 5 minutes

    def stale_script(poller: FakePoller) -> list[Any]:
        return [AccountListed("hv-prod", "hivelocity", (old,)), ResourceUpdated(make_state(old, 0, T0))]

    app = fake_app(stale_script, accounts=(("hv-prod", "hivelocity"),), clock=clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        assert "1h" in app.tree.label(("resource", old.key)).plain
        assert "1h ago" in screen_text(app)


async def test_a_plugin_that_failed_to_load_and_skipped_devices_show_on_the_account() -> None:
    from ui_support import _DummyClient  # noqa: PLC2701 - the inert client the helpers use

    broken = "provider 'example' failed to import: No module named 'bwtui_example'"
    hv = make_resources("hv-prod", "hivelocity", 1)
    skipped = (SkippedItem("99001", "spare-box", "no servicePlan"),)

    def script(poller: FakePoller) -> list[Any]:
        return [AccountListed("hv-prod", "hivelocity", tuple(hv), skipped),
                ResourceUpdated(make_state(hv[0], 0, T0))]

    def factory(rts: Any, *, clock: Any, on_event: Any, history: Any = None) -> FakePoller:
        return FakePoller(rts, clock=clock, on_event=on_event, script=script)

    from bwtui.ui.app import BwtuiApp

    runtimes = [AccountRuntime(AccountConfig("hv-prod", "hivelocity"), _DummyClient()),  # type: ignore[arg-type]
                AccountRuntime(AccountConfig("ex", "example"), None, broken, provider_error=broken)]
    app = BwtuiApp(runtimes, poller_factory=factory, clock=FakeClock())
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        assert app.tree.label(("account", "ex")).plain.endswith("ex (provider not loaded)")
        assert app.tree.label(("account", "hv-prod")).plain.endswith("1 skipped")
        app.tree.select_data(("account", "ex"))
        app.detail.show(None, "ex")
        await pilot.pause()
        text = screen_text(app)
        assert "provider not loaded: provider 'example' failed to import" in text
        assert "`bwtui providers` shows why" in text
        app.detail.show(None, "hv-prod")
        await pilot.pause()
        assert "99001 spare-box (no servicePlan)" in screen_text(app)


@pytest.mark.parametrize(("size", "shown", "absent"), [
    ((100, 30), ("filter: web", "5 critical · 1 warning"), None),
    ((80, 24), ("/web · 9 of 11 · 5 critical",), "filter:"),  # narrow: the short note
], ids=["100 columns", "80 columns"])
async def test_a_filter_note_never_pushes_the_alert_counts_off_the_header(
        size: tuple[int, int], shown: tuple[str, ...], absent: str | None) -> None:
    app = fake_app(standard_script(services=9))
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", "w", "e", "b", "enter")
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert all(text in header for text in shown), header
        assert absent is None or absent not in header


async def test_fleet_sized_counts_in_the_header_group_their_thousands() -> None:
    def script(poller: FakePoller) -> list[Any]:
        return [AccountListed("hv-prod", "hivelocity", tuple(make_resources("hv-prod", "hivelocity", 1200))),
                AccountListed("vpn", "altostrat", ())]

    app = fake_app(script)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, app)
        first_line = screen_text(app).splitlines()[0]
        assert "1,200 resources" in first_line and "1,200 waiting" in first_line
