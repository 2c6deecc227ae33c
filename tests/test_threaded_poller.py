"""ThreadedPoller: the poller on its own thread and loop, driven from the caller's loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bwtui.clock import RealClock
from bwtui.demo import DemoEnv, start_demo
from bwtui.events import AccountListed, PollerPaused, ResourceUpdated
from bwtui.poller import Poller
from bwtui.polling.threaded import THREAD_NAME, ThreadedPoller
from bwtui.model import Period


@pytest.fixture
def demo() -> Iterator[DemoEnv]:
    env = start_demo(services=3, instances=2, hetzner_servers=0, vultr_instances=0)
    try:
        yield env
    finally:
        env.stop()


class Events:
    """Thread-safe record of (thread name, event)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: list[tuple[str, Any]] = []

    def __call__(self, event: Any) -> None:
        with self._lock:
            self.items.append((threading.current_thread().name, event))

    def of(self, kind: type) -> list[Any]:
        with self._lock:
            return [event for _, event in self.items if isinstance(event, kind)]

    def threads(self) -> set[str]:
        with self._lock:
            return {name for name, _ in self.items}


async def wait_for(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def is_closed(client: Any) -> bool:
    return client._api._http.is_closed  # the provider client's own httpx.AsyncClient


class ClosingSpy:
    """A client stand-in recording on which thread it was closed."""

    def __init__(self) -> None:
        self.closed_on: list[str] = []

    async def aclose(self) -> None:
        self.closed_on.append(threading.current_thread().name)


class ScriptedPoller:
    """Records control calls and the thread they ran on; ``run`` waits or raises."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], str]] = []
        self.error = error
        self.paused = False
        self.states: dict[Any, Any] = {}
        self.cancelled = threading.Event()

    def snapshot_states(self) -> dict[Any, Any]:
        return self.states.copy()

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name not in {"prioritize", "refresh_now", "set_period", "set_visible", "pause", "resume"}:
            raise AttributeError(name)

        def record(*args: Any) -> None:
            if args == ("explode",):
                raise ValueError("bad request")
            self.calls.append((name, args, threading.current_thread().name))

        return record

    async def run(self) -> None:
        if self.error is not None:
            raise self.error
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise


def poller_threads_alive() -> bool:
    return any(t.name == THREAD_NAME and t.is_alive() for t in threading.enumerate())


async def test_real_poller_delivers_events_on_its_thread_and_stop_closes_the_clients(demo: DemoEnv) -> None:
    events = Events()
    clients = [rt.client for rt in demo.runtimes]
    poller = ThreadedPoller(Poller(demo.runtimes, clock=RealClock(), on_event=events), clients=clients)
    runner = asyncio.create_task(poller.run())

    await wait_for(lambda: {e.account for e in events.of(AccountListed)} == {"hv-demo", "vpn-demo"})
    await wait_for(lambda: any(e.state.usage is not None for e in events.of(ResourceUpdated)))
    assert events.threads() == {THREAD_NAME}
    assert threading.current_thread().name != THREAD_NAME
    assert poller.states  # a copy, readable from this thread

    key = events.of(AccountListed)[0].resources[0].key
    poller.prioritize(key)
    poller.set_period(key, Period.WEEK)
    poller.pause()
    await wait_for(lambda: [e.paused for e in events.of(PollerPaused)] == [True])
    assert poller.paused  # one owner of the pause state: the poller, on its thread
    assert poller.poller.selected == key
    poller.resume()
    poller.refresh_now(None)
    await wait_for(lambda: [e.paused for e in events.of(PollerPaused)] == [True, False])
    assert not poller.paused

    assert await poller.aclose(timeout_s=1.0)
    assert all(is_closed(client) for client in clients)
    assert not poller_threads_alive()
    await asyncio.wait_for(runner, 1.0)  # run() ends quietly once stopped


async def test_control_calls_run_on_the_poller_thread_in_order() -> None:
    inner = ScriptedPoller()
    poller = ThreadedPoller(inner)
    runner = asyncio.create_task(poller.run())
    poller.prioritize(("a", "1"))
    poller.refresh_now(("a", "1"))
    poller.prioritize("explode")  # fails on the poller thread: logged, nothing else happens
    poller.set_period(("a", "1"), Period.MONTH)
    poller.set_visible([("a", "1"), ("a", "2")])
    poller.pause()
    poller.resume()
    await wait_for(lambda: len(inner.calls) == 6)
    assert [(name, args) for name, args, _ in inner.calls] == [
        ("prioritize", (("a", "1"),)),
        ("refresh_now", (("a", "1"),)),
        ("set_period", (("a", "1"), Period.MONTH)),
        ("set_visible", ((("a", "1"), ("a", "2")),)),
        ("pause", ()),
        ("resume", ()),
    ]
    assert {thread for _, _, thread in inner.calls} == {THREAD_NAME}
    assert not runner.done()
    assert poller.stop(timeout_s=1.0)
    assert inner.cancelled.is_set()
    await asyncio.wait_for(runner, 1.0)


async def test_a_poller_crash_is_reported_by_run_and_clients_still_close_on_its_thread() -> None:
    spy = ClosingSpy()
    poller = ThreadedPoller(ScriptedPoller(error=RuntimeError("boom")), clients=[spy])
    with pytest.raises(RuntimeError, match="boom"):
        await asyncio.wait_for(poller.run(), 2.0)
    assert spy.closed_on == [THREAD_NAME]
    assert poller.stop(timeout_s=1.0)  # idempotent after the crash
    assert spy.closed_on == [THREAD_NAME]
    assert not poller_threads_alive()


async def test_cancelling_run_stops_the_poller_and_closes_clients_once() -> None:
    inner, spy = ScriptedPoller(), ClosingSpy()
    poller = ThreadedPoller(inner, clients=[spy])
    runner = asyncio.create_task(poller.run())
    await asyncio.sleep(0.05)
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert poller.stop(timeout_s=1.0)
    assert inner.cancelled.is_set()
    assert spy.closed_on == [THREAD_NAME]


async def test_stop_before_run_still_closes_clients_on_the_poller_loop() -> None:
    spy = ClosingSpy()
    poller = ThreadedPoller(ScriptedPoller(), clients=[spy])
    assert poller.stop(timeout_s=1.0)
    assert spy.closed_on == [THREAD_NAME]
    assert not poller_threads_alive()


async def test_detach_hands_the_loop_and_open_clients_to_the_next_poller(demo: DemoEnv) -> None:
    clients = [rt.client for rt in demo.runtimes]
    first_events, second_events = Events(), Events()
    first = ThreadedPoller(Poller(demo.runtimes, clock=RealClock(), on_event=first_events), clients=clients)
    first_run = asyncio.create_task(first.run())
    await wait_for(lambda: len(first_events.of(AccountListed)) == 2)

    thread = first.detach()
    await asyncio.wait_for(first_run, 1.0)
    assert thread.is_alive() and not any(is_closed(c) for c in clients)

    second = ThreadedPoller(Poller(demo.runtimes, clock=RealClock(), on_event=second_events),
                            clients=clients, thread=thread)
    second_run = asyncio.create_task(second.run())
    await wait_for(lambda: any(e.state.usage is not None for e in second_events.of(ResourceUpdated)))
    assert second.stop(timeout_s=1.0)
    assert all(is_closed(c) for c in clients)
    assert not thread.is_alive()
    await asyncio.wait_for(second_run, 1.0)


async def test_the_app_polls_on_a_thread_and_closes_clients_there_on_quit(demo: DemoEnv) -> None:
    from bwtui.ui.app import BwtuiApp

    closed_on: list[str] = []
    for runtime in demo.runtimes:
        client = runtime.client
        real_aclose = client.aclose

        async def aclose(real: Callable[[], Any] = real_aclose) -> None:
            closed_on.append(threading.current_thread().name)
            await real()

        client.aclose = aclose  # type: ignore[method-assign]

    app = BwtuiApp(demo.runtimes, demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if len(app.store.accounts) == 2 and all(v.listed for v in app.store.accounts.values()):
                break
        assert isinstance(app.poller, ThreadedPoller)
        assert poller_threads_alive()
        await pilot.press("j")
        await pilot.press("q")
    assert closed_on == [THREAD_NAME, THREAD_NAME]  # each client once, on the poller's loop
    assert not poller_threads_alive()
