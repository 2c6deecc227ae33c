"""Helpers for the UI tests: a scripted fake poller and deterministic resource data.

The fake poller records every request the UI makes (prioritize, set_period, refresh_now, pause,
resume, stop: the whole ``PollerControl``) and emits the same event types as the real one, so flows can assert on both the
screen and the poller calls without any network or timing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import Callable, Iterable
from typing import Any

from bwtui.config import AccountConfig
from bwtui.events import (
    AccountListed,
    PollerPaused,
    RateLimitUpdated,
    ResourceUpdated,
    SeriesUpdated,
)
from bwtui.model import (
    ErrorKind,
    Period,
    ProviderError,
    RateLimit,
    Resource,
    ResourceState,
    Sample,
    Series,
    Usage,
)
from bwtui.runtime import AccountRuntime

T0 = 1_767_225_600.0 + 14 * 86400 + 13 * 3600 + 7 * 60  # 2026-01-15 13:07 UTC

HOSTILE_NAMES = (
    "[@click=app.quit]x[/]",
    "[bold]unclosed",
    "evil\x1b]0;pwned\x07title",
    "[$accent]var[/]",
)


class FakeClock:
    """A frozen clock (now() only; sleep waits forever)."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def now(self) -> float:
        return self.t

    async def sleep(self, delay_s: float) -> None:
        await asyncio.Event().wait()


class _DummyClient:
    provider = "hivelocity"

    async def aclose(self) -> None:
        return None


def runtimes(*names_providers: tuple[str, str]) -> list[AccountRuntime]:
    """Account runtimes with inert clients (the fake poller does the work)."""
    return [
        AccountRuntime(AccountConfig(name=name, provider=provider), _DummyClient())  # type: ignore[arg-type]
        for name, provider in names_providers
    ]


def _rate(seed: int, t: float, base_bps: float) -> float:
    day = math.sin((t % 86400) / 86400 * 2 * math.pi - 1.2) * 0.45 + 0.6
    wobble = math.sin(t / 1700 + seed) * 0.15
    return max(0.0, base_bps * (day + wobble) * (1 + seed % 5 * 0.3))


def make_resources(account: str, provider: str, count: int, names: Iterable[str] = ()) -> list[Resource]:
    names = list(names)
    out = []
    for index in range(count):
        name = names[index] if index < len(names) else f"{'web' if provider == 'hivelocity' else 'vpn'}-{index + 1:02d}"
        kind = "service" if provider == "hivelocity" else "instance"
        rid = str(1000 + index) if provider == "hivelocity" else f"inst-{index + 1:02d}"
        out.append(
            Resource(account, provider, kind, rid, name, location="TPA1" if provider == "hivelocity" else "eu-west",  # type: ignore[arg-type]
                     hostname=f"h{index}.example.net")
        )
    return out


def make_series(seed: int, period: Period, now: float, *, gaps: bool = False) -> Series:
    step = {Period.DAY: 300, Period.WEEK: 1800, Period.MONTH: 7200}[period]
    span = {Period.DAY: 86400, Period.WEEK: 7 * 86400, Period.MONTH: 30 * 86400}[period]
    end = now - now % step
    samples = []
    for index in range(span // step):
        t = end - span + (index + 1) * step
        if gaps and 100 <= index < 110:
            samples.append(Sample(t, None, None))
            continue
        samples.append(Sample(t, _rate(seed, t, 20e6), _rate(seed + 3, t, 80e6)))
    outs = sorted(s.out_bps for s in samples if s.out_bps is not None)
    ins = sorted(s.in_bps for s in samples if s.in_bps is not None)
    return Series(step_s=step, samples=tuple(samples), in_95th_bps=ins[int(len(ins) * 0.95)],
                  out_95th_bps=outs[int(len(outs) * 0.95)])


def make_state(resource: Resource, seed: int, now: float, *, error: ProviderError | None = None,
               stale: bool = False) -> ResourceState:
    day = make_series(seed, Period.DAY, now)
    history = day.samples[-96:]
    latest = history[-1]
    usage = Usage(
        period_in_bytes=int(3e11 * (1 + seed % 7)),
        period_out_bytes=int(1.1e12 * (1 + seed % 9)),
        as_of=now - 120,
        period_start=1_767_225_600.0,
        source=f"POST /bandwidth/service/{resource.id}" if resource.provider == "hivelocity"
        else f"GET /vpn/instances/{resource.id}/bandwidth",
    )
    if error is not None and not stale:
        return ResourceState(resource=resource, error=error, updated_at=None)
    return ResourceState(
        resource=resource, in_bps=latest.in_bps, out_bps=latest.out_bps, rate_at=latest.t,
        usage=usage, error=error, updated_at=now - 60, stale=stale, history=history,
    )


class FakePoller:
    """Emits scripted events on ``run()`` and records every request from the UI."""

    def __init__(self, accounts: list[AccountRuntime], *, clock: Any, on_event: Callable[[Any], None],
                 script: Callable[[FakePoller], Iterable[Any]] | None = None, **_: Any) -> None:
        self.accounts = accounts
        self.clock = clock
        self.on_event = on_event
        self.script = script
        self.calls: list[tuple[Any, ...]] = []
        self.paused = False
        self.ran = asyncio.Event()

    async def run(self) -> None:
        for event in (self.script(self) if self.script else ()):
            self.on_event(event)
        self.ran.set()
        await asyncio.Event().wait()

    def emit(self, event: Any) -> None:
        self.on_event(event)

    def prioritize(self, key: Any) -> None:
        self.calls.append(("prioritize", key))

    def set_period(self, key: Any, period: Period) -> None:
        self.calls.append(("set_period", key, period))

    def refresh_now(self, key: Any = None) -> None:
        self.calls.append(("refresh_now", key))

    def set_visible(self, keys: Any) -> None:
        self.calls.append(("set_visible", frozenset(keys)))

    def pause(self) -> None:
        self.paused = True
        self.calls.append(("pause",))
        self.on_event(PollerPaused(True))

    def resume(self) -> None:
        self.paused = False
        self.calls.append(("resume",))
        self.on_event(PollerPaused(False))

    async def one_off(self, key: Any, call: Any) -> Any:
        self.calls.append(("one_off", key))
        raise ProviderError(ErrorKind.NOT_FOUND, "the fake poller makes no requests")

    def stop(self, timeout_s: float = 1.0) -> bool:
        self.calls.append(("stop",))
        return True


def standard_script(
    *, services: int = 4, instances: int = 2, hostile: bool = False, failing: str | None = None,
    rate_limited_account: str | None = None, now: float = T0,
) -> Callable[[FakePoller], list[Any]]:
    """Two accounts (hv-prod: services, vpn: instances) with day/week/month series."""

    def script(poller: FakePoller) -> list[Any]:
        events: list[Any] = []
        hv = make_resources("hv-prod", "hivelocity", services, HOSTILE_NAMES if hostile else ())
        alto = make_resources("vpn", "altostrat", instances)
        events.append(AccountListed("hv-prod", "hivelocity", tuple(hv)))
        events.append(AccountListed("vpn", "altostrat", tuple(alto)))
        for seed, resource in enumerate(hv + alto):
            error = None
            if failing is not None and resource.name == failing:
                error = ProviderError(ErrorKind.SERVER, "Internal error [b]boom[/b] \x1b[31m", status=500)
            if rate_limited_account == resource.account:
                error = ProviderError(ErrorKind.RATE_LIMITED, "Too Many Requests", status=429,
                                      retry_after_s=600)
            events.append(ResourceUpdated(make_state(resource, seed, now, error=error,
                                                     stale=error is not None and error.kind == ErrorKind.RATE_LIMITED)))
            if resource.provider == "hivelocity" and error is None:
                for period in Period:
                    events.append(SeriesUpdated(resource.key, period, make_series(seed, period, now,
                                                                                  gaps=seed == 1)))
        if rate_limited_account is not None:
            events.append(RateLimitUpdated(rate_limited_account, RateLimit(3600, 0, now + 600, now)))
        return events

    return script


FLEET_NAMES = ["prim-db", "edge-1", "edge-2", "cache-1", "cache-2", "web-1", "web-2", "web-3"]


def named_script(services: int = 8, instances: int = 4, *, names: list[str] = FLEET_NAMES,
           stale: dict[str, float] | None = None) -> Callable[[FakePoller], list[Any]]:
    """hv-prod with ``services`` (named from ``names``) and vpn with ``instances``."""

    def events(poller: FakePoller) -> list[Any]:
        hv = make_resources("hv-prod", "hivelocity", services, names)
        alto = make_resources("vpn", "altostrat", instances)
        out: list[Any] = [AccountListed("hv-prod", "hivelocity", tuple(hv)),
                          AccountListed("vpn", "altostrat", tuple(alto))]
        for seed, resource in enumerate(hv + alto):
            state = make_state(resource, seed, T0)
            if stale and resource.name in stale:
                state = dataclasses.replace(state, rate_at=T0 - stale[resource.name])
            out.append(ResourceUpdated(state))
        return out

    return events


def last_call(app: Any, verb: str) -> tuple[Any, ...]:
    """The fake poller's last ``verb`` call (the monitor's once-a-second ``set_visible`` can come
    after the call a key made, on a loaded machine)."""
    return next(call for call in reversed(app.poller.calls) if call[0] == verb)


def fake_app(script: Callable[[FakePoller], Iterable[Any]] | None = None, *, accounts=(("hv-prod", "hivelocity"), ("vpn", "altostrat")), **kwargs: Any):
    """A BwtuiApp wired to a FakePoller; the poller instance is at ``app.poller`` once mounted."""
    from bwtui.ui.app import BwtuiApp

    def factory(rts, *, clock, on_event, history=None):
        return FakePoller(rts, clock=clock, on_event=on_event, script=script)

    kwargs.setdefault("clock", FakeClock())
    return BwtuiApp(runtimes(*accounts), poller_factory=factory, **kwargs)


async def settle(pilot: Any, app: Any, *, tries: int = 200) -> None:
    """Wait until the fake poller has emitted its script and the UI has handled it.

    Fails (rather than going on with a half-drawn screen) when that does not happen.
    """
    for _ in range(tries):
        poller = app.poller
        if poller is not None and poller.ran.is_set():
            break
        await pilot.pause()
    else:
        raise AssertionError(f"the app did not settle: no fake poller ran its script ({app.poller!r})")
    await pilot.pause()  # the messages posted by the script
    await pilot.pause()  # the widget flush they scheduled


def screen_text(app: Any) -> str:
    """Everything on screen as plain text (for assertions on what the user sees).

    Textual has no public text export of the composed screen (``App.export_screenshot`` builds
    its SVG from the same ``screen._compositor``), so this one helper reads it there.
    """
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


class FrozenRealClock:
    """A poller clock whose ``now()`` never moves, while waits use real (short) loop time.

    Work due "now" runs at once; anything scheduled later stays pending for the test's life,
    so the screen settles into one deterministic state.
    """

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def now(self) -> float:
        return self.t

    def __call__(self) -> float:
        return self.t

    async def sleep(self, delay_s: float) -> None:
        await asyncio.sleep(max(0.0, delay_s))

    def call_at(self, when: float, callback: Callable[[], None]) -> Any:
        return asyncio.get_running_loop().call_later(max(0.0, when - self.t), callback)

    def timeout(self, delay_s: float | None) -> Any:
        return asyncio.timeout(delay_s)


def demo_app(*, seed: int = 7, services: int = 12, instances: int = 6, hostile_names: bool = False,
             clock: FrozenRealClock | None = None, **kwargs: Any) -> tuple[Any, Any]:
    """The real stack: simulator on loopback, real clients and poller, frozen clock. Returns (app, env)."""
    from bwtui.demo import start_demo
    from bwtui.ui.app import BwtuiApp

    clock = clock or FrozenRealClock()
    env = start_demo(seed=seed, clock=clock, services=services, instances=instances,
                     hostile_names=hostile_names, hetzner_servers=0, vultr_instances=0)
    return BwtuiApp(env.runtimes, clock=clock, demo=True, **kwargs), env


async def settle_demo(pilot: Any, app: Any, *, timeout_s: float = 15.0) -> None:
    """Wait until every listed resource has data (or an error) and the selection has its series.

    Fails when that does not happen within ``timeout_s`` (the simulator runs on loopback).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        await pilot.pause(0.05)
        store = app.store
        accounts_done = store.accounts and all(v.listed or v.error for v in store.accounts.values())
        states = [store.states.get(r.key) for v in store.accounts.values() for r in v.resources]
        states_done = all(s is not None and (s.usage is not None or s.error is not None) for s in states)
        selected = app.selected
        series_done = selected is None or selected[0] != "hv-demo" or (selected, app.period) in store.series
        if accounts_done and states_done and series_done:
            break
        if loop.time() > deadline:
            raise AssertionError(
                f"the demo did not settle in {timeout_s:g} s: accounts {accounts_done!r}, "
                f"states {states_done!r}, selected series {series_done!r}"
            )
    await pilot.pause(0.2)
    app.overview.apply_sort()
    await pilot.pause()
