"""One-shot passes within the host's shared budget: cached figures when short, never a 429."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from bwtui.clock import FakeClock
from bwtui.collect import BUDGET_LOW, CachedFigures, budget_shortfall, collect_once
from bwtui.config import AccountConfig, PollSettings
from bwtui.model import ErrorKind, RateLimit, Reading, Resource, Sample
from bwtui.poller import Poller
from bwtui.polling.account import budget_key
from bwtui.polling.ledger import Ledger
from bwtui.runtime import AccountRuntime
from fakes import FakeHivelocity, IpRateLimiter

T0 = 1_767_225_600.0 + 4 * 86400 + 17


def runtime(client: object) -> AccountRuntime:
    return AccountRuntime(AccountConfig("hv", "hivelocity"), client)  # type: ignore[arg-type]


def group_name(client: object) -> str:
    return str(budget_key(runtime(client)))


def squeeze(path: Path, group: str, now: float, *, remaining: int, monitor_rps: float) -> None:
    """A monitor elsewhere on this host has seen ``remaining`` and needs ``monitor_rps``."""
    Ledger(path, process="monitor").sync(
        group, now, figures=RateLimit(3600, remaining, 3600.0, now), demand_rps=monitor_rps
    )


async def test_short_of_budget_status_serves_history_and_spends_what_is_left_stalest_first(tmp_path: Path) -> None:
    clock = FakeClock(start=T0)
    limiter = IpRateLimiter(clock)
    client = FakeHivelocity("hv", clock, limiter=limiter, services=10)
    path = tmp_path / "budget.sqlite3"
    group = group_name(client)
    squeeze(path, group, clock.now(), remaining=120, monitor_rps=0.018)  # 120 - 36 - 77: 7 left
    ages = {str(1000 + i): 60.0 * (i + 1) for i in range(10) if i != 5}  # 1005 has no history

    def cached(resource: Resource) -> CachedFigures | None:
        age = ages.get(resource.id)
        if age is None:
            return None
        t = clock.now() - age
        return CachedFigures(Sample(t, 1e6, 2e6), Reading(t, 10**9, 2 * 10**9))

    results, states = await clock.run(
        collect_once([runtime(client)], clock=clock, ledger=Ledger(path, process="status"), cached=cached)
    )
    assert len(states) == 10  # never an empty list
    fetched = {s.resource.id for s in states if s.error is None}
    assert fetched == {"1005", "1009", "1008"}  # no figures first, then the oldest
    for state in states:
        if state.resource.id in fetched:
            continue
        assert state.error is not None and state.error.kind is ErrorKind.RATE_LIMITED
        assert state.error.message.startswith(f"{BUDGET_LOW}: cached figures as of") and "min old" in state.error.message
        assert state.stale and state.in_bps == 1e6 and state.usage is not None and state.usage.as_of is not None
    note = results[0].budget
    assert note is not None and note.wanted == 20 and note.granted == 6 and len(note.cached) == 7
    assert "budget low: 6 of 20 requests available" in (budget_shortfall(results) or "")
    assert limiter.rejected == 0 and len(client.calls) == 7


async def test_check_spends_nothing_when_the_whole_pass_does_not_fit(tmp_path: Path) -> None:
    clock = FakeClock(start=T0)
    client = FakeHivelocity("hv", clock, limiter=IpRateLimiter(clock), services=10)
    path = tmp_path / "budget.sqlite3"
    squeeze(path, group_name(client), clock.now(), remaining=120, monitor_rps=0.018)
    results, states = await clock.run(
        collect_once([runtime(client)], clock=clock, ledger=Ledger(path), when_short="unknown")
    )
    assert [c.op for c in client.calls] == ["list"]
    assert len(states) == 10 and all(s.error is not None and BUDGET_LOW in s.error.message for s in states)
    assert budget_shortfall(results) is not None
    # Next time the saved listing says what the pass would cost: not even the listing is spent.
    results, states = await clock.run(
        collect_once([runtime(client)], clock=clock, ledger=Ledger(path), when_short="unknown")
    )
    assert [c.op for c in client.calls] == ["list"] and len(states) == 10


async def test_with_no_request_left_the_saved_listing_is_shown(tmp_path: Path) -> None:
    clock = FakeClock(start=T0)
    client = FakeHivelocity("hv", clock, limiter=IpRateLimiter(clock), services=4)
    path = tmp_path / "budget.sqlite3"
    await clock.run(collect_once([runtime(client)], clock=clock, ledger=Ledger(path)))  # saves the listing
    squeeze(path, group_name(client), clock.now(), remaining=30, monitor_rps=1.0)
    calls = len(client.calls)
    results, states = await clock.run(collect_once([runtime(client)], clock=clock, ledger=Ledger(path)))
    assert len(client.calls) == calls  # not one request
    assert [s.resource.id for s in states] == ["1000", "1001", "1002", "1003"]
    assert results[0].error is None and results[0].budget is not None
    assert results[0].budget.listing_from_cache_at is not None


async def test_a_monitor_and_status_every_30_s_share_one_budget_without_a_429(tmp_path: Path) -> None:
    """Three processes on one IP (fake clock): a monitor, ``status`` every 30 s, ``check`` every 5 min."""
    clock = FakeClock(start=T0)
    limiter = IpRateLimiter(clock)
    path = tmp_path / "budget.sqlite3"
    monitor_client = FakeHivelocity("hv", clock, limiter=limiter, services=200)
    monitor = Poller(
        [runtime(monitor_client)], clock=clock, on_event=lambda event: None, rng=random.Random(4),
        ledger=Ledger(path, process="monitor"),
    )

    def from_monitor(resource: Resource) -> CachedFigures | None:  # what the monitor wrote to history
        state = monitor.states.get(resource.key)
        if state is None or state.rate_at is None:
            return None
        usage = state.usage
        reading = None
        if usage is not None and usage.as_of is not None and usage.period_in_bytes is not None:
            reading = Reading(usage.as_of, usage.period_in_bytes, usage.period_out_bytes or 0)
        return CachedFigures(Sample(state.rate_at, state.in_bps, state.out_bps), reading)

    outputs: list[int] = []
    shortfalls: list[str | None] = []

    async def every(period_s: float, when_short: str, process: str) -> None:
        ledger = Ledger(path, process=process)
        client = FakeHivelocity("hv", clock, limiter=limiter, services=200)
        while True:
            await clock.sleep(period_s)
            results, states = await collect_once(
                [runtime(client)], clock=clock, settings=PollSettings(), ledger=ledger,
                cached=from_monitor, when_short=when_short,
            )
            outputs.append(len(states))
            if when_short == "cached":
                shortfalls.append(budget_shortfall(results))

    task = asyncio.ensure_future(monitor.run())
    status = asyncio.ensure_future(every(30, "cached", "status"))
    check = asyncio.ensure_future(every(300, "unknown", "check"))
    await clock.run_for(3600)
    for running in (task, status, check):
        running.cancel()
    await asyncio.gather(task, status, check, return_exceptions=True)

    assert limiter.rejected == 0  # 0 x 429 for every process
    assert len(outputs) >= 120 and min(outputs) == 200  # never an empty list
    assert any(shortfalls)  # short of budget: figures from the monitor's history
    for index in (0, 99, 199):  # the monitor keeps getting its points (12 an hour)
        rid = monitor_client.resource(index).id
        labels = {(t - 10) // 300 for t in monitor_client.times("series", rid)}
        assert len(labels) >= 11


def test_cached_figures_come_from_the_history_a_monitor_wrote(tmp_path: Path) -> None:
    from bwtui.history import open_history
    from bwtui.polling.cached import history_cache

    import time

    now = time.time() // 300 * 300  # the store keeps raw points for recent times only
    store, problem = open_history(tmp_path / "history.sqlite3")
    assert store is not None and problem is None
    resource = Resource("hv", "hivelocity", "service", "1000", "srv-0")
    store.add_samples(resource.key, [Sample(now - 600, 1e6, 2e6), Sample(now - 300, None, None)])
    store.add_reading(resource.key, Reading(now - 3600, 10**9, 2 * 10**9))
    lookup = history_cache(store, now)
    figures = lookup(resource)
    assert figures == CachedFigures(Sample(now - 600, 1e6, 2e6), Reading(now - 3600, 10**9, 2 * 10**9))
    assert figures.newest_t == now - 600  # a gap is not a figure
    assert lookup(Resource("hv", "hivelocity", "service", "9", "none")) is None
    store.close()
