"""An account that lists nothing (no token, a refused key, a failing listing) says why and what
to do where the user looks: over the overview and in the detail pane, not only on the sidebar line
(issue 11: "the overview is an empty table under '1 account · 0 resources · 1 failing'")."""

from __future__ import annotations

from typing import Any

from bwtui.events import AccountFailed
from bwtui.model import ErrorKind, ProviderError
from ui_support import fake_app, screen_text, settle, standard_script

FAILURE = AccountFailed("hv-prod", ProviderError(ErrorKind.AUTH, "Invalid API key", status=401))


def _failing_only(poller: Any) -> list[Any]:
    return [FAILURE]


async def _settled(pilot: Any, app: Any) -> None:
    for _ in range(20):
        await pilot.pause()


async def test_the_overview_of_a_failing_account_says_why_and_the_fix() -> None:
    app = fake_app(_failing_only, accounts=(("hv-prod", "hivelocity"),))
    async with app.run_test(size=(100, 24)) as pilot:
        await _settled(pilot, app)
        text = screen_text(app)
        assert "hv-prod (auth): Invalid API key" in text  # in the detail pane at once
        assert "bwtui auth set hv-prod" in text
        await pilot.press("o")
        await pilot.pause()
        text = screen_text(app)
        assert "✖ hv-prod (auth): Invalid API key" in text  # over the (empty) overview
        assert "Fix: the provider rejected the key" in text and "bwtui auth set hv-prod" in text


async def test_the_problems_panel_goes_once_the_account_lists() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        if app.view_mode != "overview":
            await pilot.press("o")
        app.poller.emit(AccountFailed("vpn", ProviderError(ErrorKind.SERVER, "upstream 502", status=502)))
        await pilot.pause()
        await pilot.pause()
        assert "✖ vpn (server): upstream 502" in screen_text(app)
        panel = app.query_one("#account-problems")
        assert panel.display
        await pilot.press("o")  # the detail view: the panel belongs to the overview
        await pilot.pause()
        assert not panel.display
