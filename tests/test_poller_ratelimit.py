"""429s stop traffic at once and apply to what they say; backoff recovers; requests are paced."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable

import httpx

from bwtui.clock import FakeClock
from bwtui.config import AccountConfig, PollSettings
from bwtui.events import BudgetUpdated, PollEvent
from bwtui.model import ErrorKind, ProviderError
from bwtui.poller import Poller
from bwtui.providers.hivelocity import HivelocityClient
from bwtui.runtime import AccountRuntime
from bwtui.simulator.core import Simulator, SimulatorConfig
from bwtui.simulator.faults import Fault
from fakes import FakeHivelocity, IpRateLimiter

T0 = 1_767_225_600.0 + 86400 + 41


def poller_for(
    clock: FakeClock, client: object, events: Callable[[PollEvent], None] | None = None, **kwargs: object
) -> Poller:
    runtime = AccountRuntime(AccountConfig("hv", "hivelocity"), client)  # type: ignore[arg-type]
    return Poller(
        [runtime], clock=clock, on_event=events or (lambda event: None), rng=random.Random(11), **kwargs  # type: ignore[arg-type]
    )


async def start(clock: FakeClock, poller: Poller) -> asyncio.Future[None]:
    return asyncio.ensure_future(poller.run())


async def stop(task: asyncio.Future[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


# -- a 429 stops traffic at once --------------------------------------------------------------------


async def test_a_429_that_says_the_budget_is_gone_stops_every_queued_request_until_the_reset() -> None:
    clock = FakeClock(start=T0)
    limiter = IpRateLimiter(clock)
    client = FakeHivelocity("hv", clock, limiter=limiter, services=200, latency_s=0.5)
    events: list[PollEvent] = []
    poller = poller_for(clock, client, events.append, settings=PollSettings(max_concurrency=4))
    task = await start(clock, poller)
    await clock.run_for(900)
    assert limiter.rejected == 0
    limiter.count = limiter.limit  # another program on this IP spent the hour's budget
    reset_at = limiter.window_start + limiter.window_s
    await clock.run_for(reset_at - clock.now() + 600)
    await stop(task)

    # Only what was already on the wire, and one check of the surprising 429, got a 429:
    # nothing queued behind it went out (the old poller sent 199 more).
    assert limiter.rejected <= 4 + 1
    first_429 = min(t for t in (c.t for c in client.calls) if t >= T0 + 900)
    during = [c for c in client.calls if first_429 + 1 < c.t < reset_at]
    assert len(during) <= 1  # the one check
    assert any(c.t >= reset_at for c in client.calls)  # and polling resumes after the reset
    blocked = [e for e in events if isinstance(e, BudgetUpdated) and e.blocked_until is not None]
    assert blocked and abs(blocked[-1].blocked_until - reset_at) <= 5  # its end time is shown
    assert all(s.error is None for s in poller.states.values())


async def test_retry_after_is_capped_at_one_budget_window() -> None:
    clock = FakeClock(start=T0)
    limiter = IpRateLimiter(clock, limit=100)
    fired: list[float] = []

    def plan(op: str, rid: str | None, now: float) -> BaseException | None:
        if limiter.count >= 40 and not fired:
            fired.append(now)
            limiter.count = limiter.limit  # the budget really is gone now
            limiter.rejected += 1
            return ProviderError(ErrorKind.RATE_LIMITED, "Your IP is rate limited.", status=429, retry_after_s=86400)
        return None

    client = FakeHivelocity("hv", clock, limiter=limiter, services=10, fail=plan)
    events: list[PollEvent] = []
    poller = poller_for(clock, client, events.append)
    task = await start(clock, poller)
    await clock.run_for(3 * 3600)
    await stop(task)
    assert fired
    blocks = [e.blocked_until for e in events if isinstance(e, BudgetUpdated) and e.blocked_until is not None]
    assert blocks and max(blocks) - fired[0] <= 3600  # not the 24 h the header asked for
    assert any(c.t > fired[0] + 3600 for c in client.calls)


async def test_a_429_for_one_resource_holds_only_that_resource_and_refresh_retries_it_once() -> None:
    clock = FakeClock(start=T0)
    limiter = IpRateLimiter(clock)
    hits: list[float] = []

    def plan(op: str, rid: str | None, now: float) -> BaseException | None:
        if rid == "1003" and op == "series" and now >= T0 + 600:
            hits.append(now)  # the budget is fine (the headers say so): this service is limited
            return ProviderError(ErrorKind.RATE_LIMITED, "Too many requests for this service.", status=429, retry_after_s=3600)
        return None

    client = FakeHivelocity("hv", clock, limiter=limiter, services=6, fail=plan)
    poller = poller_for(clock, client)
    task = await start(clock, poller)
    await clock.run_for(1200)
    assert len(hits) == 1
    hit = hits[0]
    others = [c for c in client.calls if c.resource_id not in ("1003", None) and hit < c.t < hit + 600]
    assert len({c.resource_id for c in others}) == 5  # the rest went on as if nothing happened
    assert not [c for c in client.calls if c.resource_id == "1003" and hit < c.t <= clock.now()]
    error = poller.states[("hv", "1003")].error
    assert error is not None and error.kind is ErrorKind.RATE_LIMITED
    assert "this resource waits until" in error.message and "UTC" in error.message  # its end time
    assert poller.states[("hv", "1003")].stale  # last good data kept, marked stale

    poller.refresh_now(("hv", "1003"))  # R: one retry now, since the budget allows
    await clock.run_for(300)
    assert len(hits) == 2  # once, not a loop
    await clock.run_for(1200)
    assert len(hits) == 3 and 890 <= hits[2] - hits[1] <= 910  # Retry-After 3600 capped at 15 min
    await stop(task)


async def test_a_429_the_budget_contradicts_is_checked_and_lifted_for_the_others() -> None:
    """The simulator's injected 429 says 'Remaining: 0' on one service while hundreds are left."""
    clock = FakeClock(start=T0)
    sim = Simulator(SimulatorConfig(clock=clock.now, hivelocity_services=6, altostrat_instances=0))
    async with httpx.AsyncClient(transport=sim.transport()) as http:
        base_url = sim.hivelocity_base_url()
        client = HivelocityClient("hv", "demo-hv-key", base_url=base_url, http=http, clock=clock.now)
        runtime = AccountRuntime(AccountConfig("hv", "hivelocity", base_url=base_url), client)
        poller = Poller([runtime], clock=clock, on_event=lambda event: None, rng=random.Random(2))
        task = await start(clock, poller)
        await clock.run_for(600)
        target = sim.hivelocity_service_ids()[2]
        sim.inject("hivelocity", target, Fault.status(429, retry_after_s=3600))
        await clock.run_for(1200)
        error = poller.states[("hv", target)].error
        assert error is not None and error.kind is ErrorKind.RATE_LIMITED
        fresh = [s for (_, rid), s in poller.states.items() if rid != target]
        assert all(s.error is None and s.rate_at is not None and clock.now() - s.rate_at <= 660 for s in fresh)
        assert not any(b.blocked(clock.now()) for b in poller.budgets.values())
        await stop(task)


# -- backoff that recovers ---------------------------------------------------------------------------


async def test_after_a_150_s_storm_of_500s_every_resource_is_back_within_one_interval() -> None:
    clock = FakeClock(start=T0)
    storm = (T0 + 3600, T0 + 3600 + 150)

    def plan(op: str, rid: str | None, now: float) -> BaseException | None:
        if storm[0] <= now < storm[1]:
            return ProviderError(ErrorKind.SERVER, "Internal server error.", status=500)
        return None

    client = FakeHivelocity("hv", clock, services=60, fail=plan)
    poller = poller_for(clock, client)
    task = await start(clock, poller)
    await clock.run_until(storm[1])
    failing = [key for key, state in poller.states.items() if state.error is not None]
    assert len(failing) > 30  # the storm hit most of them
    await clock.run_until(storm[1] + 300 + 30)  # one normal interval plus jitter
    assert [key for key, state in poller.states.items() if state.error is not None] == []
    await stop(task)


# -- a paced budget ----------------------------------------------------------------------------------


async def test_requests_are_spread_over_the_hour_with_no_start_up_burst() -> None:
    clock = FakeClock(start=T0)
    limiter = IpRateLimiter(clock)
    client = FakeHivelocity("hv", clock, limiter=limiter, services=1000)
    poller = poller_for(clock, client)
    await clock.run(poller.run(), until=T0 + 2 * 3600)
    per_minute = Counter(int((c.t - T0) // 60) for c in client.calls)
    minutes = [per_minute.get(m, 0) for m in range(120)]
    assert limiter.rejected == 0
    assert max(minutes) <= 0.025 * 3600  # the busiest minute: <= 2.5 % of the hour's budget
    assert min(minutes) > 0  # every minute used: the fleet needs it
    assert sum(1 for c in client.calls if c.t < T0 + 10) <= 40  # no start-up burst
    assert sum(minutes[:60]) >= 3400  # and the hour's budget is still used


async def test_the_visible_resources_get_their_data_first() -> None:
    clock = FakeClock(start=T0)
    client = FakeHivelocity("hv", clock, limiter=IpRateLimiter(clock), services=1000)
    poller = poller_for(clock, client)
    task = await start(clock, poller)
    await clock.run_for(0.5)  # listed
    visible = [("hv", str(1000 + i)) for i in range(960, 980)]  # the end of the list
    poller.set_visible(visible)
    await clock.run_for(45)
    assert all(poller.states[key].rate_at is not None for key in visible)
    others = [s for key, s in poller.states.items() if key not in visible and s.rate_at is not None]
    assert len(others) <= 27  # only the start allowance went elsewhere (before the screen was known)
    await stop(task)
