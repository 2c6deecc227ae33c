"""What a view may ask of a poller: a typed surface of plain method calls.

:class:`~bwtui.poller.Poller` (on the caller's loop), :class:`~bwtui.polling.threaded.ThreadedPoller`
(on its own thread) and the tests' fake poller satisfy these protocols structurally; nobody
inherits from them. Every request is a wish, never a direct HTTP call: the poller fits it into
its request budget.

To stop, cancel the task that awaits :meth:`RunnablePoller.run` or call :meth:`PollerControl.stop`
(the threaded poller then also closes its provider clients on its own loop).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any, Protocol, TypeVar

from bwtui.events import ResourceKey
from bwtui.model import Period, Resource

T = TypeVar("T")
# One request a view wants made (the provider's image, an older window): given the resource's
# client and the resource, it returns what the client returned.
OneOffCall = Callable[[Any, Resource], Awaitable[T]]


class PollerControl(Protocol):
    """Requests from the user: what to poll first, which chart to keep fresh, refresh, pause."""

    def prioritize(self, key: ResourceKey | None) -> None:
        """Poll this resource first and never stretch its intervals (None: no preference)."""

    def set_period(self, key: ResourceKey, period: Period) -> None:
        """Keep this resource's chart series for ``period`` fresh."""

    def set_visible(self, keys: Collection[ResourceKey]) -> None:
        """The resources on the user's screen: when the budget is short, theirs go first."""

    def refresh_now(self, key: ResourceKey | None = None) -> None:
        """Poll this resource (None: every resource) as soon as the budget allows."""

    def pause(self) -> None:
        """Send no more requests until :meth:`resume`; announced with a ``PollerPaused`` event."""

    def resume(self) -> None:
        """Poll again; announced with a ``PollerPaused(False)`` event."""

    async def one_off(self, key: ResourceKey, call: OneOffCall[T]) -> T:
        """Make one extra request for this resource, counted against its budget like any other
        (it waits for the budget, and while paused). Raises ``ProviderError`` (``not_found`` when
        the resource is not listed)."""
        ...

    def stop(self, timeout_s: float = 1.0) -> bool:
        """End polling; True when it ended (or was asked to) within ``timeout_s``.

        ``Poller.stop`` is called on the poller's own loop and returns at once;
        ``ThreadedPoller.stop`` waits for its thread, so call it off the caller's event loop.
        """


class RunnablePoller(PollerControl, Protocol):
    """A poller that can be run: ``await run()`` polls until the awaiting task is cancelled."""

    async def run(self) -> None:
        """Poll until cancelled; a poller crash raises here."""
