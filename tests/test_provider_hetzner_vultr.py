"""Hetzner Cloud and Vultr clients over real HTTP against the project's simulator on 127.0.0.1."""

from __future__ import annotations

from calendar import timegm

import pytest

from bwtui.billing import billing_for
from bwtui.config import AccountConfig
from bwtui.model import ErrorKind, Period, ProviderError
from bwtui.periods import period_bounds
from bwtui.providers import make_client
from bwtui.providers.hetzner import MAX_SAMPLES
from bwtui.simulator import Simulator, SimulatorConfig, faults, serve_in_thread

T0 = float(timegm((2026, 3, 20, 15, 0, 0)))  # 15:00 UTC: today is 15 h old
DAY = 86400


def simulator(**kw) -> Simulator:
    base = dict(seed=5, hivelocity_services=1, altostrat_instances=1, hetzner_servers=5, vultr_instances=5,
                clock=lambda: T0, vultr_requests_per_s=10**6)
    return Simulator(SimulatorConfig(**{**base, **kw}))


@pytest.fixture
def hz():
    sim = simulator()
    with serve_in_thread(sim) as server:
        yield sim, server.hetzner_base_url


@pytest.fixture
def vu():
    sim = simulator()
    with serve_in_thread(sim) as server:
        yield sim, server.vultr_base_url


def hz_client(sim, url, **kw):
    return make_client("hetzner", "hz", sim.config.hetzner_token, base_url=url, clock=sim.now, **kw)


def vu_client(sim, url, **kw):
    return make_client("vultr", "vu", sim.config.vultr_token, base_url=url, clock=sim.now, **kw)


# ------------------------------------------------------------------------------------ Hetzner


async def test_hetzner_lists_every_page_with_the_billing_facts_each_server_states(hz):
    sim, url = hz
    client = hz_client(sim, url, per_page=2)
    resources = await client.list_resources()
    await client.aclose()
    assert [r.id for r in resources] == sim.hetzner_server_ids()
    assert [r.path for r in sim.requests if r.path.endswith("/servers")] == ["/hetzner/v1/servers"] * 3
    terms = resources[0].billing
    assert terms.allowance_out_bytes == 20 * 2**40  # included_traffic, bytes
    assert terms.currency == "EUR" and terms.overage_price_per_gb == pytest.approx(1e9 / 2**40)
    assert terms.overage_usd_per_gb is None  # never a guessed currency conversion
    assert resources[0].location == "fsn1" and client.traits.budget_scope == "token"


async def test_hetzner_pagination_that_does_not_advance_ends_with_an_error(hz):
    sim, url = hz
    sim.inject("hetzner", None, faults.stuck_pagination())
    client = hz_client(sim, url, per_page=2)
    with pytest.raises(ProviderError) as caught:
        await client.list_resources()
    await client.aclose()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE and "did not advance" in caught.value.message
    assert len(sim.requests) == 1  # page 1 named page 1 as next: stopped at once, no loop


async def test_hetzner_totals_are_the_servers_traffic_counters(hz):
    sim, url = hz
    client = hz_client(sim, url)
    [first, *_] = await client.list_resources()
    usage = await client.fetch_usage(first, period_bounds(T0)[0], T0)
    await client.aclose()
    assert (usage.period_in_bytes, usage.period_out_bytes) == sim.hetzner_traffic(first.id)
    assert usage.period_out_bytes > 0 and "outgoing_traffic" in usage.source


@pytest.mark.parametrize("period", list(Period))
async def test_hetzner_rates_never_ask_for_more_than_500_samples(hz, period):
    sim, url = hz
    client = hz_client(sim, url)
    [first, *_] = await client.list_resources()
    series = await client.fetch_series(first, period)
    await client.aclose()
    query = sim.requests[-1].query
    assert query["type"] == "network" and query["start"].endswith("Z")
    window = {Period.DAY: DAY, Period.WEEK: 7 * DAY, Period.MONTH: 30 * DAY}[period]
    assert window / int(query["step"]) <= MAX_SAMPLES
    assert 0 < len(series.samples) <= MAX_SAMPLES and series.step_s == int(query["step"])
    latest = series.latest
    assert latest is not None and latest.out_bps > latest.in_bps > 0  # bits/s, the hot server


async def test_hetzner_gaps_are_gaps_and_bytes_become_bits(hz):
    sim, url = hz
    sim.inject("hetzner", None, faults.gaps(every=3))
    client = hz_client(sim, url)
    [first, *_] = await client.list_resources()
    series = await client.fetch_series(first, Period.DAY)
    await client.aclose()
    assert series.samples[2].in_bps is None and series.samples[2].out_bps is None
    assert series.samples[0].out_bps is not None


async def test_hetzner_budget_is_read_from_ratelimit_headers_and_429_says_when(hz):
    sim, url = hz
    sim.hetzner.bucket = type(sim.hetzner.bucket)(3, 3 / 3600)
    client = hz_client(sim, url)
    await client.list_resources()
    seen = client.rate_limit
    assert (seen.limit, seen.remaining) == (3, 2) and seen.reset_s == pytest.approx(1200, abs=2)
    await client.list_resources()
    await client.list_resources()
    with pytest.raises(ProviderError) as caught:
        await client.list_resources()
    await client.aclose()
    assert caught.value.kind is ErrorKind.RATE_LIMITED
    assert caught.value.retry_after_s == pytest.approx(3600, abs=2)  # RateLimit-Reset is an epoch


async def test_hetzner_billing_uses_included_traffic_and_prices_only_in_usd(hz):
    sim, url = hz
    client = hz_client(sim, url)
    [first, *_] = await client.list_resources()
    usage = await client.fetch_usage(first, period_bounds(T0)[0], T0)
    await client.aclose()
    fig = billing_for(first, usage, AccountConfig("hz", "hetzner"), T0)
    assert fig.allowance_out_bytes == 20 * 2**40 and fig.projected_overage_cost is None
    priced = billing_for(first, usage, AccountConfig("hz", "hetzner", overage_usd_per_gb=0.002), T0)
    assert priced.overage_usd_per_gb == 0.002
    client = hz_client(sim, url, currency="USD")
    [usd, *_] = await client.list_resources()
    await client.aclose()
    assert usd.billing.overage_usd_per_gb == pytest.approx(1e9 / 2**40)


# -------------------------------------------------------------------------------------- Vultr


async def test_vultr_follows_the_cursor_and_marks_the_pool(vu):
    sim, url = vu
    client = vu_client(sim, url, per_page=2)
    resources = await client.list_resources()
    await client.aclose()
    assert [r.id for r in resources] == sim.vultr_instance_ids()
    cursors = [r.query.get("cursor") for r in sim.requests]
    assert cursors[0] is None and len(set(cursors)) == 3
    for resource in resources:
        assert resource.billing.pool == "account" and resource.rate_basis == "daily_average"
        assert resource.billing.allowance_out_bytes % 10**9 == 0


async def test_vultr_cursor_that_repeats_ends_with_an_error(vu):
    sim, url = vu
    sim.inject("vultr", None, faults.stuck_pagination())
    client = vu_client(sim, url, per_page=2)
    with pytest.raises(ProviderError, match="cursor repeated"):
        await client.list_resources()
    await client.aclose()
    assert len(sim.requests) == 2


async def test_vultr_rates_are_daily_averages_never_live(vu):
    sim, url = vu
    client = vu_client(sim, url)
    [first, *_] = await client.list_resources()
    series = await client.fetch_series(first, Period.WEEK)
    await client.aclose()
    assert series.step_s == DAY and client.traits.rate_basis == "daily_average"
    today = T0 - T0 % DAY
    yesterday_in, yesterday_out = sim.vultr_day_bytes(first.id, today - DAY)
    by_day = {s.t: s for s in series.samples}
    assert by_day[today - DAY].out_bps == pytest.approx(yesterday_out * 8 / DAY)
    today_in, today_out = sim.vultr_day_bytes(first.id, today)
    assert by_day[today].out_bps == pytest.approx(today_out * 8 / (T0 - today))  # the day so far
    assert series.latest.t == today  # dated at the day's start: its age shows it is no live rate


async def test_vultr_totals_sum_the_days_of_the_period_in_one_read(vu):
    sim, url = vu
    client = vu_client(sim, url)
    [first, *_] = await client.list_resources()
    start = period_bounds(T0)[0]
    await client.fetch_series(first, Period.DAY)
    usage = await client.fetch_usage(first, start, T0)
    await client.aclose()
    days = [start + i * DAY for i in range(int((T0 - start) // DAY) + 1)]
    assert usage.period_out_bytes == sum(sim.vultr_day_bytes(first.id, d)[1] for d in days)
    assert usage.period_start == start
    assert sum(1 for r in sim.requests if r.path.endswith("/bandwidth")) == 1  # one read served both


async def test_vultr_answers_429_above_its_burst_limit(vu):
    sim, url = vu
    sim.vultr.limiter.limit = 3
    client = vu_client(sim, url)
    for _ in range(3):
        await client.list_resources()
    with pytest.raises(ProviderError) as caught:
        await client.list_resources()
    await client.aclose()
    assert caught.value.kind is ErrorKind.RATE_LIMITED and client.rate_limit is None


async def test_vultr_billing_uses_allowed_bandwidth_and_the_declared_price(vu):
    sim, url = vu
    client = vu_client(sim, url)
    [first, *_] = await client.list_resources()
    usage = await client.fetch_usage(first, period_bounds(T0)[0], T0)
    await client.aclose()
    fig = billing_for(first, usage, AccountConfig("vu", "vultr"), T0)
    assert fig.allowance_out_bytes == first.billing.allowance_out_bytes and fig.overage_usd_per_gb == 0.01


@pytest.mark.parametrize("key", ["2026-11-02", "1999-12-31", "2024-02-29", "2026-1-5", "2026-01-5",
                                 "2026-02-30", "2026-13-01", "0000-01-01", "2026/01/05", "2026-01-05x",
                                 "+026-01-05", "2026-0a-05", "２０２６-01-05", ""])
def test_vultr_days_read_as_strptime_reads_them(key):
    from datetime import UTC, datetime

    from bwtui.providers.vultr_parse import parse_bandwidth

    body = {"bandwidth": {key: {"incoming_bytes": 1, "outgoing_bytes": 2}}}
    try:
        expected = datetime.strptime(key, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    except ValueError:
        with pytest.raises(ProviderError) as caught:
            parse_bandwidth(body)
        assert caught.value.kind is ErrorKind.BAD_RESPONSE and "YYYY-MM-DD" in caught.value.message
    else:
        (day,) = parse_bandwidth(body)
        assert day.start == expected and type(day.start) is float
