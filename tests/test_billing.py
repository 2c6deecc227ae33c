"""Billing figures: vnstat-style projection, allowance, overage cost, status JSON fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bwtui.billing import MIN_PROJECTION_ELAPSED_S, billing_for, billing_json
from bwtui.config import AccountConfig, ResourceOverride
from bwtui.model import Resource, Usage

TB = 10**12
HV = Resource("hv-prod", "hivelocity", "service", "152515", "web-1")
ALTO = Resource("vpn", "altostrat", "instance", "d290f1ee", "gw")


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def usage(out_bytes: int | None, as_of: float | None, in_bytes: int | None = 0) -> Usage:
    return Usage(in_bytes, out_bytes, as_of)


def test_projection_is_usage_over_elapsed_times_period_length() -> None:
    # November has 30 days; at the end of day 10 a third of it has passed.
    fig = billing_for(
        HV, usage(3 * TB, ts(2026, 11, 11), in_bytes=TB), AccountConfig("hv", "hivelocity"), 0
    )
    assert fig.period_start == ts(2026, 11, 1) and fig.period_end == ts(2026, 12, 1)
    assert fig.elapsed_fraction == pytest.approx(1 / 3)
    assert fig.projected_out_bytes == 9 * TB
    assert fig.projected_in_bytes == 3 * TB
    assert fig.allowance_out_bytes == 10 * TB
    assert fig.projected_overage_cost == 0
    assert fig.used_pct == pytest.approx(30.0) and fig.projected_pct == pytest.approx(90.0)
    assert fig.is_estimate


def test_projected_overage_is_priced_per_decimal_gigabyte() -> None:
    fig = billing_for(HV, usage(6 * TB, ts(2026, 11, 16)), AccountConfig("hv", "hivelocity"), 0)
    assert fig.projected_out_bytes == 12 * TB
    assert fig.projected_overage_cost == pytest.approx(2000 * 0.01)  # 2 TB = 2,000 GB over


def test_no_projection_in_the_first_six_hours_of_a_period_it_is_too_early() -> None:
    start = ts(2026, 11, 1)
    early = billing_for(HV, usage(10**9, start + 5 * 3600), AccountConfig("hv", "hivelocity"), 0)
    assert early.projected_out_bytes is None and early.projected_overage_cost is None
    assert early.projected_pct is None and early.used_pct == pytest.approx(0.01)
    assert early.projection == "too_early" and early.too_early
    assert early.projection_text == "too early (after 6 h of the period)"
    assert billing_json(early)["projection"] == "too_early"
    assert MIN_PROJECTION_ELAPSED_S == 6 * 3600
    later = billing_for(
        HV, usage(10**9, start + MIN_PROJECTION_ELAPSED_S), AccountConfig("hv", "hivelocity"), 0
    )
    assert later.projected_out_bytes == 10**9 * 30 * 24 // 6
    assert later.projection == "estimate"


def test_projection_at_period_end_equals_usage() -> None:
    fig = billing_for(
        HV, usage(11 * TB, ts(2026, 11, 30, 23, 59, 59)), AccountConfig("hv", "hivelocity"), 0
    )
    assert fig.projected_out_bytes == pytest.approx(11 * TB, rel=1e-6)
    assert fig.projected_overage_cost == pytest.approx(10.0, rel=1e-3)


def test_billing_day_moves_the_period_and_rolls_over() -> None:
    account = AccountConfig("hv", "hivelocity", billing_day=15)
    before = billing_for(HV, usage(TB, ts(2026, 11, 14, 12)), account, 0)
    assert (before.period_start, before.period_end) == (ts(2026, 10, 15), ts(2026, 11, 15))
    after = billing_for(HV, usage(0, ts(2026, 11, 15, 7)), account, 0)
    assert after.period_start == ts(2026, 11, 15)
    assert after.projected_out_bytes == 0
    assert after.period_source == "config"


def test_allowance_comes_from_resource_then_account_then_default() -> None:
    account = AccountConfig(
        "hv",
        "hivelocity",
        allowance_out_bytes=20 * TB,
        overage_usd_per_gb=0.02,
        resources={"152515": ResourceOverride(allowance_out_bytes=100 * TB)},
    )
    assert billing_for(HV, usage(TB, ts(2026, 11, 2)), account, 0).allowance_out_bytes == 100 * TB
    other = Resource("hv-prod", "hivelocity", "service", "999", "db")
    fig = billing_for(other, usage(TB, ts(2026, 11, 16)), account, 0)
    assert fig.allowance_out_bytes == 20 * TB
    assert fig.overage_usd_per_gb == 0.02


def test_altostrat_has_no_allowance_or_cost() -> None:
    fig = billing_for(ALTO, usage(TB, ts(2026, 11, 16)), AccountConfig("vpn", "altostrat"), 0)
    assert fig.projected_out_bytes == 2 * TB
    assert fig.allowance_out_bytes is None and fig.projected_overage_cost is None
    assert fig.used_pct is None and fig.projected_pct is None


def test_without_usage_the_period_comes_from_now() -> None:
    fig = billing_for(HV, None, AccountConfig("hv", "hivelocity"), ts(2026, 11, 16))
    assert fig.period_start == ts(2026, 11, 1)
    assert fig.used_out_bytes is None and fig.projected_out_bytes is None


def test_status_json_fields() -> None:
    fig = billing_for(HV, usage(6 * TB, ts(2026, 11, 16)), AccountConfig("hv", "hivelocity"), 0)
    assert billing_json(fig) == {
        "projected_in_bytes": 0,
        "projected_out_bytes": 12 * TB,
        "allowance_out_bytes": 10 * TB,
        "projected_overage_cost": 20.0,
        "period_start": "2026-11-01T00:00:00Z",
        "period_end": "2026-12-01T00:00:00Z",
        "period_source": "calendar",
        "projection": "estimate",
    }
    assert set(billing_json(None).values()) == {None, "no_usage"}
