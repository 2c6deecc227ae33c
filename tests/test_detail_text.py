"""What the detail pane and the header say about a figure: what it is, how old, where it came
from, and what to do (words built Textual-free, checked here as a user would read them)."""

from __future__ import annotations

import dataclasses

from bwtui.billing import BillingFigures
from bwtui.config import AccountConfig
from bwtui.events import AccountFailed, AccountListed, BudgetUpdated
from bwtui.model import BillingTerms, DataWarning, ErrorKind, ProviderError, SkippedItem, Usage
from bwtui.runtime import AccountRuntime
from bwtui.session.billing import billing_lines
from bwtui.session.core import MonitorSession
from bwtui.session.detail_text import account_lines, budget_note, pool_line, pool_of, rate_line, short_rate
from bwtui.session.store import AccountView, MonitorStore
from ui_support import T0, make_resources, make_state

DAY = 86400.0


def _text(segments: list[tuple[str, str]]) -> str:
    return "".join(part for part, _ in segments)


def _budget(**changes: object) -> BudgetUpdated:
    base = BudgetUpdated(group="hivelocity:127.0.0.1", accounts=("hv-prod",), limit=3600, remaining=10,
                         reset_at=T0 + 900, blocked_until=None, stretch=1.0, rate_rps=1.0,
                         reason="", rejected=0, at=T0)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_a_live_rate_says_now_and_its_age_once_old() -> None:
    line = _text(rate_line("out", 4.31e6, 6.29e6, 44.1e6, rate_basis=None, age_s=None, bytes_mode=False))
    assert line == "out now 4.31 Mbit/s  avg 6.29M  max 44.1M"
    aged = _text(rate_line("out", 4.31e6, 6.29e6, 44.1e6, rate_basis=None, age_s=420, bytes_mode=False))
    assert aged.endswith("  7m ago")


def test_a_daily_average_is_never_shown_as_live() -> None:
    line = _text(rate_line("in", 1.25e6, 1.5e6, 4.9e6, rate_basis="daily_average", age_s=None,
                           bytes_mode=False))
    assert "now" not in line and "daily average (today so far)" in line
    assert short_rate(10.2e6, "daily_average", bytes_mode=False) == "avg 10.2M"
    assert short_rate(10.2e6, "series", bytes_mode=False) == "10.2 Mbit/s"


def test_a_plugin_that_failed_to_load_is_not_called_an_auth_error() -> None:
    session = MonitorSession(now=lambda: T0)
    broken = "provider 'example' failed to import: No module named 'bwtui_example'"
    session.register([AccountRuntime(AccountConfig("ex", "example"), None, broken, provider_error=broken)])
    session.apply(AccountFailed("ex", ProviderError(ErrorKind.AUTH, broken)))
    view = session.store.accounts["ex"]
    assert view.error_kind == "provider_not_loaded"
    text = _text(account_lines(view, now=T0, step_s=None))
    assert text.startswith("provider not loaded: provider 'example' failed to import")
    assert "`bwtui providers` shows why" in text and "token is not the problem" in text
    assert "auth" not in text


def test_skipped_items_are_listed_on_the_account() -> None:
    session = MonitorSession(now=lambda: T0)
    session.register([AccountRuntime(AccountConfig("hv-prod", "hivelocity"), None)])
    skipped = (SkippedItem("99001", "spare-box", "no servicePlan: not a billed service"),)
    session.apply(AccountListed("hv-prod", "hivelocity", tuple(make_resources("hv-prod", "hivelocity", 2)),
                                skipped))
    text = _text(account_lines(session.store.accounts["hv-prod"], now=T0, step_s=300))
    assert "1 item listed but not watched:" in text
    assert "99001 spare-box (no servicePlan: not a billed service)" in text


def test_the_budget_says_when_it_stretches_polling_and_when_a_429_stops_it() -> None:
    assert budget_note(_budget(), now=T0, step_s=300) == []
    stretched = _text(budget_note(_budget(stretch=3.0, reason="3,600/h shared with 2 other processes"),
                                  now=T0, step_s=300))
    assert stretched == "budget  polled every 15m instead of 5m (3,600/h shared with 2 other processes)"
    blocked = _text(budget_note(_budget(blocked_until=T0 + 25 * 60), now=T0, step_s=300))
    assert blocked == "budget  the provider answered 429: no requests until 13:32 UTC"
    view = AccountView("hv-prod", "hivelocity", budget=_budget(stretch=2.0))
    assert "polled every 10m instead of 5m" in _text(account_lines(view, now=T0, step_s=300))


def _figures(**changes: object) -> BillingFigures:
    base = BillingFigures(period_start=1_767_225_600.0, period_end=1_767_225_600.0 + 31 * DAY, as_of=T0,
                          elapsed_fraction=0.47, used_in_bytes=None, used_out_bytes=6.79e12,
                          projected_in_bytes=None, projected_out_bytes=int(14.5e12),
                          allowance_out_bytes=10**13, overage_usd_per_gb=0.01,
                          projected_overage_cost=44.77, used_pct=68.0, projected_pct=145.0,
                          period_source="provider", allowance_source="provider")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_the_usage_panel_says_where_the_period_came_from_and_the_cost_in_full() -> None:
    state = make_state(make_resources("hv-prod", "hivelocity", 1)[0], 0, T0)
    text = _text(billing_lines(_figures(), state) or [])
    assert text.splitlines() == [
        "billing 1 Jan to 1 Feb (the provider's cycle) · 47% elapsed",
        "used    68% of 10.0 TB out (stated by the provider)",
        "est.    out 14.5 TB (145%) at period end (estimate)",
        "cost    $44.77 overage by period end (estimate)",
    ]
    for source, words in (("observed_reset", "from a counter reset"), ("calendar", "calendar month"),
                          ("config", "billing_day in the config")):
        assert words in _text(billing_lines(_figures(period_source=source), state) or [])


def test_too_early_is_said_instead_of_a_wild_number() -> None:
    state = make_state(make_resources("hv-prod", "hivelocity", 1)[0], 0, T0)
    figures = _figures(projection="too_early", projected_out_bytes=None, projected_pct=None,
                       projected_overage_cost=None)
    text = _text(billing_lines(figures, state) or [])
    assert "est.    too early (after 6 h of the period)" in text and "cost" not in text


def test_a_price_in_another_currency_notes_and_warnings_are_shown() -> None:
    resource = dataclasses.replace(
        make_resources("hz", "hetzner", 1)[0],
        billing=BillingTerms(overage_price_per_gb=0.00119, currency="EUR", allowance_out_bytes=20 * 2**40))
    state = make_state(resource, 0, T0)
    state = dataclasses.replace(state, usage=dataclasses.replace(
        state.usage, warnings=(DataWarning("units", "In Xfer 1.2 TB but the rates add up to 9.6 TB"),)))
    figures = _figures(overage_usd_per_gb=None, projected_overage_cost=None,
                       notes=("renewDate 'soon' did not parse: the config's billing_day is used",))
    lines = _text(billing_lines(figures, state) or []).splitlines()
    assert "price   1.19 EUR per TB over (never converted: overage_usd_per_gb in the config gives a cost)" in lines
    assert "note    renewDate 'soon' did not parse: the config's billing_day is used" in lines
    assert "warning units: In Xfer 1.2 TB but the rates add up to 9.6 TB" in lines


def test_a_vultr_pool_is_shown_with_its_members_use() -> None:
    store = MonitorStore()
    members = [dataclasses.replace(r, billing=BillingTerms(allowance_out_bytes=2 * 10**12, pool="account"))
               for r in make_resources("vultr", "vultr", 3)]
    store.apply_listed("vultr", "vultr", members)
    for index, resource in enumerate(members):
        state = make_state(resource, index, T0)
        store.apply_state(dataclasses.replace(state, usage=Usage(0, 500 * 10**9, T0)))
    text = _text(pool_line(pool_of(store, members[0].key)))
    assert text == "pool    3 instances share 6.00 TB out: 1.50 TB used (25%)"
    assert pool_of(store, ("vultr", "nope")) is None
