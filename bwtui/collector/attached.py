"""The monitor's data source when a collector does the polling: a :class:`MonitorSource`.

:class:`AttachedSource` reads the collector's feed and hands the view the same poll events a
poller would, so the view cannot tell the difference (and needs no branch for it). It sends the
providers nothing: user requests go to :class:`AttachedControl`, which only asks the collector
for charts (from what it holds or its history). Pausing and refreshing belong to the collector,
so a viewer's ``p`` and ``r`` do nothing here. ``run`` raises
:class:`~bwtui.collector.client.CollectorUnavailable` when the feed ends or fails.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Sequence
from typing import TypeVar
from urllib.parse import urlsplit

from bwtui.collector.client import CollectorClient, CollectorUnavailable
from bwtui.collector.discovery import CollectorRef
from bwtui.collector.protocol import decode_accounts
from bwtui.events import AccountFailed, SourceChanged
from bwtui.model import ErrorKind, Period, ProviderError
from bwtui.polling.control import OneOffCall
from bwtui.runtime import AccountRuntime
from bwtui.session.source import EventSink, MonitorSource

CHART_REFRESH_S = 60.0
T = TypeVar("T")
YIELD_EVERY = 20  # events read from a buffered stream before the loop gets a turn


def collector_label(url: str) -> str:
    """``via collector HOST:PORT`` for the header."""
    parts = urlsplit(url)
    return f"via collector {parts.netloc or url}"


class AttachedControl:
    """User requests while attached: charts come from the collector; the rest is its business."""

    def __init__(self, source: AttachedSource) -> None:
        self._source = source
        self._fetched: dict[tuple[tuple[str, str], Period], float] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def prioritize(self, key: tuple[str, str] | None) -> None:
        """The collector polls on its own schedule: nothing to do."""

    def set_period(self, key: tuple[str, str], period: Period) -> None:
        """Ask the collector for this chart (at most once a minute per chart)."""
        now = time.monotonic()
        if now - self._fetched.get((key, period), -CHART_REFRESH_S) < CHART_REFRESH_S:
            return
        self._fetched[(key, period)] = now
        task = asyncio.get_running_loop().create_task(self._source.fetch_chart(key, period))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def refresh_now(self, key: tuple[str, str] | None = None) -> None:
        """Read-only viewer: the collector decides when to poll."""

    def set_visible(self, keys: Collection[tuple[str, str]]) -> None:
        """The collector serves many screens: what this one shows does not steer it."""

    def pause(self) -> None:
        """Read-only viewer: the collector keeps polling."""

    def resume(self) -> None:
        """Read-only viewer: nothing was paused here."""

    async def one_off(self, key: tuple[str, str], call: OneOffCall[T]) -> T:
        """Extra provider requests (the provider's image, an older window) are not made for a
        viewer: the collector owns the budget. Says so as a ``forbidden`` error on the resource."""
        raise ProviderError(
            ErrorKind.FORBIDDEN,
            "attached to a collector: extra provider requests are made only by polling directly",
        )

    def stop(self, timeout_s: float = 1.0) -> bool:
        for task in self._tasks:
            task.cancel()
        return True


class AttachedSource:
    """Reads one collector's feed (see the module docstring); a :class:`MonitorSource`.

    ``note``: what to tell the user when the feed's hello arrives ("" for nothing);
    ``own_accounts``: the viewer's own account names, each one the collector does not poll is
    shown failing with the reason.
    """

    def __init__(
        self,
        ref: CollectorRef,
        *,
        token: str | None = None,
        note: str = "",
        own_accounts: Sequence[str] = (),
        client_factory: Callable[[str], CollectorClient] | None = None,
    ) -> None:
        self.ref = ref
        self._token = token
        self._note = note
        self._own_accounts = list(own_accounts)
        self._client_factory = client_factory
        self._client: CollectorClient | None = None
        self._sink: EventSink | None = None
        self._control = AttachedControl(self)
        self.greeted = False
        self.synced = False

    @property
    def label(self) -> str:
        return collector_label(self.ref.url)

    @property
    def has_work(self) -> bool:
        return True

    @property
    def listed_early(self) -> int:
        return 0  # nothing is listed before the view runs this source

    @property
    def control(self) -> AttachedControl | None:
        return self._control if self._sink is not None else None

    def _new_client(self) -> CollectorClient:
        if self._client_factory is not None:
            return self._client_factory(self.ref.url)
        return CollectorClient(self.ref.url, token=self._token)

    async def run(self, sink: EventSink) -> None:
        """Deliver the collector's snapshot and changes until the feed ends (then raise)."""
        self._client = self._new_client()
        try:
            delivered = 0
            async for kind, payload in self._client.messages():
                if kind == "hello":
                    self._hello(payload, sink)
                    self._sink = sink
                elif kind == "poll":
                    sink(payload)
                    delivered += 1
                    if delivered % YIELD_EVERY == 0:
                        await asyncio.sleep(0)  # a big snapshot must not keep the view from drawing
                elif kind == "synced":
                    self.synced = True
                elif kind == "bye":
                    raise CollectorUnavailable(f"the collector at {self.ref.url} stopped")
        finally:
            self._sink = None
            self._control.stop()
        raise CollectorUnavailable(f"the collector at {self.ref.url} closed the feed")

    def _hello(self, hello: dict[str, object], sink: EventSink) -> None:
        accounts = decode_accounts(hello.get("accounts"))
        self.greeted = True
        sink(SourceChanged(self._note, accounts))
        served = {account.name for account in accounts}
        for name in self._own_accounts:
            if name not in served:
                sink(AccountFailed(name, ProviderError(
                    ErrorKind.NOT_FOUND,
                    f"the collector at {self.ref.url} does not poll this account: add it to the "
                    "collector's config (this screen only shows what the collector polls)")))

    async def fetch_chart(self, key: tuple[str, str], period: Period) -> None:
        """One chart from the collector, delivered as a ``SeriesUpdated`` event."""
        client, sink = self._client, self._sink
        if client is None or sink is None:
            return
        try:
            event = await client.series(key, period)
        except CollectorUnavailable:
            return  # the feed notices a lost collector; a chart is an extra
        if event is not None and self._sink is sink:
            sink(event)

    def renewed(self, runtimes: Sequence[AccountRuntime]) -> MonitorSource:
        return AttachedSource(self.ref, token=self._token, own_accounts=[rt.name for rt in runtimes],
                              client_factory=self._client_factory)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        self._control.stop()
        if client is not None:
            await client.aclose()
