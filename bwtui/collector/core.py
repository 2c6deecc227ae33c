"""The collector's state: one monitor session fed by one poller, read by scrapes and viewers.

:class:`Collector` runs on one event loop (the HTTP server's). The data source (the same
:class:`~bwtui.session.live.LivePollerSource` the monitor uses, its poller on its own thread)
hands every poll event to :meth:`Collector.apply` on that loop; the session records it exactly
as in the monitor (store, history, thresholds, billing), so ``/metrics``, the feed and a viewer's
screen agree by construction. Every change is encoded once and queued for each feed subscriber.

Reading never touches a provider: ``/metrics`` and the feed read the session; charts and
exports read the history store in a thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bwtui.collector.protocol import (
    KEEPALIVE,
    KEEPALIVE_S,
    encode_event,
    encode_state_change,
    hello,
    sse,
)
from bwtui.clock import RealClock, TimerHandle
from bwtui.collector.requests import RequestCounters
from bwtui.config import AccountConfig
from bwtui.events import (
    AccountFailed,
    AccountListed,
    BudgetUpdated,
    PollerPaused,
    PollEvent,
    RateLimitUpdated,
    ResourceUpdated,
    SeriesUpdated,
)
from bwtui.history import ExportRow
from bwtui.model import ErrorKind, Period, ProviderError, ResourceState, Sample, Series
from bwtui.runtime import AccountRuntime
from bwtui.session.changes import Announcement
from bwtui.session.core import MonitorSession
from bwtui.session.source import MonitorSource

log = logging.getLogger("bwtui.collector")

Key = tuple[str, str]
SUBSCRIBER_BACKLOG = 20_000  # queued chunks before a viewer that does not read is dropped
SNAPSHOT_CHUNK = 200  # snapshot events per write


class TimerClock(Protocol):
    """Time and timers (:class:`~bwtui.clock.RealClock`, or a simulated clock in benchmarks)."""

    def now(self) -> float: ...

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle: ...


class Subscriber:
    """One viewer's queue of encoded feed chunks; dropped (closed) when it falls too far behind."""

    def __init__(self, backlog: int = SUBSCRIBER_BACKLOG) -> None:
        self._queue: deque[bytes] = deque()
        self._wake = asyncio.Event()
        self._backlog = backlog
        self.closed = False
        self.dropped = False

    def push(self, chunk: bytes) -> None:
        if self.closed:
            return
        if len(self._queue) >= self._backlog:
            self.dropped = True
            self.closed = True
        else:
            self._queue.append(chunk)
        self._wake.set()

    def close(self, last: bytes | None = None) -> None:
        if last is not None and not self.closed:
            self._queue.append(last)
        self.closed = True
        self._wake.set()

    async def chunks(self, keepalive_s: float = KEEPALIVE_S) -> AsyncIterator[bytes]:
        """Queued chunks as they come, a keepalive comment when idle; ends when closed."""
        while True:
            while self._queue:
                yield self._queue.popleft()
            if self.closed:
                return
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=keepalive_s)
            except TimeoutError:
                yield KEEPALIVE


@dataclass(frozen=True, slots=True)
class CollectorInfo:
    """What the collector says about itself in ``hello`` and ``/healthz``."""

    version: str
    url: str
    started_at: float

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "url": self.url, "started_at": self.started_at}


class Collector:
    """The session, its data source, the feed's subscribers and the request counters."""

    def __init__(
        self,
        runtimes: Sequence[AccountRuntime],
        *,
        source: MonitorSource,
        session: MonitorSession,
        counters: RequestCounters | None = None,
        info: CollectorInfo,
        clock: TimerClock | None = None,
    ) -> None:
        """``clock``: the time for charts and the history flush timer (the real one by default;
        a benchmark passes a simulated one)."""
        self.runtimes = list(runtimes)
        self.accounts: list[AccountConfig] = [rt.config for rt in self.runtimes]
        self.session = session
        self.session.register(self.runtimes)
        self.source = source
        self.counters = counters or RequestCounters()
        self.info = info
        self._clock: TimerClock = clock if clock is not None else RealClock()
        self.now = self._clock.now
        self.failure: BaseException | None = None
        self.finished = asyncio.Event()
        self.stopping = False  # set first thing in stop(): no new viewer, readiness says so
        self._subscribers: set[Subscriber] = set()
        self._state_lines: dict[Key, tuple[ResourceState, str]] = {}
        # Each resource's history as every attached viewer holds it (while any is attached):
        # changes then carry only the new samples (see protocol.encode_state_change).
        self._sent: dict[Key, Sequence[Sample]] = {}
        self._series_lines: dict[tuple[Key, Period], tuple[Series, str]] = {}
        # Accounts heard from (listed or failed): ready once every one has been.
        self._waiting = {rt.config.name for rt in self.runtimes if rt.client is not None}
        self._flush_handle: TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._writes: set[asyncio.Task[Any]] = set()
        self._seq = 0
        self.events_applied = 0
        # The latest state of each request budget group (the session has no use for it; the
        # feed and /metrics do).
        self.budgets: dict[str, BudgetUpdated] = {}

    # ----- running ------------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """Every account with a token has been listed (or has failed) at least once."""
        return not self._waiting

    @property
    def viewers(self) -> int:
        return len(self._subscribers)

    async def start(self) -> None:
        """Load the history seed, then run the source (its events come back through the loop)."""
        loop = asyncio.get_running_loop()
        for announcement in (await self.session.load_seed()).announcements:
            _log(announcement)

        def sink(event: PollEvent) -> None:  # on the poller's thread
            try:
                loop.call_soon_threadsafe(self.apply, event)
            except RuntimeError:  # the loop has closed: we are stopping
                pass

        self._task = loop.create_task(self._run(sink), name="collector-source")

    async def _run(self, sink: Callable[[PollEvent], None]) -> None:
        try:
            await self.source.run(sink)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - the owner decides (the service exits 1)
            self.failure = error
            log.error("polling stopped: %s: %s", type(error).__name__, error)
        self.finished.set()

    async def stop(self) -> None:
        """Stop polling, write what is pending to history, tell every viewer goodbye."""
        self.stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self.source.aclose()
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        for announcement in (await self.session.write_history()).announcements:
            _log(announcement)
        bye = sse("bye", json.dumps({"reason": "the collector is stopping"}))
        for subscriber in list(self._subscribers):
            subscriber.close(bye)
        self.finished.set()

    # ----- events in --------------------------------------------------------------------------
    def apply(self, event: PollEvent) -> None:
        """Record one event in the session and pass what changed on to every viewer."""
        self.events_applied += 1
        if isinstance(event, (AccountListed, AccountFailed)):
            self._waiting.discard(event.account)
        if isinstance(event, BudgetUpdated):
            self.budgets[event.group] = event
            if self._subscribers:
                self._broadcast(encode_event(event))
            return
        changes = self.session.apply(event)
        for announcement in changes.announcements:
            _log(announcement)
        if changes.flush_in_s is not None and self._flush_handle is None:
            self._flush_handle = self._clock.call_at(self._clock.now() + changes.flush_in_s, self._flush)
        if not self._subscribers:
            return
        if isinstance(event, ResourceUpdated):
            # Every state goes out (visible change or not), so what viewers hold stays known.
            state = self.session.store.states.get(event.key, event.state)
            self._broadcast(encode_state_change(state, self._sent.get(event.key)))
            self._sent[event.key] = state.history
        elif changes:
            self._broadcast(self._line(event))

    def _line(self, event: PollEvent) -> str:
        if isinstance(event, SeriesUpdated):
            return self._series_line(event.key, event.period, event.series)
        return encode_event(event)

    def _state_line(self, key: Key, state: ResourceState) -> str:
        cached = self._state_lines.get(key)
        if cached is not None and cached[0] is state:
            return cached[1]
        line = encode_event(ResourceUpdated(state))
        self._state_lines[key] = (state, line)
        return line

    def _series_line(self, key: Key, period: Period, series: Series) -> str:
        cached = self._series_lines.get((key, period))
        if cached is not None and cached[0] is series:
            return cached[1]
        line = encode_event(SeriesUpdated(key, period, series))
        self._series_lines[(key, period)] = (series, line)
        return line

    def _broadcast(self, line: str) -> None:
        self._seq += 1
        chunk = sse("poll", line, event_id=self._seq)
        for subscriber in list(self._subscribers):
            subscriber.push(chunk)
            if subscriber.closed:
                self.unsubscribe(subscriber)
                log.warning("a viewer fell %d messages behind and was dropped", SUBSCRIBER_BACKLOG)

    def _flush(self) -> None:
        self._flush_handle = None
        task = asyncio.get_running_loop().create_task(self._write_history())
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write_history(self) -> None:
        for announcement in (await self.session.write_history()).announcements:
            _log(announcement)

    # ----- reading ----------------------------------------------------------------------------
    def hello(self) -> dict[str, Any]:
        return hello(self.accounts, self.info.as_dict())

    def snapshot_lines(self) -> list[str]:
        """Everything the collector knows, as the events that rebuild it in a viewer's session."""
        store = self.session.store
        lines: list[str] = []
        for view in store.accounts.values():
            if view.listed:
                lines.append(encode_event(AccountListed(view.name, view.provider, tuple(view.resources))))
            if view.error:
                lines.append(encode_event(AccountFailed(view.name, _account_error(view.error_kind, view.error))))
            if view.rate_limit is not None:
                lines.append(encode_event(RateLimitUpdated(view.name, view.rate_limit)))
        for key, state in store.states.items():
            lines.append(self._state_line(key, state))
        for (key, period), series in store.series.items():
            lines.append(self._series_line(key, period, series))
        lines.extend(encode_event(budget) for budget in self.budgets.values())
        if store.paused:
            lines.append(encode_event(PollerPaused(True)))
        return lines

    def subscribe(self) -> tuple[list[str], Subscriber]:
        """The snapshot and a queue of every change after it (taken in one step: consistent)."""
        lines = self.snapshot_lines()
        if not self._subscribers:  # the first viewer: what viewers hold starts from here
            self._sent = {key: state.history for key, state in self.session.store.states.items()}
        subscriber = Subscriber()
        self._subscribers.add(subscriber)
        return lines, subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscriber.close()
        self._subscribers.discard(subscriber)
        if not self._subscribers:
            self._sent = {}

    def feed(self) -> AsyncIterator[bytes]:
        """The whole feed for one viewer: hello, snapshot, synced, then changes until closed."""
        lines, subscriber = self.subscribe()
        opening = sse("hello", json.dumps(self.hello(), ensure_ascii=False))
        return self._feed(opening, lines, subscriber)

    async def _feed(self, opening: bytes, lines: list[str], subscriber: Subscriber) -> AsyncIterator[bytes]:
        try:
            yield opening
            for start in range(0, len(lines), SNAPSHOT_CHUNK):
                yield b"".join(sse("poll", line) for line in lines[start:start + SNAPSHOT_CHUNK])
            yield sse("synced", json.dumps({"events": len(lines), "ready": self.ready}))
            async for chunk in subscriber.chunks():
                yield chunk
        finally:
            self.unsubscribe(subscriber)

    async def series(self, key: Key, period: Period) -> str | None:
        """A chart for one resource and period as a ``SeriesUpdated`` line: the provider's series
        the collector holds, else one from its history (a thread); None when there is neither."""
        held = self.session.store.series.get((key, period))
        if held is not None and held.samples:
            return self._series_line(key, period, held)
        if key not in self.session.store.states:
            return None
        try:
            chart = await asyncio.to_thread(self.session.history.chart, key, period, self.now())
        except Exception:  # noqa: BLE001 - a chart from history is an extra
            return None
        return None if chart is None else encode_event(SeriesUpdated(key, period, chart))

    def export_rows(self, *, since: float | None, account: str | None,
                    resource_id: str | None) -> Iterator[ExportRow] | None:
        """The history store's rows (iterate in a thread); None when the collector has no history."""
        store = self.session.history.store
        if store is None:
            return None
        return store.export_rows(since=since, account=account, resource_id=resource_id)


def _account_error(kind: str | None, message: str) -> ProviderError:
    try:
        error_kind = ErrorKind(kind or "")
    except ValueError:
        error_kind = ErrorKind.BAD_RESPONSE
    return ProviderError(error_kind, message)


def _log(announcement: Announcement) -> None:
    level = {"error": logging.ERROR, "warning": logging.WARNING}.get(announcement.severity, logging.INFO)
    title = f"{announcement.title}: " if announcement.title else ""
    log.log(level, "%s%s", title, announcement.text)
