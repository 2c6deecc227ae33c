"""What the views list: the name filter, the sort by any column, totals, data ages (no Textual)."""

from __future__ import annotations

import dataclasses

import pytest

from bwtui.config import AccountConfig
from bwtui.events import AccountListed, PollerPaused, ResourceUpdated
from bwtui.model import Usage
from bwtui.runtime import AccountRuntime
from bwtui.session.core import MonitorSession
from bwtui.session.rows import _NUMBER, SORT_COLUMNS, SORT_CYCLE, data_age_s
from ui_support import T0, make_resources, make_state

HV = make_resources("hv-prod", "hivelocity", 4, ["prim-db", "edge-1", "Primary-web", "cache"])
VPN = make_resources("vpn", "altostrat", 2, ["gw-prim", "gw-b"])


def _session(*, listed: bool = True) -> MonitorSession:
    session = MonitorSession(now=lambda: T0)
    session.register([AccountRuntime(AccountConfig("hv-prod", "hivelocity"), None),
                      AccountRuntime(AccountConfig("vpn", "altostrat"), None)])
    if listed:
        session.apply(AccountListed("hv-prod", "hivelocity", tuple(HV)))
        session.apply(AccountListed("vpn", "altostrat", tuple(VPN)))
        for seed, resource in enumerate(HV + VPN):
            session.apply(ResourceUpdated(make_state(resource, seed, T0)))
    return session


def _names(session: MonitorSession) -> list[str]:
    return [session.store.states[key].resource.name for key in session.rows.ordered()]


def _outs(session: MonitorSession) -> list[float | None]:
    return [session.store.rates(key)[1] for key in session.rows.ordered()]


def test_rows_start_sorted_by_out_rate_busiest_first() -> None:
    session = _session()
    session.rows.resort()
    outs = _outs(session)
    assert outs == sorted(outs, reverse=True)
    assert session.rows.sort_column == "out" and session.rows.descending


def test_sorting_by_the_same_column_again_reverses_it() -> None:
    session = _session()
    rows = session.rows
    rows.sort_by("name")
    assert _names(session) == ["cache", "edge-1", "gw-b", "gw-prim", "prim-db", "Primary-web"]
    rows.sort_by("name")
    assert _names(session) == ["Primary-web", "prim-db", "gw-prim", "gw-b", "edge-1", "cache"]
    rows.sort_by("period_out")
    periods = [session.store.states[k].usage.period_out_bytes for k in rows.ordered()]
    assert periods == sorted(periods, reverse=True)
    rows.sort_by("period_out")
    periods = [session.store.states[k].usage.period_out_bytes for k in rows.ordered()]
    assert periods == sorted(periods)


@pytest.mark.parametrize("column", sorted(SORT_COLUMNS))
def test_every_column_sorts_and_unknown_figures_go_last(column: str) -> None:
    session = _session()
    blank = dataclasses.replace(make_state(HV[1], 1, T0), in_bps=None, out_bps=None, usage=None,
                                history=(), rate_at=None, updated_at=None)
    session.apply(ResourceUpdated(blank))
    session.store.series.clear()
    session.rows.touch_all()
    session.rows.sort_by(column)
    order = session.rows.ordered()
    assert sorted(order) == sorted(r.key for r in HV + VPN)
    if column not in ("name", "account", "status"):
        for _direction in range(2):
            known = [_NUMBER[column](session.rows.values(key)) is not None
                     for key in session.rows.ordered()]
            assert known == sorted(known, reverse=True)  # nothing known sorts after the rest
            assert not known[-1]
            session.rows.sort_by(column)  # the other direction


def test_the_sort_key_steps_through_the_columns() -> None:
    rows = _session().rows
    seen = [rows.cycle_sort() for _ in SORT_CYCLE]
    assert seen == [*SORT_CYCLE[1:], SORT_CYCLE[0]]
    assert rows.sort_column == "out" and rows.descending


def test_filter_matches_names_in_any_case_and_says_how_many_of_how_many() -> None:
    session = _session()
    rows = session.rows
    assert rows.set_filter("PRIM")
    assert sorted(_names(session)) == ["Primary-web", "gw-prim", "prim-db"]
    assert rows.filter_note() == "filter: PRIM · 3 of 6"
    assert rows.filter_note(compact=True) == "/PRIM · 3 of 6"  # a narrow header keeps the alerts
    assert [name for name, _ in rows.groups()] == ["hv-prod", "vpn"]
    assert rows.set_filter("prim-")
    assert _names(session) == ["prim-db"]
    assert [name for name, _ in rows.groups()] == ["hv-prod"]  # accounts with no match leave
    assert rows.set_filter("")
    assert rows.filter_note() == "" and len(rows.ordered()) == 6
    assert [name for name, _ in rows.groups()] == ["hv-prod", "vpn"]


def test_narrowing_keeps_the_order_and_widening_sorts_the_rows_that_come_back() -> None:
    session = _session()
    rows = session.rows
    rows.sort_by("name")
    rows.set_filter("p")
    assert _names(session) == sorted(_names(session), key=str.casefold)
    rows.set_filter("pr")
    assert _names(session) == ["gw-prim", "prim-db", "Primary-web"]
    rows.set_filter("")
    assert _names(session) == ["cache", "edge-1", "gw-b", "gw-prim", "prim-db", "Primary-web"]


def test_a_filter_that_matches_nothing_shows_no_rows_and_empty_totals() -> None:
    rows = _session().rows
    rows.set_filter("zzz")
    assert rows.ordered() == [] and rows.groups() == []
    accounts, overall = rows.totals()
    assert accounts == [] and overall.rows == 0 and overall.out_bps is None  # "-", not 0
    assert rows.filter_note() == "filter: zzz · 0 of 6"


def test_rows_do_not_reorder_by_themselves_but_say_when_a_sort_is_due() -> None:
    session = _session()
    rows = session.rows
    rows.resort()
    before = list(rows.ordered())
    last = session.store.states[before[-1]]
    session.apply(ResourceUpdated(dataclasses.replace(last, out_bps=1e12, updated_at=T0)))
    assert rows.ordered() == before and rows.order_stale
    assert rows.resort()
    assert rows.ordered()[0] == before[-1] and not rows.order_stale


def test_a_change_that_does_not_move_a_row_does_not_ask_for_a_sort() -> None:
    session = _session()
    rows = session.rows
    rows.resort()
    key = rows.ordered()[0]
    state = session.store.states[key]
    usage = dataclasses.replace(state.usage, period_in_bytes=state.usage.period_in_bytes + 1)
    session.apply(ResourceUpdated(dataclasses.replace(state, usage=usage)))
    rows.ordered()
    assert not rows.order_stale


def test_new_rows_join_at_the_end_until_the_next_sort() -> None:
    session = _session()
    rows = session.rows
    rows.resort()
    extra = make_resources("hv-prod", "hivelocity", 5)[4]
    session.apply(AccountListed("hv-prod", "hivelocity", (*HV, extra)))
    assert rows.ordered()[-1] == extra.key and rows.order_stale
    assert rows.total_count == 7
    session.apply(AccountListed("hv-prod", "hivelocity", tuple(HV[:2])))  # two vanished
    assert len(rows.ordered()) == 4 and extra.key not in rows.ordered()


def test_totals_per_account_and_overall_add_up_the_shown_rows() -> None:
    session = _session()
    accounts, overall = session.rows.totals()
    assert [t.label for t in accounts] == ["hv-prod", "vpn"]
    states = session.store.states
    hv_out = sum(session.store.rates(r.key)[1] for r in HV)
    assert accounts[0].out_bps == pytest.approx(hv_out)
    assert accounts[0].period_out_bytes == sum(states[r.key].usage.period_out_bytes for r in HV)
    assert overall.rows == 6
    assert overall.out_bps == pytest.approx(sum(t.out_bps for t in accounts))
    assert overall.period_in_bytes == sum(t.period_in_bytes for t in accounts)
    session.rows.set_filter("gw")
    accounts, overall = session.rows.totals()
    assert [t.label for t in accounts] == ["vpn"] and overall.rows == 2


def test_totals_after_a_filter_is_cleared_count_what_changed_meanwhile() -> None:
    """The all-rows totals are kept up to date under a filter (Esc needs no pass over the
    fleet): changes to hidden rows and to shown ones both count once the filter is cleared."""
    session = _session()
    rows = session.rows
    rows.totals()
    rows.set_filter("gw")
    rows.totals()
    states = session.store.states
    for resource, out in ((HV[0], 5e9), (VPN[0], 7e9)):  # one hidden by the filter, one shown
        session.apply(ResourceUpdated(dataclasses.replace(states[resource.key], out_bps=out,
                                                          updated_at=T0)))
        rows.totals()
    rows.set_filter("")
    accounts, overall = rows.totals()
    fresh = _session()
    for resource, out in ((HV[0], 5e9), (VPN[0], 7e9)):
        fresh.apply(ResourceUpdated(dataclasses.replace(fresh.store.states[resource.key], out_bps=out,
                                                        updated_at=T0)))
    want_accounts, want_overall = fresh.rows.totals()

    def numbers(totals: object) -> dict[str, object]:  # sums kept row by row may differ in the last bit
        return {name: value for name, value in dataclasses.asdict(totals).items() if name != "label"}

    assert [t.label for t in accounts] == [t.label for t in want_accounts]
    for got, want in zip([*accounts, overall], [*want_accounts, want_overall]):
        assert numbers(got) == pytest.approx(numbers(want))
    assert overall.out_bps == pytest.approx(sum(session.store.rates(r.key)[1] for r in HV + VPN))


def test_totals_of_rows_without_a_figure_say_unknown_not_zero() -> None:
    session = _session()
    for resource in VPN:
        state = session.store.states[resource.key]
        session.apply(ResourceUpdated(dataclasses.replace(state, in_bps=None, out_bps=None,
                                                          rate_at=None, history=())))
    session.store.series.clear()
    session.rows.touch_all()
    accounts, overall = session.rows.totals()
    vpn = accounts[1]
    assert vpn.in_bps is None and vpn.out_bps is None  # no rate measured yet: "-", not 0
    assert vpn.period_out_bytes is not None
    assert overall.out_bps == pytest.approx(accounts[0].out_bps)


def test_overage_totals_count_only_priced_rows_and_none_means_unknown() -> None:
    session = _session()
    accounts, overall = session.rows.totals()
    hv, vpn = accounts
    assert vpn.overage_usd is None and vpn.priced == 0  # Altostrat: no allowance, no price
    assert hv.priced == 4 and hv.overage_usd is not None
    expected = sum(session.billing(session.store.states[r.key]).projected_overage_cost for r in HV)
    assert hv.overage_usd == pytest.approx(expected)
    assert overall.overage_usd == pytest.approx(expected)


def test_projected_share_and_overage_are_separate_figures() -> None:
    session = _session()
    values = session.rows.values(HV[0].key)
    figures = session.billing(session.store.states[HV[0].key])
    assert values.projected_pct == pytest.approx(figures.projected_pct)
    assert values.overage_usd == pytest.approx(figures.projected_overage_cost)


def test_data_age_shows_only_past_one_and_a_half_steps() -> None:
    session = _session()
    key = HV[0].key
    state = session.store.states[key]
    session.apply(ResourceUpdated(dataclasses.replace(state, rate_at=T0 - 420, updated_at=T0 - 1)))
    values = session.rows.values(key)
    assert values.stale_after_s == 450  # Hivelocity: 5-minute points
    assert data_age_s(values, T0) is None  # 7 min: within 1.5 steps
    assert data_age_s(values, T0 + 60) == pytest.approx(480)
    vpn = session.rows.values(VPN[0].key)
    assert vpn.stale_after_s == 90  # Altostrat: a reading a minute


def test_data_age_of_totals_only_resources_uses_the_reading_time() -> None:
    session = _session()
    key = VPN[1].key
    state = session.store.states[key]
    usage = Usage(1, 2, as_of=T0 - 600)
    session.apply(ResourceUpdated(dataclasses.replace(state, rate_at=None, in_bps=None,
                                                      out_bps=None, usage=usage)))
    assert data_age_s(session.rows.values(key), T0) == pytest.approx(600)


def test_pause_refreshes_every_row_status() -> None:
    session = _session()
    rows = session.rows
    rows.sort_by("status")
    session.apply(PollerPaused(True))
    severities = {rows.values(key).severity for key in rows.ordered()}
    assert severities == {2}  # paused


def test_groups_list_every_account_in_config_order_even_before_listing() -> None:
    session = _session(listed=False)
    assert session.rows.groups() == [("hv-prod", []), ("vpn", [])]
    assert session.rows.first() is None
    session.apply(AccountListed("vpn", "altostrat", tuple(VPN)))
    session.apply(AccountListed("hv-prod", "hivelocity", tuple(HV)))
    assert session.rows.first() == HV[0].key  # config order, whoever answered first


def test_filter_and_sort_on_five_thousand_rows_touch_plain_values_only() -> None:
    session = MonitorSession(now=lambda: T0)
    session.register([AccountRuntime(AccountConfig("hv", "hivelocity"), None)])
    many = make_resources("hv", "hivelocity", 5000)
    session.apply(AccountListed("hv", "hivelocity", tuple(many)))
    for seed, resource in enumerate(many[:200]):
        session.apply(ResourceUpdated(make_state(resource, seed, T0)))
    rows = session.rows
    rows.ordered()
    calls = 0
    real = session.billing

    def counting(state):  # noqa: ANN001, ANN202
        nonlocal calls
        calls += 1
        return real(state)

    rows._billing = counting  # type: ignore[assignment]
    for text in ("w", "we", "web", "web-", "web-0", "web-", "web", ""):
        rows.set_filter(text)
    rows.sort_by("name")
    rows.sort_by("period_out")
    rows.totals()
    assert calls == 0  # nothing changed: no figure is worked out again
    assert len(rows.ordered()) == 5000


def test_totals_kept_row_by_row_match_a_fresh_count() -> None:
    from bwtui.session.rows import ResourceRows

    session = _session()
    rows = session.rows
    rows.totals()
    for step in range(1, 6):
        for seed, resource in enumerate(HV + VPN):
            state = session.store.states[resource.key]
            session.apply(ResourceUpdated(dataclasses.replace(
                state, out_bps=(state.out_bps or 0) * (1 + step / 10), updated_at=T0 + step)))
        rows.set_filter("e" if step % 2 else "")
        fresh = ResourceRows(session.store, billing=session.billing)
        fresh.set_filter(rows.filter_text)
        got, want = rows.totals(), fresh.totals()
        assert [t.label for t in got[0]] == [t.label for t in want[0]]
        assert got[1].out_bps == pytest.approx(want[1].out_bps)
        assert got[1].period_out_bytes == want[1].period_out_bytes
        assert got[1].rows == want[1].rows
