"""Attached to a collector while there is one, polling directly while there is not; never both.

:class:`FallbackSource` is the monitor's data source when a collector is configured or found
(a :class:`~bwtui.session.source.MonitorSource` wrapping the other two):

1. attach (:class:`~bwtui.collector.attached.AttachedSource`); the header says "via collector";
2. when the feed fails or ends, say so and, if this config has accounts with tokens, poll them
   directly (:class:`~bwtui.session.live.LivePollerSource`, with clients built afresh);
   otherwise wait;
3. every ``retry_s`` ask the collector's ``/readyz``; once it answers (and takes this viewer's
   token), stop polling (the poller has ended and its clients are closed before anything else
   happens), then attach again. An attach that fails before the feed's hello (another protocol
   version, say) doubles the wait before the next one, up to ``MAX_RETRY_S``.

With ``direct=False`` (the wall screen) it never polls: it waits for the collector.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from enum import Enum

from bwtui.clock import Clock
from bwtui.collector.attached import AttachedSource, collector_label
from bwtui.collector.client import CollectorClient, CollectorUnavailable
from bwtui.collector.discovery import CollectorRef
from bwtui.events import SourceChanged
from bwtui.polling.control import PollerControl
from bwtui.runtime import AccountRuntime, build_runtime
from bwtui.session.live import LivePollerSource, PollerFactory
from bwtui.session.source import EventSink, MonitorSource

RETRY_S = 5.0
MAX_RETRY_S = 300.0


class Mode(Enum):
    CONNECTING = "connecting"
    ATTACHED = "attached"
    DIRECT = "direct"
    WAITING = "waiting"


def _rebuild_all(runtimes: Sequence[AccountRuntime]) -> list[AccountRuntime]:
    """Fresh clients for these accounts (token lookups: call in a thread)."""
    return [build_runtime(runtime.config) for runtime in runtimes]


class FallbackSource:
    """See the module docstring. ``rebuild`` makes fresh runtimes for a spell of direct polling
    (tests pass clients for a simulator); ``factory`` is the live source's poller factory."""

    def __init__(
        self,
        ref: CollectorRef,
        runtimes: Sequence[AccountRuntime],
        *,
        clock: Clock,
        token: str | None = None,
        direct: bool = True,
        retry_s: float = RETRY_S,
        rebuild: Callable[[Sequence[AccountRuntime]], list[AccountRuntime]] = _rebuild_all,
        factory: PollerFactory | None = None,
        client_factory: Callable[[str], CollectorClient] | None = None,
    ) -> None:
        self.ref = ref
        self.runtimes = list(runtimes)
        self._clock = clock
        self._token = token
        self._direct = direct
        self._retry_s = retry_s
        self._rebuild = rebuild
        self._factory = factory
        self._client_factory = client_factory
        self._current: MonitorSource | None = None
        self.mode = Mode.CONNECTING
        self.switches: list[Mode] = []  # every mode entered, in order (tests read it)
        self._failed_attaches = 0  # in a row, each before the feed's hello

    # ----- MonitorSource ------------------------------------------------------------------------
    @property
    def label(self) -> str:
        if self.mode is Mode.ATTACHED:
            return collector_label(self.ref.url)
        if self.mode is Mode.DIRECT:
            return "polling directly (collector gone)"
        if self.mode is Mode.WAITING:
            return "waiting for the collector"
        return "connecting to the collector"

    @property
    def has_work(self) -> bool:
        return True

    @property
    def listed_early(self) -> int:
        return 0  # nothing is listed before the view runs this source

    @property
    def can_poll_directly(self) -> bool:
        return self._direct and any(rt.client is not None for rt in self.runtimes)

    @property
    def control(self) -> PollerControl | None:
        current = self._current
        return None if current is None else current.control

    def renewed(self, runtimes: Sequence[AccountRuntime]) -> FallbackSource:
        return FallbackSource(self.ref, runtimes, clock=self._clock, token=self._token,
                              direct=self._direct, retry_s=self._retry_s, rebuild=self._rebuild,
                              factory=self._factory, client_factory=self._client_factory)

    async def aclose(self) -> None:
        """Close what a spell of direct polling may have left, and the config's own clients."""
        current, self._current = self._current, None
        if current is not None:
            await current.aclose()
        for runtime in self.runtimes:
            if runtime.client is not None:
                try:
                    await runtime.client.aclose()
                except Exception:  # noqa: BLE001 - best effort at exit
                    pass

    # ----- the cycle ----------------------------------------------------------------------------
    async def run(self, sink: EventSink) -> None:
        """Attach; on loss poll directly (or wait) until the collector answers; repeat."""
        lost_once = False
        while True:
            reason = await self._attached(sink, note="The collector is back: attached again; this "
                                          "screen sends no provider requests." if lost_once else "")
            lost_once = True
            if self.can_poll_directly:
                self._enter(Mode.DIRECT)
                sink(SourceChanged(
                    f"{reason}. Polling the providers directly until the collector answers again.",
                    tuple(rt.config for rt in self.runtimes), severity="warning"))
                await self._poll_until_collector_answers(sink)
            else:
                self._enter(Mode.WAITING)
                why = "" if self._direct else " (this screen never polls the providers itself)"
                sink(SourceChanged(f"{reason}. Retrying every {self._retry_s:g} s{why}.",
                                   severity="warning"))
                await self._wait_for_collector()

    def _enter(self, mode: Mode) -> None:
        self.mode = mode
        self.switches.append(mode)

    async def _attached(self, sink: EventSink, *, note: str) -> str:
        """Follow the feed until it fails; returns why, for the user."""
        attached = AttachedSource(self.ref, token=self._token, note=note,
                                  own_accounts=[rt.name for rt in self.runtimes],
                                  client_factory=self._client_factory)
        self._current = attached
        self._enter(Mode.CONNECTING)

        def relay(event: object) -> None:
            if self.mode is not Mode.ATTACHED and attached.greeted:
                self._enter(Mode.ATTACHED)
            sink(event)  # type: ignore[arg-type]

        try:
            await attached.run(relay)
        except CollectorUnavailable as error:
            return _sentence(str(error))
        finally:
            self._current = None
            self._failed_attaches = 0 if attached.greeted else self._failed_attaches + 1
            await attached.aclose()
        return f"The collector at {self.ref.url} closed the feed"

    @property
    def _wait_s(self) -> float:
        """Before trying again: ``retry_s``, doubled for each attach that failed before hello."""
        return float(min(self._retry_s * 2.0 ** max(0, self._failed_attaches - 1), MAX_RETRY_S))

    async def _poll_until_collector_answers(self, sink: EventSink) -> None:
        runtimes = await asyncio.to_thread(self._rebuild, self.runtimes)
        live = LivePollerSource(runtimes, clock=self._clock, factory=self._factory)
        self._current = live
        task = asyncio.get_running_loop().create_task(live.run(sink), name="direct-polling")
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self._wait_s)
                if done:
                    task.result()  # a crash of direct polling ends this source (the view says so)
                    return
                if await self._collector_answers():
                    return
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            self._current = None
            await live.aclose()  # the poller has ended and its clients are closed: never both

    async def _wait_for_collector(self) -> None:
        while True:
            await asyncio.sleep(self._wait_s)
            if await self._collector_answers():
                return

    async def _collector_answers(self) -> bool:
        client = (self._client_factory(self.ref.url) if self._client_factory is not None
                  else CollectorClient(self.ref.url, token=self._token))
        try:
            return await client.healthy()
        finally:
            await client.aclose()


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] if text else "The collector is unavailable"
