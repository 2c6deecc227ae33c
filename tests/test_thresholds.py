"""Threshold evaluation, per-resource overrides and the once-per-crossing latch."""

from __future__ import annotations

from datetime import UTC, datetime

from bwtui.billing import billing_for
from bwtui.config import AccountConfig, ResourceOverride, Thresholds
from bwtui.model import ErrorKind, ProviderError, Resource, ResourceState, Usage
from bwtui.thresholds import (
    Level,
    ThresholdLatch,
    effective_thresholds,
    evaluate,
    evaluate_for,
    worst,
)

RES = Resource("hv-prod", "hivelocity", "service", "152515", "web-1")
RATES = Thresholds(warn_out_bps=500e6, crit_out_bps=800e6, warn_in_bps=900e6)
PCT = Thresholds(warn_projected_pct=80, crit_projected_pct=100)
NOV_16 = datetime(2026, 11, 16, tzinfo=UTC).timestamp()


def state(out_bps: float | None = None, in_bps: float | None = 0.0, **kw) -> ResourceState:
    return ResourceState(RES, in_bps=in_bps, out_bps=out_bps, **kw)


def test_rates_above_thresholds_warn_then_go_critical() -> None:
    assert evaluate(state(400e6), None, RATES).level is Level.OK
    assert evaluate(state(500e6), None, RATES).level is Level.OK  # equal is not above
    warn = evaluate(state(600e6), None, RATES)
    assert warn.level is Level.WARNING
    assert warn.reasons == ("out 600 Mbit/s > warning 500 Mbit/s",)
    crit = evaluate(state(812e6, in_bps=950e6), None, RATES)
    assert crit.level is Level.CRITICAL
    assert crit.reasons[0] == "out 812 Mbit/s > critical 800 Mbit/s"
    assert "in 950 Mbit/s > warning 900 Mbit/s" in crit.reasons


def test_projected_percent_of_allowance() -> None:
    account = AccountConfig("hv-prod", "hivelocity")
    on_pace = billing_for(RES, Usage(0, 3 * 10**12, NOV_16), account, 0)  # → 6 TB, 60 %
    at_warning = billing_for(RES, Usage(0, 4 * 10**12, NOV_16), account, 0)  # → 8 TB, 80 %
    over = billing_for(RES, Usage(0, 6 * 10**12, NOV_16), account, 0)  # → 12 TB, 120 %
    assert evaluate(state(0.0), on_pace, PCT).level is Level.OK
    # A share of the allowance alerts at its threshold, not only above it.
    assert evaluate(state(0.0), at_warning, PCT).reasons == ("projected out 80% ≥ warning 80%",)
    result = evaluate(state(0.0), over, PCT)
    assert result.level is Level.CRITICAL
    assert result.reasons == ("projected out 120% > critical 100%",)


def test_used_percent_stands_in_before_a_projection_exists() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    fig = billing_for(RES, Usage(0, 9 * 10**12, start + 60), AccountConfig("x", "hivelocity"), 0)
    assert fig.projected_pct is None
    assert evaluate(state(0.0), fig, PCT).reasons == ("used out 90% > warning 80%",)


def test_missing_data_or_failed_poll_is_unknown() -> None:
    assert evaluate(state(None), None, RATES).level is Level.UNKNOWN
    assert evaluate(state(None), None, Thresholds()).level is Level.OK
    error = ProviderError(ErrorKind.AUTH, "invalid key")
    failed = evaluate(state(10.0, error=error), None, RATES)
    assert failed.level is Level.UNKNOWN and failed.reasons == ("auth: invalid key",)
    # Last good data above critical still counts: critical beats unknown.
    assert evaluate(state(900e6, error=error), None, RATES).level is Level.CRITICAL


def test_evaluate_for_uses_the_accounts_settings() -> None:
    account = AccountConfig("hv-prod", "hivelocity", thresholds=PCT)
    over = ResourceState(RES, in_bps=0.0, out_bps=0.0, usage=Usage(0, 6 * 10**12, NOV_16))
    assert evaluate_for(over, account, NOV_16).level is Level.CRITICAL
    assert evaluate_for(state(0.0), account, NOV_16).level is Level.UNKNOWN  # no usage yet


def test_percent_thresholds_do_not_apply_without_an_allowance() -> None:
    alto = Resource("vpn", "altostrat", "instance", "i-1", "gw")
    fig = billing_for(alto, Usage(0, 10**15, NOV_16), AccountConfig("vpn", "altostrat"), 0)
    assert evaluate(ResourceState(alto, in_bps=0.0, out_bps=0.0), fig, PCT).level is Level.OK


def test_worst_state_order_is_critical_unknown_warning_ok() -> None:
    assert worst([Level.OK, Level.WARNING, Level.UNKNOWN]) is Level.UNKNOWN
    assert worst([Level.UNKNOWN, Level.CRITICAL, Level.WARNING]) is Level.CRITICAL
    assert worst([Level.OK, Level.WARNING]) is Level.WARNING
    assert worst([]) is Level.OK
    assert [lv.exit_code for lv in Level] == [0, 1, 2, 3]


def test_resource_override_wins_field_by_field() -> None:
    account = AccountConfig(
        "hv-prod",
        "hivelocity",
        thresholds=RATES,
        resources={"152515": ResourceOverride(thresholds=Thresholds(crit_out_bps=2e9))},
    )
    mine = effective_thresholds(account, "152515")
    assert mine.crit_out_bps == 2e9 and mine.warn_out_bps == 500e6 and mine.warn_in_bps == 900e6
    assert effective_thresholds(account, "other") == RATES


def test_latch_reports_each_crossing_once() -> None:
    latch = ThresholdLatch()
    key = RES.key
    polls = [100e6, 600e6, 650e6, 700e6, 900e6, 950e6, 600e6, 900e6, 100e6, 120e6, 600e6]
    events = []
    for out_bps in polls:
        crossing = latch.update(key, evaluate(state(out_bps), None, RATES))
        if crossing:
            events.append((crossing.previous.value, crossing.level.value, crossing.escalated))
    assert events == [
        ("OK", "WARNING", True),
        ("WARNING", "CRITICAL", True),
        ("WARNING", "CRITICAL", True),  # dropped to warning silently, then back up
        ("CRITICAL", "OK", False),  # recovery re-arms
        ("OK", "WARNING", True),
    ]


def test_latch_ignores_unknown_blips() -> None:
    latch = ThresholdLatch()
    assert latch.update("k", Level.CRITICAL).escalated
    assert latch.update("k", Level.UNKNOWN) is None
    assert latch.update("k", Level.CRITICAL) is None
    assert latch.level("k") is Level.CRITICAL
    latch.forget("k")
    assert latch.level("k") is Level.OK
