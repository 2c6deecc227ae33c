"""The monitor's data source that polls the providers from this process.

On the real clock the engine (:class:`~bwtui.poller.Poller`) runs on its own thread and loop
(:class:`~bwtui.polling.threaded.ThreadedPoller`), so HTTP and JSON parsing never delay a key
press; on any other clock (tests' fake ones) it runs on the caller's loop. Tests may pass their
own ``factory`` (a fake poller); it is called with the runtimes, the clock, the event sink and
the history seed.

When the account list changes (:meth:`LivePollerSource.renewed`), the running threaded poller
is stopped but its thread is handed to the next source: the provider clients started there must
keep being used on that loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from bwtui.clock import Clock, RealClock
from bwtui.events import AccountListed, PollEvent
from bwtui.poller import Poller
from bwtui.polling.control import PollerControl, RunnablePoller
from bwtui.polling.threaded import PollerThread, ThreadedPoller
from bwtui.runtime import AccountRuntime
from bwtui.session.history_sync import HistorySeed
from bwtui.session.source import EventSink

CLOSE_TIMEOUT_S = 1.0


class PollerFactory(Protocol):
    """Builds the poller a :class:`LivePollerSource` runs (tests pass a fake one)."""

    def __call__(
        self,
        runtimes: list[AccountRuntime],
        *,
        clock: Clock,
        on_event: EventSink,
        history: HistorySeed | None = None,
    ) -> RunnablePoller: ...


def _no_seed() -> HistorySeed | None:
    return None


class BufferedSink:
    """Keeps events (from any thread) until :meth:`attach` names where they go; then hands
    those on in order and passes every later one straight through."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[PollEvent] = []
        self._target: EventSink | None = None

    def __call__(self, event: PollEvent) -> None:
        with self._lock:
            target = self._target
            if target is None:
                self._events.append(event)
                return
        target(event)

    def listed(self) -> int:
        """Resources in the latest held listing of each account (0 once attached)."""
        with self._lock:
            latest = {event.account: len(event.resources) for event in self._events
                      if isinstance(event, AccountListed)}
        return sum(latest.values())

    def attach(self, target: EventSink) -> None:
        with self._lock:  # events arriving meanwhile wait, so none overtakes the kept ones
            for event in self._events:
                target(event)
            self._events = []
            self._target = target


class LivePollerSource:
    """Polls every account with a client; a :class:`~bwtui.session.source.MonitorSource`.

    ``seed`` is read when polling starts: the stored history the poller is primed with (see
    :class:`~bwtui.session.history_sync.HistorySync`). ``thread``: a poller thread handed on by
    a previous source (see :meth:`renewed`).
    """

    label = "polling"

    def __init__(
        self,
        runtimes: Sequence[AccountRuntime],
        *,
        clock: Clock,
        factory: PollerFactory | None = None,
        seed: Callable[[], HistorySeed | None] = _no_seed,
        thread: PollerThread | None = None,
    ) -> None:
        self.runtimes = list(runtimes)
        self._clock = clock
        self._factory = factory
        self._seed = seed
        self._handed_thread = thread  # not yet taken over by a poller
        self._poller: RunnablePoller | None = None
        self._threaded: ThreadedPoller | None = None
        self._early_sink: BufferedSink | None = None  # started early, not yet run

    @property
    def has_work(self) -> bool:
        return any(rt.client is not None for rt in self.runtimes)

    @property
    def control(self) -> PollerControl | None:
        return self._poller

    def start_early(self) -> bool:
        """Start polling now, before a view runs (the real clock only): the requests go out while
        the view imports and draws, and the events wait in order until :meth:`run` takes them.
        False when there is nothing to start (nothing to poll, a fake clock, already running)."""
        if (self._poller is not None or self._factory is not None or not self.has_work
                or not isinstance(self._clock, RealClock)):
            return False
        sink = BufferedSink()
        self._poller = self._build_now(sink)
        self._early_sink = sink
        if self._threaded is not None:
            self._threaded.start()
        return True

    @property
    def listed_early(self) -> int:
        return self._early_sink.listed() if self._early_sink is not None else 0

    async def run(self, sink: EventSink) -> None:
        """Build the poller and poll until cancelled (a poller crash raises here)."""
        early, self._early_sink = self._early_sink, None
        if early is not None and self._poller is not None:  # started early: hand the events on
            early.attach(sink)
            await self._poller.run()
            return
        self._poller = self._build_now(sink)
        await self._poller.run()

    def _build_now(self, sink: EventSink) -> RunnablePoller:
        """:meth:`_build`, on the thread handed on by a previous source if there is one."""
        thread, self._handed_thread = self._handed_thread, None
        try:
            poller = self._build(sink, thread)
        finally:
            if thread is not None and (self._threaded is None or self._threaded.thread is not thread):
                thread.stop_soon()  # not taken over: let it end
        return poller

    def _build(self, sink: EventSink, thread: PollerThread | None) -> RunnablePoller:
        seed = self._seed()
        if self._factory is not None:
            return self._factory(list(self.runtimes), clock=self._clock, on_event=sink, history=seed)
        if not isinstance(self._clock, RealClock):
            return Poller(self.runtimes, clock=self._clock, on_event=sink, history_seed=seed)
        from bwtui.polling.ledger import open_ledger

        # On the real clock, one request budget with every other bwtui process on this host.
        engine = Poller(self.runtimes, clock=self._clock, on_event=sink, history_seed=seed, ledger=open_ledger())
        clients = [rt.client for rt in self.runtimes if rt.client is not None]
        self._threaded = ThreadedPoller(engine, clients=clients, thread=thread)
        return self._threaded

    def renewed(self, runtimes: Sequence[AccountRuntime]) -> LivePollerSource:
        """A source over ``runtimes`` that takes over this one's poller thread."""
        thread = self._handed_thread
        if self._threaded is not None:  # threaded: keep its loop, where the clients are in use
            thread = self._threaded.detach()
        self._handed_thread = None
        self._threaded = None
        self._poller = None
        return LivePollerSource(runtimes, clock=self._clock, factory=self._factory, seed=self._seed,
                                thread=thread)

    async def aclose(self) -> None:
        """Stop polling and close every client (the threaded poller closes its own on its loop)."""
        closed_elsewhere: set[int] = set()
        threaded, self._threaded = self._threaded, None
        if threaded is not None:
            try:
                await threaded.aclose(timeout_s=CLOSE_TIMEOUT_S)
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
            closed_elsewhere = {id(client) for client in threaded.clients}
        thread, self._handed_thread = self._handed_thread, None
        if thread is not None:
            thread.stop_soon()
        self._poller = None
        for runtime in self.runtimes:
            client = runtime.client
            if client is None or id(client) in closed_elsewhere:
                continue
            try:
                await client.aclose()
            except Exception:  # noqa: BLE001 - closing is best effort at exit
                pass
        self.runtimes = []  # closed: a second call closes nothing again
