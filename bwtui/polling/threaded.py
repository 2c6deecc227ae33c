"""Run a Poller on its own event loop in a daemon thread, so HTTP and JSON never hold up the UI.

:class:`PollerThread` is an asyncio loop running in a daemon thread. :class:`ThreadedPoller`
runs one :class:`~bwtui.poller.Poller` on such a loop and offers the surface the UI uses
(``prioritize``, ``refresh_now``, ``set_period``, ``pause``, ``resume``, ``paused``,
``states``, ``async run()``), forwarding every control call with ``call_soon_threadsafe``.

Threading rules:
- ``on_event`` is called on the poller thread: it must be thread-safe (Textual's
  ``post_message`` is) and must not touch widgets.
- The provider clients (``httpx.AsyncClient`` inside) are used and closed on the poller loop
  only; the owner never closes them on another loop.
- A poller crash ends ``run()`` with the poller's exception in the caller's loop; nothing raised
  on the poller thread reaches the caller's loop any other way, or ends the process.

Pure asyncio + threading.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from functools import partial
from typing import ParamSpec, Protocol, TypeVar

from bwtui.events import ResourceKey
from bwtui.model import Period, ResourceState
from bwtui.polling.control import OneOffCall

log = logging.getLogger(__name__)

THREAD_NAME = "bwtui-poller"
P = ParamSpec("P")
T = TypeVar("T")


class _Closable(Protocol):
    async def aclose(self) -> None: ...


class PollerEngine(Protocol):
    """What :class:`ThreadedPoller` needs from the poller it runs (``bwtui.poller.Poller``)."""

    @property
    def paused(self) -> bool: ...

    def snapshot_states(self) -> dict[ResourceKey, ResourceState]:
        """A copy of the latest snapshots, taken atomically (safe from another thread)."""
        ...

    def prioritize(self, key: ResourceKey | None) -> None: ...

    def set_period(self, key: ResourceKey, period: Period) -> None: ...

    def set_visible(self, keys: Collection[ResourceKey]) -> None: ...

    async def one_off(self, key: ResourceKey, call: OneOffCall[T]) -> T: ...

    def refresh_now(self, key: ResourceKey | None = None) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    async def run(self) -> None: ...


class PollerThread:
    """An asyncio event loop running in a daemon thread, started on first use."""

    def __init__(self, name: str = THREAD_NAME) -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    @property
    def started(self) -> bool:
        return self._thread is not None

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> asyncio.AbstractEventLoop:
        """Start the thread (once) and return its loop."""
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=self._main, args=(loop,), name=self.name, daemon=True)
                self._loop, self._thread = loop, thread
                thread.start()
            return self._loop

    def call(self, fn: Callable[[], object]) -> bool:
        """Run ``fn()`` on the loop (thread-safe); False when the loop is gone."""
        loop = self.start()
        try:
            loop.call_soon_threadsafe(fn)
        except RuntimeError:  # the loop is closed
            return False
        return True

    def stop_soon(self) -> None:
        """Ask the loop to stop (thread-safe); pending tasks are cancelled as it winds down."""
        loop = self._loop
        if loop is None:
            self._stopped.set()
            return
        try:
            loop.call_soon_threadsafe(loop.stop)
        except RuntimeError:  # already closed
            pass

    def join(self, timeout_s: float | None = None) -> bool:
        """Wait for the thread to end; True when it has (or never started)."""
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout_s)
        return not thread.is_alive()

    def stop(self, timeout_s: float = 1.0) -> bool:
        """Stop the loop and join the thread within ``timeout_s``."""
        self.stop_soon()
        return self.join(timeout_s)

    def _main(self, loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        except BaseException:  # noqa: BLE001 - never let the thread take the process down
            log.exception("poller loop crashed")
        finally:
            try:
                _cancel_leftovers(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
            except BaseException:  # noqa: BLE001 - best effort at exit
                log.exception("poller loop did not wind down cleanly")
            finally:
                loop.close()
                self._stopped.set()


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


class ThreadedPoller:
    """Runs ``poller`` on a :class:`PollerThread`; the UI thread only sends it requests.

    ``clients`` are closed on the poller loop when the poller stops (not after :meth:`detach`).
    ``thread``: an already running loop thread to reuse (see :meth:`detach`); by default a new
    one named ``bwtui-poller``. Either way this object stops the thread when it stops.
    """

    def __init__(
        self,
        poller: PollerEngine,
        *,
        clients: Iterable[_Closable] = (),
        thread: PollerThread | None = None,
        close_timeout_s: float = 0.5,
    ) -> None:
        self._poller = poller
        self.clients: tuple[_Closable, ...] = tuple(clients)
        self.thread = thread if thread is not None else PollerThread()
        self._close_timeout_s = close_timeout_s
        self._close_clients = True
        self._owns_thread = True
        self._launched = False
        self._stop_requested = False
        self._task: asyncio.Task[None] | None = None
        self._error: BaseException | None = None
        self._finished = threading.Event()
        self._watchers: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._lock = threading.Lock()

    # -- the surface the UI uses ---------------------------------------------------------------
    @property
    def poller(self) -> PollerEngine:
        """The wrapped poller (its methods must only be called on the poller thread)."""
        return self._poller

    @property
    def paused(self) -> bool:
        """Whether the poller is paused (its own flag: a pause takes effect on its thread)."""
        return self._poller.paused

    @property
    def states(self) -> Mapping[ResourceKey, ResourceState]:
        """A copy of the latest snapshots (taken atomically; safe from any thread)."""
        return self._poller.snapshot_states()

    @property
    def finished(self) -> bool:
        """True once the poller has ended and its clients are closed."""
        return self._finished.is_set()

    def prioritize(self, key: ResourceKey | None) -> None:
        self._forward(self._poller.prioritize, key)

    def refresh_now(self, key: ResourceKey | None = None) -> None:
        self._forward(self._poller.refresh_now, key)

    def set_period(self, key: ResourceKey, period: Period) -> None:
        self._forward(self._poller.set_period, key, period)

    def set_visible(self, keys: Collection[ResourceKey]) -> None:
        """The resources on screen: polled before the others (a copy is sent to the thread)."""
        self._forward(self._poller.set_visible, tuple(keys))

    def pause(self) -> None:
        self._forward(self._poller.pause)

    async def one_off(self, key: ResourceKey, call: OneOffCall[T]) -> T:
        """:meth:`Poller.one_off` on the poller's loop (its clients live there); awaited here."""
        if self._finished.is_set():
            raise RuntimeError("polling has stopped")
        engine = self._poller
        future = asyncio.run_coroutine_threadsafe(engine.one_off(key, call), self.thread.start())
        return await asyncio.wrap_future(future)

    def resume(self) -> None:
        self._forward(self._poller.resume)

    def start(self) -> None:
        """Start polling on the poller thread now, before anyone awaits :meth:`run` (once)."""
        self._launch()

    async def run(self) -> None:
        """Start the poller thread (unless :meth:`start` did) and wait until the poller ends.

        Cancelling this stops the poller (see :meth:`stop`, without waiting). A poller crash is
        re-raised here, in the caller's loop.
        """
        done = asyncio.Event()
        with self._lock:
            self._watchers.append((asyncio.get_running_loop(), done))
            finished = self._finished.is_set()
        if finished:
            done.set()
        self._launch()
        try:
            await done.wait()
        except asyncio.CancelledError:
            self._request_stop()
            raise
        if self._error is not None:
            raise self._error

    def stop(self, timeout_s: float = 1.0) -> bool:
        """Cancel the poller, close the clients on its loop, stop and join the thread.

        Returns True when all that finished within ``timeout_s``. Safe to call more than once,
        from any thread but the poller's, before or after :meth:`run`.
        """
        self._request_stop()
        if self._launched is False:
            self._launch()  # never ran: start the loop only to close the clients on it
        done = self._finished.wait(timeout_s)
        if not self._owns_thread:
            return done
        return self.thread.join(max(0.05, timeout_s / 4)) and done

    async def aclose(self, timeout_s: float = 1.0) -> bool:
        """:meth:`stop` without blocking the caller's loop."""
        return await asyncio.to_thread(self.stop, timeout_s)

    def detach(self) -> PollerThread:
        """Cancel the poller but keep its loop thread and clients open, for a successor.

        Pass the returned thread to the next ThreadedPoller over the same clients: an
        ``httpx.AsyncClient`` must keep being used on the loop it started on.
        """
        self._close_clients = False
        self._owns_thread = False
        self._request_stop()
        return self.thread

    # -- plumbing -------------------------------------------------------------------------------
    def _forward(self, method: Callable[P, None], *args: P.args, **kwargs: P.kwargs) -> None:
        """Run ``method(*args)`` on the poller's loop, in call order."""
        if self._finished.is_set():
            return
        self.thread.call(partial(self._call_on_loop, partial(method, *args, **kwargs)))

    @staticmethod
    def _call_on_loop(call: Callable[[], None]) -> None:
        try:
            call()
        except Exception:  # a bad request must not stop the poller thread
            log.exception("poller control call %r failed", call)

    def _launch(self) -> None:
        with self._lock:
            if self._launched:
                return
            self._launched = True
        if not self.thread.call(self._start_on_loop):
            self._finish(RuntimeError("the poller thread's loop is closed"))

    def _request_stop(self) -> None:
        self._stop_requested = True
        if self._launched and not self._finished.is_set():
            self.thread.call(self._cancel_on_loop)

    def _start_on_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._stop_requested:
            loop.create_task(self._wind_down(None))
            return
        self._task = loop.create_task(self._run_poller(), name="poller")
        # A done callback runs even when the task is cancelled before its first step.
        self._task.add_done_callback(lambda task: loop.create_task(self._wind_down(task)))

    async def _run_poller(self) -> None:
        await self._poller.run()

    def _cancel_on_loop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _wind_down(self, task: asyncio.Task[None] | None) -> None:
        error: BaseException | None = None
        if task is not None and not task.cancelled():
            error = task.exception()
            if error is not None:
                log.error("poller crashed", exc_info=error)
        if self._close_clients:
            await _close_all(self.clients, self._close_timeout_s)
        self._finish(error)
        if self._owns_thread:
            self.thread.stop_soon()

    def _finish(self, error: BaseException | None) -> None:
        with self._lock:
            self._error = error
            self._finished.set()
            watchers, self._watchers = self._watchers, []
        for loop, event in watchers:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the caller's loop is gone
                pass


async def _close_all(clients: Iterable[_Closable], timeout_s: float) -> None:
    """Close each client, each within ``timeout_s``; failures are logged, never raised."""
    for client in clients:
        try:
            async with asyncio.timeout(timeout_s):
                await _maybe_await(client.aclose())
        except Exception:  # noqa: BLE001 - closing is best effort
            log.warning("closing a provider client failed", exc_info=True)


async def _maybe_await(value: Awaitable[None] | None) -> None:
    if value is not None:
        await value
