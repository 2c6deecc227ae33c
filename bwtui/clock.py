"""Clocks the poller runs on: the real one, and a fake one that simulates a day in seconds.

The poller only ever asks a clock for ``now()``, ``sleep()``, ``call_at()`` and ``timeout()``.
:class:`FakeClock` implements them on simulated time; :meth:`FakeClock.run` drives a coroutine
by jumping to the next pending wake-up whenever every task on the loop is blocked.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")


class TimerHandle(Protocol):
    """Something a scheduled callback can be cancelled through."""

    def cancel(self) -> None: ...


@runtime_checkable
class Clock(Protocol):
    """Wall-clock time (epoch seconds) and waiting on it."""

    def now(self) -> float: ...

    async def sleep(self, delay_s: float) -> None: ...


class RealClock:
    """``time.time`` and ``asyncio.sleep``."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, delay_s: float) -> None:
        await asyncio.sleep(max(0.0, delay_s))

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` on the loop at epoch time ``when``."""
        loop = asyncio.get_running_loop()
        return loop.call_later(max(0.0, when - time.time()), callback)

    def timeout(self, delay_s: float | None) -> AbstractAsyncContextManager[Any]:
        """``asyncio.timeout``: raises ``TimeoutError`` when the block outlives ``delay_s``."""
        return asyncio.timeout(delay_s)


class _FakeTimer:
    __slots__ = ("when", "callback", "cancelled")

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """Simulated time. ``sleep()`` returns only when :meth:`advance` or :meth:`run` moves time.

    ``start`` is the simulated epoch time to begin at.
    """

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = float(start)
        self._timers: list[tuple[float, int, _FakeTimer]] = []
        self._seq = itertools.count()

    # -- the Clock protocol ------------------------------------------------------------------
    def now(self) -> float:
        return self._now

    async def sleep(self, delay_s: float) -> None:
        if delay_s <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        handle = self.call_at(self._now + delay_s, lambda: _resolve(future))
        try:
            await future
        finally:
            handle.cancel()

    def call_at(self, when: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` when simulated time reaches ``when``."""
        timer = _FakeTimer(float(when), callback)
        heapq.heappush(self._timers, (timer.when, next(self._seq), timer))
        return timer

    def timeout(self, delay_s: float | None) -> AbstractAsyncContextManager[Any]:
        """Like ``asyncio.timeout``, measured in simulated seconds."""
        return self._timeout(delay_s)

    @asynccontextmanager
    async def _timeout(self, delay_s: float | None):  # type: ignore[no-untyped-def]
        async with asyncio.timeout(None) as scope:
            if delay_s is None:
                yield scope
                return
            loop = asyncio.get_running_loop()

            def expire() -> None:
                try:
                    scope.reschedule(loop.time())
                except RuntimeError:  # the block already ended
                    pass

            handle = self.call_at(self._now + max(0.0, delay_s), expire)
            try:
                yield scope
            finally:
                handle.cancel()

    # -- moving time -------------------------------------------------------------------------
    def next_wake(self) -> float | None:
        """When the earliest pending timer fires, or None when nothing waits on the clock."""
        timers = self._timers
        while timers and timers[0][2].cancelled:
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    @property
    def pending(self) -> int:
        """How many timers are waiting (cancelled ones excluded)."""
        return sum(1 for _, _, timer in self._timers if not timer.cancelled)

    def advance(self, delay_s: float) -> None:
        """Jump ``delay_s`` ahead, firing every timer due by then, in order.

        Woken tasks run only when the caller next yields to the loop; prefer :meth:`run_for`,
        which lets them run between timers.
        """
        self._fire_until(self._now + max(0.0, delay_s))

    def _fire_until(self, target: float) -> None:
        timers = self._timers
        while timers and timers[0][0] <= target:
            when, _, timer = heapq.heappop(timers)
            if timer.cancelled:
                continue
            self._now = max(self._now, when)
            timer.cancelled = True
            timer.callback()
        self._now = max(self._now, target)

    async def settle(self, max_rounds: int = 100_000) -> None:
        """Yield until no task on the loop can run without time moving.

        Uses the standard event loop's ready queue; on other loops it yields a fixed number
        of times.
        """
        loop = asyncio.get_running_loop()
        ready = getattr(loop, "_ready", None)
        if ready is None:
            for _ in range(200):
                await asyncio.sleep(0)
            return
        for _ in range(max_rounds):
            await asyncio.sleep(0)
            if not ready:
                return

    async def run_for(self, duration_s: float) -> None:
        """Let simulated time pass for ``duration_s``, timer by timer, settling in between."""
        await self.run_until(self._now + duration_s)

    async def run_until(self, target: float, *, stop: Callable[[], bool] | None = None) -> None:
        """Step through every wake-up up to ``target`` (or until ``stop()`` is true)."""
        await self.settle()
        while stop is None or not stop():
            wake = self.next_wake()
            if wake is None or wake > target:
                break
            self._fire_until(wake)
            await self.settle()
        if stop is None or not stop():
            self._now = max(self._now, target)
            await self.settle()

    async def run(self, awaitable: Awaitable[T], *, until: float | None = None) -> T | None:
        """Run ``awaitable`` on simulated time; return its result.

        Whenever every task is blocked, time jumps to the next pending wake-up. If ``until``
        (simulated epoch seconds) comes first, the awaitable is cancelled and None returned.
        Raises ``RuntimeError`` on a deadlock (nothing can run and nothing waits on the clock).
        """
        task = asyncio.ensure_future(awaitable)
        try:
            while True:
                await self.settle()
                if task.done():
                    return task.result()
                wake = self.next_wake()
                if wake is None:
                    if until is not None:
                        self._now = max(self._now, until)
                        break
                    # Possibly waiting on real I/O or a real timer: give it a moment.
                    await asyncio.sleep(0.001)
                    if task.done() or self.next_wake() is not None:
                        continue
                    raise RuntimeError("deadlock: every task waits and no timer is pending")
                if until is not None and wake > until:
                    self._now = max(self._now, until)
                    break
                self._fire_until(wake)
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        return None


def _resolve(future: asyncio.Future[Any], value: Any = None) -> None:
    if not future.done():
        future.set_result(value)


class Waker:
    """A reusable wake-up signal: :meth:`wake` ends every current :func:`sleep_until` on it."""

    __slots__ = ("_futures", "_pending")

    def __init__(self) -> None:
        self._futures: set[asyncio.Future[bool]] = set()
        self._pending = False

    def wake(self) -> None:
        """Wake current sleepers; with none, the next sleep returns at once."""
        if not self._futures:
            self._pending = True
            return
        for future in self._futures:
            _resolve(future, True)
        self._futures.clear()

    async def wait(self) -> None:
        """Wait (with no timer) until the next :meth:`wake`."""
        if self._take_pending():
            await asyncio.sleep(0)
            return
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._futures.add(future)
        try:
            await future
        finally:
            self._futures.discard(future)

    def _take_pending(self) -> bool:
        pending, self._pending = self._pending, False
        return pending


async def sleep_until(clock: Clock, when: float, waker: Waker | None = None) -> bool:
    """Sleep until epoch ``when`` on ``clock``; True when ``waker`` ended it early."""
    if waker is not None and waker._take_pending():
        await asyncio.sleep(0)
        return True
    if math.isinf(when):
        if waker is None:
            raise ValueError("sleeping forever with no waker")
        await waker.wait()
        return True
    call_at = getattr(clock, "call_at", None)
    if call_at is None:  # a minimal clock: fall back to a sleeping task
        return await _sleep_until_generic(clock, when, waker)
    future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    handle = call_at(when, lambda: _resolve(future, False))
    if waker is not None:
        waker._futures.add(future)
    try:
        return await future
    finally:
        handle.cancel()
        if waker is not None:
            waker._futures.discard(future)


async def _sleep_until_generic(clock: Clock, when: float, waker: Waker | None) -> bool:
    sleeper = asyncio.ensure_future(clock.sleep(max(0.0, when - clock.now())))
    if waker is None:
        await sleeper
        return False
    future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    waker._futures.add(future)
    sleeper.add_done_callback(lambda _: _resolve(future, False))
    try:
        return await future
    finally:
        sleeper.cancel()
        waker._futures.discard(future)


def deadline(clock: Clock, delay_s: float | None) -> AbstractAsyncContextManager[Any]:
    """A timeout scope measured on ``clock`` (``asyncio.timeout`` for clocks without one)."""
    timeout = getattr(clock, "timeout", None)
    return timeout(delay_s) if timeout is not None else asyncio.timeout(delay_s)
