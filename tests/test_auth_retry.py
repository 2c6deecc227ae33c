"""A refused token (401) is retried on its own, slowly (10 min doubling to an hour), and at once
on refresh, with the token read again; the account row says when and how to fix it. Never a
burst of requests: counted on a fake clock, and against the simulator over real HTTP."""

from __future__ import annotations

import asyncio
import random
import re
import time

import pytest

from bwtui.clock import FakeClock, RealClock
from bwtui.config import AccountConfig
from bwtui.events import AccountFailed
from bwtui.model import ErrorKind, ProviderError
from bwtui.poller import Poller
from bwtui.polling import auth_retry
from bwtui.polling.auth_retry import AuthRetry
from bwtui.runtime import AccountRuntime, build_runtime
from fakes import FakeHivelocity

HOUR = 3600.0
MESSAGE = re.compile(
    r"^token rejected \(401\): retrying at \d\d:\d\d UTC — fix with `bwtui auth set hv`"
)


class Recorder(list):
    def __call__(self, event: object) -> None:
        self.append(event)


def test_the_wait_is_ten_minutes_doubling_to_an_hour_and_a_refresh_does_not_lengthen_it() -> None:
    retry = AuthRetry()
    waits = []
    for _ in range(6):
        waits.append(retry.refused(0.0))
    assert waits == [600.0, 1200.0, 2400.0, 3600.0, 3600.0, 3600.0]
    retry = AuthRetry()
    retry.refused(0.0)
    retry.asked = True
    assert retry.due(1.0)
    retry.attempt()
    assert retry.refused(1.0) == 601.0  # the user's retry, refused: the wait is not doubled
    retry.attempt()  # the automatic one
    assert retry.refused(601.0) == 601.0 + 1200.0
    retry.accepted()
    assert retry.retry_at is None and not retry.due(1e9)


async def test_a_refused_token_is_retried_slowly_and_never_hammered(monkeypatch) -> None:
    clock = FakeClock()
    read: list[str] = []

    async def read_token(name: str) -> str:  # what `bwtui auth set` stored (no thread: fake clock)
        read.append(name)
        return "new-key-456"

    monkeypatch.setattr(auth_retry, "read_token", read_token)
    refused = {"on": False}

    def plan(op: str, rid: str | None, now: float) -> BaseException | None:
        return ProviderError(ErrorKind.AUTH, "Invalid API key", status=401) if refused["on"] else None

    client = FakeHivelocity("hv", clock, services=20, fail=plan)
    given: list[str] = []
    client.replace_token = given.append  # type: ignore[attr-defined] - takes a new token
    events = Recorder()
    runtime = AccountRuntime(AccountConfig("hv", "hivelocity"), client)  # type: ignore[arg-type]
    poller = Poller([runtime], clock=clock, on_event=events, rng=random.Random(7))
    task = asyncio.ensure_future(poller.run())
    await clock.run_for(120)
    refused["on"] = True
    refused_at = clock.now()
    await clock.run_for(5 * HOUR)
    after = [call for call in client.calls if call.t >= refused_at]
    # The first refusal may reach a few requests already in flight; after it, one listing per wait.
    retries = [call for call in after if call.t > after[0].t + 60]
    assert all(call.op == "list" for call in retries)
    assert round(retries[0].t - after[0].t) == 600  # 10 minutes after the refusal
    assert [round(b.t - a.t) for a, b in zip(retries, retries[1:])] == [1200, 2400, 3600, 3600, 3600]
    assert len(after) <= 6 + 8  # 6 retries in 5 hours, after the requests in flight
    assert read == ["hv"] * 6 and given == ["new-key-456"] * 6  # read again before each retry
    failed = [e for e in events if isinstance(e, AccountFailed)]
    assert failed and all(MESSAGE.match(e.error.message) for e in failed)
    assert "then restart" not in failed[-1].error.message
    state = poller.states[("hv", client.resource(0).id)]
    assert state.error is not None and MESSAGE.match(state.error.message)
    shown = re.search(r"retrying at (\d\d:\d\d) UTC", failed[-1].error.message)
    assert shown and shown.group(1) == time.strftime("%H:%M", time.gmtime(retries[-1].t + HOUR))

    refused["on"] = False  # fixed while the monitor stays open: back at the next retry, alone
    await clock.run_for(HOUR + 60)
    assert poller.account_errors["hv"] is None
    assert all(poller.states[("hv", client.resource(i).id)].error is None for i in range(20))
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_refresh_retries_at_once_and_a_refused_refresh_costs_one_request() -> None:
    clock = FakeClock()
    refused = {"on": True}

    def plan(op: str, rid: str | None, now: float) -> BaseException | None:
        return ProviderError(ErrorKind.AUTH, "Invalid API key", status=401) if refused["on"] else None

    client = FakeHivelocity("hv", clock, services=3, fail=plan)
    runtime = AccountRuntime(AccountConfig("hv", "hivelocity"), client)  # type: ignore[arg-type]
    poller = Poller([runtime], clock=clock, on_event=lambda e: None, rng=random.Random(7))
    task = asyncio.ensure_future(poller.run())
    await clock.run_for(60)
    assert len(client.calls) == 1  # the listing, refused
    for _ in range(5):  # the user presses r five times while fixing the token
        poller.refresh_now()
        await clock.run_for(5)
    assert len(client.calls) == 6  # one listing each, no more
    assert "then restart bwtui" in (poller.account_errors["hv"].message or "")  # this fake cannot renew
    calls = len(client.calls)
    await clock.run_for(610)
    assert len(client.calls) == calls + 1  # the user's refusals did not double the wait
    refused["on"] = False
    poller.refresh_now()
    await clock.run_for(60)
    assert poller.account_errors["hv"] is None
    assert all(state.error is None for state in poller.states.values())
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_token_fixed_with_the_environment_is_read_again_on_refresh(serve_simulator, monkeypatch) -> None:
    """Real client, real HTTP: a wrong token, then the right one set while polling runs."""
    sim, server = serve_simulator(hivelocity_services=3, altostrat_instances=0)
    monkeypatch.setenv("BWTUI_TOKEN_HV", "wrong-key-123")
    account = AccountConfig("hv", "hivelocity", base_url=f"{server.base_url}{sim.hivelocity_base_url_path}")
    runtime = build_runtime(account)
    assert runtime.client is not None
    poller = Poller([runtime], clock=RealClock(), on_event=lambda e: None, rng=random.Random(7))
    task = asyncio.ensure_future(poller.run())
    try:
        for _ in range(200):
            await asyncio.sleep(0.02)
            if poller.account_errors["hv"] is not None:
                break
        error = poller.account_errors["hv"]
        assert error is not None and error.kind is ErrorKind.AUTH and MESSAGE.match(error.message or "")
        sent = len(sim.requests)
        await asyncio.sleep(0.5)
        assert len(sim.requests) == sent  # waiting for its retry, not hammering
        monkeypatch.setenv("BWTUI_TOKEN_HV", sim.config.hivelocity_token)  # `bwtui auth set hv`
        poller.refresh_now()
        for _ in range(250):
            await asyncio.sleep(0.02)
            if poller.account_errors["hv"] is None and len(poller.states) == 3:
                break
        assert poller.account_errors["hv"] is None
        assert "wrong-key-123" not in repr(runtime.client)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await runtime.client.aclose()
