"""The first selection at start-up: the first resource in config order, once every account has
listed or failed (at most ``AUTO_SELECT_WAIT_S`` later), so a fleet's overview is not preceded
by a detail nobody asked for."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import bwtui.ui.first_selection as first_selection
from bwtui.events import AccountFailed, AccountListed, ResourceUpdated
from bwtui.model import ErrorKind, ProviderError
from ui_support import T0, fake_app, make_resources, make_state, settle

HV = make_resources("hv-prod", "hivelocity", 3)
VPN = make_resources("vpn", "altostrat", 2)


def only_hv(poller: Any) -> list[Any]:
    """hv-prod answers; vpn has not yet (its list comes later, or its failure)."""
    return [AccountListed("hv-prod", "hivelocity", tuple(HV)),
            *(ResourceUpdated(make_state(r, i, T0)) for i, r in enumerate(HV))]


async def test_the_first_resource_is_selected_once_every_account_has_listed() -> None:
    app = fake_app(only_hv)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot, app)
        assert app.selected is None  # vpn has not answered yet
        app.poller.emit(AccountListed("vpn", "altostrat", tuple(VPN)))
        await pilot.pause()
        await pilot.pause()
        assert app.selected == HV[0].key and app.view_mode == "detail"


async def test_a_failed_account_does_not_hold_the_first_selection() -> None:
    app = fake_app(only_hv)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot, app)
        assert app.selected is None
        app.poller.emit(AccountFailed("vpn", ProviderError(ErrorKind.SERVER, "upstream 502", status=502)))
        await pilot.pause()
        await pilot.pause()
        assert app.selected == HV[0].key


async def test_a_slow_account_holds_the_first_selection_only_briefly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(first_selection, "AUTO_SELECT_WAIT_S", 0.05)
    app = fake_app(only_hv)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot, app)
        for _ in range(100):
            if app.selected is not None:
                break
            await asyncio.sleep(0.01)
        assert app.selected == HV[0].key  # vpn never answered
        assert app.store.lists_pending()


async def test_a_fleet_opens_on_the_overview_without_drawing_a_detail_first() -> None:
    many = make_resources("vpn", "altostrat", 16)
    app = fake_app(only_hv)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot, app)
        shown: list[Any] = []
        original = app.detail.show
        app.detail.show = lambda *a, **k: (shown.append(a), original(*a, **k))  # type: ignore[method-assign]
        app.poller.emit(AccountListed("vpn", "altostrat", tuple(many)))
        await pilot.pause()
        await pilot.pause()
        assert app.view_mode == "overview"
        assert app.selected == HV[0].key  # selected (for `o`), shown once, while the overview is up
        assert shown == [(HV[0].key,)]
