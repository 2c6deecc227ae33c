"""Freshness: a long-running monitor shows each new point as soon as a fresh start would.

The poller runs the real Hivelocity client against the simulator (in-process transport) on a
fake clock. The simulator publishes a 5-minute row when its interval ends (row ``t`` at
``t + 300``) and an hourly totals row at the top of each hour.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from bwtui.clock import FakeClock
from bwtui.config import AccountConfig
from bwtui.events import BudgetUpdated, PollEvent
from bwtui.poller import Poller
from bwtui.polling.freshness import PublicationClock
from bwtui.providers.hivelocity import HivelocityClient
from bwtui.runtime import AccountRuntime
from bwtui.simulator.core import Simulator, SimulatorConfig
from fakes import FakeHivelocity, IpRateLimiter

T0 = 1_767_225_600.0 + 2 * 86400 + 137  # not on a step boundary
STEP_S = 300


@asynccontextmanager
async def simulated_monitor(
    services: int, events: list[PollEvent] | None = None
) -> AsyncIterator[tuple[FakeClock, Poller]]:
    clock = FakeClock(start=T0)
    sim = Simulator(SimulatorConfig(clock=clock.now, hivelocity_services=services, altostrat_instances=0))
    sink = events if events is not None else []
    async with httpx.AsyncClient(transport=sim.transport()) as http:
        base_url = sim.hivelocity_base_url()
        client = HivelocityClient("hv", "demo-hv-key", base_url=base_url, http=http, clock=clock.now)
        runtime = AccountRuntime(AccountConfig("hv", "hivelocity", base_url=base_url), client)
        poller = Poller([runtime], clock=clock, on_event=sink.append, rng=random.Random(3))
        task = asyncio.ensure_future(poller.run())
        try:
            yield clock, poller
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_a_long_running_monitor_shows_each_new_point_within_a_minute_of_its_publication() -> None:
    async with simulated_monitor(20) as (clock, poller):
        await clock.run_for(1800)  # start-up, and the publication delay is learned
        late: list[tuple[float, str, float]] = []
        stale_totals: list[float] = []
        for _ in range(3 * 3600 // 20):
            await clock.run_for(20)
            now = clock.now()
            newest = now // STEP_S * STEP_S - STEP_S  # the simulator's newest complete row
            published_for_s = now - (newest + STEP_S)
            for (_, rid), state in poller.states.items():
                shown = state.history[-1].t
                if shown < newest and published_for_s > 60:
                    late.append((now, rid, published_for_s))
                assert state.usage is not None and state.usage.as_of is not None
                stale_totals.append(now - state.usage.as_of)
        assert late == []  # a fresh `status` would not have had anything newer for long
        assert max(stale_totals) <= 3600 + 300  # totals follow the hourly rows, not an hour behind
        # Rates carry their data time: the end of the 5-minute interval they average.
        state = poller.states[("hv", next(iter(poller.states))[1])]
        assert state.rate_at == state.history[-1].t + STEP_S or state.history[-1].in_bps is None


def test_the_publication_delay_is_learned_from_both_sides() -> None:
    rng = random.Random(5)
    pub = PublicationClock(300)
    delay_s = 300.0  # rows are out when their interval ends: labels are starts
    for fetched in sorted(1_000_000 + rng.uniform(0, 15_000) for _ in range(60)):
        newest = (fetched - delay_s) // 300 * 300
        pub.observe(fetched, newest)
    low, high = pub.bounds(1_015_000)
    assert low is not None and high is not None and low < delay_s <= high <= delay_s + 60
    assert pub.labels_are_starts and pub.data_time(1200.0) == 1500.0

    ends = PublicationClock(300)
    for fetched in sorted(1_000_000 + rng.uniform(0, 15_000) for _ in range(60)):
        ends.observe(fetched, (fetched - 10) // 300 * 300)
    assert not ends.labels_are_starts and ends.data_time(1200.0) == 1200.0


def test_a_fetch_before_publication_is_retried_soon_not_a_step_later() -> None:
    pub = PublicationClock(300)
    for k in range(10):  # row k seen out 305 s after its label, row k+1 not out 295 s after its
        pub.observe(10_000 + 300 * k + 305, 10_000 + 300 * k)
        pub.observe(10_000 + 300 * (k + 1) + 295, 10_000 + 300 * k)
    newest = 10_000 + 300 * 8.0
    due = pub.next_due(newest, 10_000 + 300 * 9 + 200, misses=0)
    assert newest + 600 <= due <= newest + 600 + 20  # right after the next row is out
    retry = pub.next_due(newest, due, misses=1)  # it was not out yet: ask again shortly
    assert retry - due <= 20
    assert pub.next_due(newest, due, misses=6) - due <= 300  # never slower than a step


async def test_the_budget_says_when_it_stretches_intervals_and_why() -> None:
    clock = FakeClock()
    limiter = IpRateLimiter(clock)
    big = FakeHivelocity("hv", clock, limiter=limiter, services=1000)
    events: list[PollEvent] = []
    poller = Poller(
        [AccountRuntime(AccountConfig("hv", "hivelocity"), big)],  # type: ignore[arg-type]
        clock=clock, on_event=events.append, rng=random.Random(1),
    )
    await clock.run(poller.run(), until=clock.now() + 1800)
    budget = [e for e in events if isinstance(e, BudgetUpdated)]
    assert budget and budget[-1].stretch > 3
    assert "1000 resources need 13,000 requests/h" in budget[-1].reason
    assert budget[-1].effective_interval_s(300) > 900
    assert budget[-1].limit == 3600 and budget[-1].blocked_until is None

    clock = FakeClock()
    small = FakeHivelocity("hv", clock, limiter=IpRateLimiter(clock), services=20)
    events = []
    poller = Poller(
        [AccountRuntime(AccountConfig("hv", "hivelocity"), small)],  # type: ignore[arg-type]
        clock=clock, on_event=events.append, rng=random.Random(1),
    )
    await clock.run(poller.run(), until=clock.now() + 1800)
    budget = [e for e in events if isinstance(e, BudgetUpdated)]
    assert budget and budget[-1].stretch == 1.0 and budget[-1].reason == "within budget"


async def test_a_provider_that_revises_its_newest_point_is_read_again_at_its_refresh_interval() -> None:
    """Vultr's newest daily point is the day so far, re-summed about hourly: read it hourly."""
    from bwtui.providers.vultr import VultrClient

    clock = FakeClock(start=T0)
    sim = Simulator(SimulatorConfig(clock=clock.now, hivelocity_services=0, altostrat_instances=0,
                                    hetzner_servers=0, vultr_instances=2))
    async with httpx.AsyncClient(transport=sim.transport()) as http:
        base_url = sim.vultr_base_url()
        client = VultrClient("vu", sim.config.vultr_token, base_url=base_url, http=http, clock=clock.now)
        runtime = AccountRuntime(AccountConfig("vu", "vultr", base_url=base_url), client)
        poller = Poller([runtime], clock=clock, on_event=lambda event: None, rng=random.Random(3))
        await clock.run(poller.run(), until=T0 + 6 * 3600)
    per_instance = [
        sum(1 for r in sim.requests if r.path.endswith(f"/instances/{iid}/bandwidth"))
        for iid in sim.vultr_instance_ids()
    ]
    assert all(5 <= count <= 16 for count in per_instance), per_instance  # hourly, not daily or in a loop
