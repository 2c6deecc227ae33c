"""Poller behaviour on a fake clock: budget, cadence, errors, user requests, events."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import pytest

from bwtui.clock import FakeClock, Waker, sleep_until
from bwtui.collect import collect_once
from bwtui.config import AccountConfig, PollSettings
from bwtui.events import (
    AccountFailed,
    AccountListed,
    PollerPaused,
    RateLimitUpdated,
    ResourceUpdated,
    SeriesUpdated,
)
from bwtui.model import ErrorKind, ProviderError, Reading
from bwtui.samples import SampleRun
from bwtui.poller import Poller, PollerTuning
from bwtui.polling.backoff import Backoff
from bwtui.model import Period
from bwtui.rates import RateTracker, rate_between, rates_from_readings
from bwtui.runtime import AccountRuntime
from fakes import FakeAltostrat, FakeHivelocity, IpRateLimiter

DAY_S = 86400.0


def hv_account(name: str, client: object | None, **config: object) -> AccountRuntime:
    return AccountRuntime(AccountConfig(name, "hivelocity", **config), client)  # type: ignore[arg-type]


def alto_account(name: str, client: object) -> AccountRuntime:
    return AccountRuntime(AccountConfig(name, "altostrat"), client)  # type: ignore[arg-type]


class Recorder(list):
    """Collects events; ``of(cls)`` filters them."""

    def __call__(self, event: object) -> None:
        self.append(event)

    def of(self, cls: type) -> list:
        return [event for event in self if isinstance(event, cls)]


def make_poller(
    clock: FakeClock,
    accounts: list[AccountRuntime],
    events: Callable[[object], None] | None = None,
    **kwargs: object,
) -> Poller:
    return Poller(
        accounts,
        clock=clock,
        on_event=events if events is not None else (lambda event: None),
        rng=random.Random(7),
        **kwargs,  # type: ignore[arg-type]
    )


async def run_for(clock: FakeClock, poller: Poller, seconds: float) -> None:
    await clock.run(poller.run(), until=clock.now() + seconds)


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:])]


def newest_label(t: float, delay_s: float = 10.0, step_s: float = 300.0) -> float:
    """The newest row FakeHivelocity serves at ``t`` (a row is out ``delay_s`` after its label)."""
    return (t - delay_s) // step_s * step_s


def repeats(times: list[float]) -> int:
    """Series polls that brought no new row (asked before the next one was out)."""
    labels = [newest_label(t) for t in times]
    return sum(1 for a, b in zip(labels, labels[1:]) if a == b)


def delays_after_publication(times: list[float], delay_s: float = 10.0, step_s: float = 300.0) -> list[float]:
    """For each poll, how long the newest row had been out when it was asked for."""
    return [t - (newest_label(t, delay_s, step_s) + delay_s) for t in times]


def fail_for(resource_id: str, error: Callable[[], BaseException | str], *, op: str | None = None):
    def plan(call_op: str, rid: str | None, now: float) -> BaseException | str | None:
        if rid == resource_id and (op is None or call_op == op):
            return error()
        return None

    return plan


# -- the request budget ------------------------------------------------------------------------


async def test_one_key_with_200_services_gets_no_429_in_a_day_and_polls_each_new_point() -> None:
    clock = FakeClock()
    limiter = IpRateLimiter(clock)
    client = FakeHivelocity("hv", clock, limiter=limiter, services=200)
    poller = make_poller(clock, [hv_account("hv", client)])
    await run_for(clock, poller, DAY_S)

    assert limiter.rejected == 0
    assert limiter.max_in_window <= 3600
    for index in (0, 57, 199):
        times = client.times("series", client.resource(index).id)
        assert len({newest_label(t) for t in times}) >= 286  # every new point is fetched (288 a day)
        assert repeats(times) <= 4  # and almost never asked for before it is out
        assert min(gaps(times)) >= 15  # never in a loop
        assert 20 <= client.count("usage", client.resource(index).id) <= 26  # hourly totals
    state = poller.states[("hv", "1000")]
    assert state.in_bps is not None and state.usage is not None and state.error is None


async def test_1000_services_get_no_429_and_the_selected_one_keeps_its_cadence() -> None:
    clock = FakeClock()
    limiter = IpRateLimiter(clock)
    client = FakeHivelocity("hv", clock, limiter=limiter, services=1000)
    poller = make_poller(clock, [hv_account("hv", client)])
    poller.prioritize(("hv", "1500"))
    await run_for(clock, poller, 6 * 3600)

    assert limiter.rejected == 0
    selected = client.times("series", "1500")
    assert len({newest_label(t) for t in selected}) >= 71  # 72 points in 6 hours: never stretched
    assert repeats(selected) <= 3
    others = [len(client.times("series", client.resource(i).id)) for i in range(0, 1000, 97)]
    assert all(3 <= count < len(selected) / 2 for count in others)  # stretched, still polled


async def test_accounts_on_one_host_share_the_budget() -> None:
    clock = FakeClock()
    limiter = IpRateLimiter(clock, limit=600)
    one = FakeHivelocity("a", clock, limiter=limiter, services=30)
    two = FakeHivelocity("b", clock, limiter=limiter, services=30)
    poller = make_poller(clock, [hv_account("a", one), hv_account("b", two)])
    assert len(poller.budgets) == 1
    await run_for(clock, poller, 4 * 3600)
    assert limiter.rejected == 0
    assert one.count("series") > 100 and two.count("series") > 100


async def test_429_without_budget_figures_waits_for_retry_after_for_every_resource_on_that_budget() -> None:
    clock = FakeClock()
    start = clock.now()
    fired: list[float] = []

    def plan(op: str, rid: str | None, now: float) -> BaseException | None:
        if op == "series" and rid == "1001" and now >= start + 600 and not fired:
            fired.append(now)
            return ProviderError(ErrorKind.RATE_LIMITED, "Your IP is rate limited.", status=429, retry_after_s=240)
        return None

    client = FakeHivelocity("hv", clock, services=5, fail=plan)
    events = Recorder()
    poller = make_poller(clock, [hv_account("hv", client)], events)
    await run_for(clock, poller, 1800)

    assert fired
    hit_at = fired[0]
    quiet = [call for call in client.calls if hit_at < call.t < hit_at + 240]
    assert quiet == []  # nobody on that budget asked again before Retry-After
    assert any(call.t >= hit_at + 240 for call in client.calls)
    rate_limited = [
        e for e in events.of(ResourceUpdated) if e.state.error is not None and e.state.error.kind is ErrorKind.RATE_LIMITED
    ]
    assert rate_limited and rate_limited[0].state.stale  # last good data kept, marked stale
    assert poller.states[("hv", "1001")].error is None  # recovered


async def test_refresh_now_with_the_budget_spent_waits_for_the_reset_and_says_so() -> None:
    clock = FakeClock()
    limiter = IpRateLimiter(clock, limit=100)
    client = FakeHivelocity("hv", clock, limiter=limiter, services=20)
    poller = make_poller(clock, [hv_account("hv", client)])
    task = asyncio.ensure_future(poller.run())
    await clock.run_for(400)
    limiter.count = limiter.limit - 1  # another program on this host spent the budget
    poller.refresh_now(("hv", "1002"))  # its answer says so (X-RateLimit-Remaining: 0)
    await clock.run_for(1)
    poller.refresh_now(("hv", "1003"))
    await clock.run_for(1)
    state = poller.states[("hv", "1003")]
    assert state.error is not None and state.error.kind is ErrorKind.RATE_LIMITED
    assert "budget" in state.error.message and "UTC" in state.error.message  # says when
    await clock.run_for(3600)
    assert limiter.rejected == 0
    assert poller.states[("hv", "1003")].error is None
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


# -- cadence and rates ---------------------------------------------------------------------------


async def test_series_polls_follow_the_5_minute_points() -> None:
    clock = FakeClock(start=1_767_225_600.0 + 123)  # not on a step boundary
    client = FakeHivelocity("hv", clock, services=2)
    poller = make_poller(clock, [hv_account("hv", client)])
    await run_for(clock, poller, 3 * 3600)
    times = client.times("series", "1000")
    assert repeats(times) <= 3  # the publication delay is learned with few wasted requests
    settled = [t for t in times if t > clock.now() - 2 * 3600]
    # Once learned, each poll comes within 30 s after a new point became available.
    assert max(delays_after_publication(settled)) <= 30
    assert len({newest_label(t) for t in settled}) >= 23


async def test_altostrat_rate_from_readings_and_a_counter_drop_starts_a_new_period() -> None:
    clock = FakeClock()
    client = FakeAltostrat("alto", clock, instances=2, in_rate_bytes_s=1000, out_rate_bytes_s=4000)
    events = Recorder()
    poller = make_poller(clock, [alto_account("alto", client)], events)
    task = asyncio.ensure_future(poller.run())
    await clock.run_for(30)
    assert poller.states[("alto", "inst-0")].in_bps is None  # one reading: no rate yet
    await clock.run_for(100)
    state = poller.states[("alto", "inst-0")]
    assert state.in_bps == pytest.approx(8000) and state.out_bps == pytest.approx(32000)
    client.reset_counters("inst-0")
    await clock.run_for(300)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    rates = [(s.in_bps, s.out_bps) for s in poller.states[("alto", "inst-0")].history]
    assert all(i >= 0 and o >= 0 for i, o in rates)  # never negative
    assert rates[-1] == (pytest.approx(8000), pytest.approx(32000))  # new baseline, rates again
    assert poller.states[("alto", "inst-0")].usage.period_in_bytes < 2_000_000  # the new period
    gaps_s = gaps(client.times("usage", "inst-0"))
    assert min(gaps_s) >= 60


def test_rate_functions() -> None:
    a, b = Reading(0, 1000, 2000), Reading(10, 2000, 4000)
    sample = rate_between(a, b)
    assert sample is not None and sample.in_bps == 800 and sample.out_bps == 1600
    assert rate_between(b, Reading(20, 10, 10)) is None  # a drop is a new period
    assert rate_between(a, a) is None
    samples = rates_from_readings([a, b, Reading(20, 10, 10), Reading(30, 110, 20)])
    assert [(s.t, s.in_bps, s.out_bps) for s in samples] == [(10, 800, 1600), (30, 80, 8)]
    tracker = RateTracker()
    assert tracker.update(a) is None
    assert tracker.update(b) is not None
    assert tracker.update(Reading(20, 0, 0)) is None and tracker.baseline == Reading(20, 0, 0)


# -- errors --------------------------------------------------------------------------------------


def test_backoff_grows_is_capped_and_jittered_within_bounds() -> None:
    backoff = Backoff(base_s=15, cap_s=900, rng=random.Random(3))
    bounds = [backoff.bound_s(n) for n in range(1, 12)]
    assert bounds[:4] == [15, 30, 60, 120] and bounds[-1] == 900
    for failures in range(1, 12):
        delays = [backoff.delay_s(failures) for _ in range(200)]
        assert all(1.0 <= d <= backoff.bound_s(failures) for d in delays)
        assert len(set(delays)) > 150  # jittered
    mean = lambda n: sum(backoff.delay_s(n) for _ in range(500)) / 500  # noqa: E731
    assert mean(1) < mean(3) < mean(6)


async def test_server_errors_back_off_while_other_resources_continue() -> None:
    clock = FakeClock()
    error = lambda: ProviderError(ErrorKind.SERVER, "boom", status=500)  # noqa: E731
    client = FakeHivelocity("hv", clock, services=3, fail=fail_for("1001", error))
    poller = make_poller(clock, [hv_account("hv", client)])
    await run_for(clock, poller, 6 * 3600)
    attempts = client.times("series", "1001")
    assert 10 <= len(attempts) <= 100  # retried with backoff (mean 450 s at the cap), not in a loop
    assert min(gaps(attempts)) >= 1.0 and max(gaps(attempts)) <= 900 + 1
    state = poller.states[("hv", "1001")]
    assert state.error is not None and state.error.kind is ErrorKind.SERVER and state.error.message == "boom"
    assert poller.states[("hv", "1000")].error is None
    assert len(client.times("series", "1000")) >= 70


async def test_deadline_gives_timeout_on_that_resource_only() -> None:
    clock = FakeClock()
    hanging = {"on": True}

    def plan(op: str, rid: str | None, now: float) -> str | None:
        return "hang" if rid == "1002" and hanging["on"] else None

    client = FakeHivelocity("hv", clock, services=4, fail=plan)
    poller = make_poller(clock, [hv_account("hv", client)], settings=PollSettings(request_deadline_s=20))
    task = asyncio.ensure_future(poller.run())
    await clock.run_for(120)
    state = poller.states[("hv", "1002")]
    assert state.error is not None and state.error.kind is ErrorKind.TIMEOUT
    assert all(poller.states[("hv", rid)].in_bps is not None for rid in ("1000", "1001", "1003"))
    hanging["on"] = False
    await clock.run_for(1800)
    assert poller.states[("hv", "1002")].error is None
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_auth_error_stops_the_account_until_its_retry_or_refresh_now() -> None:
    clock = FakeClock()
    revoked = {"on": False}

    def plan(op: str, rid: str | None, now: float) -> BaseException | None:
        if revoked["on"]:
            return ProviderError(ErrorKind.AUTH, "Invalid API key", status=401)
        return None

    client = FakeHivelocity("hv", clock, services=3, fail=plan)
    events = Recorder()
    poller = make_poller(clock, [hv_account("hv", client)], events)
    task = asyncio.ensure_future(poller.run())
    await clock.run_for(60)
    revoked["on"] = True
    await clock.run_for(400)
    failed = events.of(AccountFailed)
    assert failed and failed[0].error.message.startswith("token rejected (401): retrying at ")
    calls = len(client.calls)
    await clock.run_for(100)
    assert len(client.calls) == calls  # stopped until its retry, 10 minutes after the refusal
    for rid in ("1000", "1001", "1002"):
        state = poller.states[("hv", rid)]
        assert state.error is not None and state.error.kind is ErrorKind.AUTH and state.stale
    revoked["on"] = False
    poller.refresh_now()
    await clock.run_for(60)
    assert len(client.calls) > calls
    assert all(poller.states[("hv", rid)].error is None for rid in ("1000", "1001", "1002"))
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_account_without_credential_fails_once_and_sends_nothing() -> None:
    clock = FakeClock()
    events = Recorder()
    runtime = AccountRuntime(AccountConfig("hv", "hivelocity"), None, "no token: set BWTUI_TOKEN_HV")
    poller = make_poller(clock, [runtime], events)
    await run_for(clock, poller, 3600)
    assert [type(e) for e in events] == [AccountFailed]
    assert events[0].error.kind is ErrorKind.AUTH and "BWTUI_TOKEN_HV" in events[0].error.message


async def test_unexpected_exceptions_become_bad_response_and_polling_goes_on() -> None:
    clock = FakeClock()
    client = FakeHivelocity("hv", clock, services=2, fail=fail_for("1000", lambda: ValueError("odd")))
    poller = make_poller(clock, [hv_account("hv", client)])
    await run_for(clock, poller, 1800)
    assert poller.states[("hv", "1000")].error.kind is ErrorKind.BAD_RESPONSE
    assert poller.states[("hv", "1001")].error is None
    assert len(client.times("series", "1001")) >= 5


async def test_list_failure_is_retried_with_backoff() -> None:
    clock = FakeClock()
    broken = {"left": 3}

    def plan(op: str, rid: str | None, now: float) -> BaseException | None:
        if op == "list" and broken["left"] > 0:
            broken["left"] -= 1
            return ProviderError(ErrorKind.NETWORK, "connection refused")
        return None

    client = FakeHivelocity("hv", clock, services=2, fail=plan)
    events = Recorder()
    poller = make_poller(clock, [hv_account("hv", client)], events)
    await run_for(clock, poller, 600)
    assert len(events.of(AccountFailed)) == 3
    assert len(events.of(AccountListed)) == 1
    assert poller.states[("hv", "1000")].in_bps is not None


# -- user requests -------------------------------------------------------------------------------


async def test_refresh_now_polls_at_once_and_pause_stops_requests() -> None:
    clock = FakeClock()
    client = FakeHivelocity("hv", clock, services=3)
    events = Recorder()
    poller = make_poller(clock, [hv_account("hv", client)], events)
    task = asyncio.ensure_future(poller.run())
    await clock.run_for(100)
    before = client.count("usage", "1001")
    poller.refresh_now(("hv", "1001"))
    await clock.run_for(1)
    assert client.count("usage", "1001") == before + 1  # usage is hourly: this one was asked for

    poller.pause()
    calls = len(client.calls)
    await clock.run_for(3600)
    assert len(client.calls) == calls
    assert poller.paused
    poller.resume()
    await clock.run_for(10)
    assert len(client.calls) > calls
    assert [e.paused for e in events.of(PollerPaused)] == [True, False]
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_set_period_fetches_that_series_now_and_on_its_step_while_selected() -> None:
    clock = FakeClock()
    client = FakeHivelocity("hv", clock, services=3)
    events = Recorder()
    poller = make_poller(clock, [hv_account("hv", client)], events)
    task = asyncio.ensure_future(poller.run())
    await clock.run_for(10)
    key = ("hv", "1002")
    poller.prioritize(key)
    poller.set_period(key, Period.WEEK)
    await clock.run_for(1)
    week = [e for e in events.of(SeriesUpdated) if e.period is Period.WEEK]
    assert len(week) == 1 and week[0].key == key and week[0].series.step_s == 1800
    await clock.run_for(3 * 3600)
    week_calls = [c.t for c in client.calls if c.period == "week"]
    assert 6 <= len(week_calls) <= 8 and min(gaps(week_calls)) >= 1800
    poller.prioritize(None)
    await clock.run_for(3 * 3600)
    assert len([c for c in client.calls if c.period == "week"]) == len(week_calls)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


# -- events --------------------------------------------------------------------------------------


async def test_on_event_raising_does_not_stop_polling() -> None:
    clock = FakeClock()
    client = FakeHivelocity("hv", clock, services=2)
    seen = []

    def explode(event: object) -> None:
        seen.append(event)
        raise RuntimeError("listener bug")

    poller = make_poller(clock, [hv_account("hv", client)], explode)
    await run_for(clock, poller, 3600)
    assert len(client.times("series", "1000")) >= 11
    assert len(seen) > 20


async def test_events_are_snapshots_emitted_on_change_and_history_is_bounded() -> None:
    clock = FakeClock()
    limiter = IpRateLimiter(clock)
    client = FakeHivelocity("hv", clock, limiter=limiter, services=2)
    events = Recorder()
    poller = make_poller(clock, [hv_account("hv", client)], events, tuning=PollerTuning(history_len=100))
    await run_for(clock, poller, 2 * DAY_S)
    updates = [e for e in events.of(ResourceUpdated) if e.key == ("hv", "1000")]
    assert len(updates) <= len(client.times("series", "1000")) + len(client.times("usage", "1000")) + 1
    assert all(len(e.state.history) <= 100 for e in updates)
    assert updates[0].state.history != updates[-1].state.history  # earlier snapshots unchanged
    assert isinstance(updates[-1].state.history, SampleRun)  # immutable, compact
    history = poller.states[("hv", "1000")].history
    assert [s.t for s in history] == sorted({s.t for s in history})  # ordered, no duplicates
    assert events.of(RateLimitUpdated)
    assert len(events.of(AccountListed)) == 1


# -- the clock -----------------------------------------------------------------------------------


async def test_fake_clock_runs_sleepers_in_order_and_times_out_in_simulated_time() -> None:
    clock = FakeClock(start=100)
    order: list[tuple[str, float]] = []

    async def sleeper(name: str, delay: float) -> None:
        await clock.sleep(delay)
        order.append((name, clock.now()))

    async def main() -> str:
        await asyncio.gather(sleeper("b", 20), sleeper("a", 10))
        try:
            async with clock.timeout(5):
                await clock.sleep(60)
        except TimeoutError:
            return "timed out"
        return "no"

    assert await clock.run(main()) == "timed out"
    assert order == [("a", 110), ("b", 120)]
    assert clock.now() == 125

    waker = Waker()
    result = asyncio.ensure_future(sleep_until(clock, clock.now() + 1000, waker))
    await clock.settle()
    waker.wake()
    assert await result is True

    async def stuck() -> None:
        await asyncio.get_running_loop().create_future()

    with pytest.raises(RuntimeError, match="deadlock"):
        await clock.run(stuck())


# -- collect_once --------------------------------------------------------------------------------


async def test_collect_once_reads_every_account_and_marks_only_what_failed() -> None:
    clock = FakeClock(start=1_767_225_600.0 + 86400)
    hv = FakeHivelocity("hv", clock, services=3, fail=fail_for("1001", lambda: ProviderError(ErrorKind.NOT_FOUND, "gone")))
    alto = FakeAltostrat("alto", clock, instances=2)
    broken = FakeHivelocity("down", clock, services=1, fail=lambda op, rid, now: ProviderError(ErrorKind.SERVER, "503"))
    hang = FakeHivelocity("slow", clock, services=2, fail=fail_for("1001", lambda: "hang"))
    accounts = [
        hv_account("hv", hv),
        alto_account("alto", alto),
        hv_account("down", broken),
        AccountRuntime(AccountConfig("none", "altostrat"), None, "no token"),
        hv_account("slow", hang),
    ]
    previous = {("alto", "inst-0"): Reading(clock.now() - 100, 5e9 - 100_000, 9e9 - 400_000)}
    results, states = await clock.run(
        collect_once(accounts, clock=clock, settings=PollSettings(request_deadline_s=5), previous_readings=previous)
    )
    by_name = {r.name: r for r in results}
    assert by_name["hv"].error is None and len(by_name["hv"].resources) == 3
    assert by_name["down"].error.kind is ErrorKind.SERVER
    assert by_name["none"].error.kind is ErrorKind.AUTH and by_name["none"].error.message == "no token"
    by_key = {s.resource.key: s for s in states}
    assert by_key[("hv", "1000")].error is None and by_key[("hv", "1000")].in_bps is not None
    assert by_key[("hv", "1000")].usage.period_out_bytes > 0
    assert by_key[("hv", "1001")].error.kind is ErrorKind.NOT_FOUND
    assert by_key[("alto", "inst-0")].in_bps == pytest.approx(8000)  # from the stored reading
    assert by_key[("alto", "inst-1")].in_bps is None and by_key[("alto", "inst-1")].usage is not None
    assert by_key[("slow", "1001")].error.kind is ErrorKind.TIMEOUT
    assert by_key[("slow", "1000")].error is None
    assert clock.now() - 1_767_225_600.0 - 86400 <= 10  # bounded by the deadline


async def test_real_clock_timeout_and_wake() -> None:
    from bwtui.clock import RealClock, deadline

    clock = RealClock()
    with pytest.raises(TimeoutError):
        async with deadline(clock, 0.01):
            await clock.sleep(5)
    waker = Waker()
    waiting = asyncio.ensure_future(sleep_until(clock, clock.now() + 5, waker))
    await asyncio.sleep(0)
    waker.wake()
    assert await waiting is True
    assert await sleep_until(clock, clock.now() + 0.01) is False


async def test_real_clients_against_the_simulator_stay_within_a_tight_budget() -> None:
    """The real provider clients over the in-process transport: stretched, never a 429."""
    httpx = pytest.importorskip("httpx")
    from bwtui.providers.altostrat import AltostratClient
    from bwtui.providers.hivelocity import HivelocityClient
    from bwtui.simulator.core import Simulator, SimulatorConfig

    clock = FakeClock(start=1_767_225_600.0 + 5 * 86400 + 77)
    sim = Simulator(
        SimulatorConfig(clock=clock.now, hivelocity_services=12, altostrat_instances=2, rate_limit_per_hour=60)
    )
    events = Recorder()
    async with httpx.AsyncClient(transport=sim.transport()) as http:
        hv_url, alto_url = sim.hivelocity_base_url(), sim.altostrat_base_url()
        hv = HivelocityClient("hv", "demo-hv-key", base_url=hv_url, http=http, clock=clock.now)
        alto = AltostratClient("al", "alto_sk_demo", base_url=alto_url, http=http, clock=clock.now)
        accounts = [
            AccountRuntime(AccountConfig("hv", "hivelocity", base_url=hv_url), hv),
            AccountRuntime(AccountConfig("al", "altostrat", base_url=alto_url), alto),
        ]
        poller = make_poller(clock, accounts, events)
        await run_for(clock, poller, 2 * 3600)
    budgets = {key.provider: budget for key, budget in poller.budgets.items()}
    assert budgets["hivelocity"].rejected == 0 and budgets["hivelocity"].metered
    assert budgets["altostrat"].metered is False
    assert not [e for e in events.of(ResourceUpdated) if e.state.error is not None]
    hv_states = [s for key, s in poller.states.items() if key[0] == "hv"]
    assert len(hv_states) == 12 and all(s.usage is not None and s.in_bps is not None for s in hv_states)
    alto_states = [s for key, s in poller.states.items() if key[0] == "al"]
    assert all(s.in_bps is not None and s.in_bps >= 0 for s in alto_states)


async def test_stop_ends_run_quietly() -> None:
    clock = FakeClock()
    client = FakeHivelocity("hv", clock, services=2)
    poller = make_poller(clock, [hv_account("hv", client)])
    task = asyncio.ensure_future(poller.run())
    await clock.run_for(60)
    assert poller.stop()
    await clock.settle()
    assert task.done() and task.exception() is None
    calls = len(client.calls)
    await clock.run_for(3600)
    assert len(client.calls) == calls
