"""Poll events from any thread, taken by the view's loop in bursts.

The threaded poller produces events on its own thread; the view applies them on its loop.
Handing each event over as its own message costs the view a message dispatch per event, and
right after a listing of 5,000 resources that is 5,000 dispatches before the first frame. The
inbox keeps events in order and wakes the view once per burst (when the first event arrives
into an empty inbox); the view takes them in slices, so a key pressed during a burst of
thousands waits for one slice, not for all of them.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from bwtui.events import PollEvent

SLICE = 500  # events applied per turn of the view's loop before it looks at input again


class EventInbox:
    """Thread-safe FIFO of poll events; ``wake()`` is called (on the putting thread) each time an
    event lands in an empty inbox, and must hand a wake-up to the view's loop."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake
        self._lock = threading.Lock()
        self._events: deque[PollEvent] = deque()

    def put(self, event: PollEvent) -> None:
        with self._lock:
            was_empty = not self._events
            self._events.append(event)
        if was_empty:
            self._wake()

    def take(self, limit: int = SLICE) -> tuple[list[PollEvent], bool]:
        """Up to ``limit`` events in order, and whether more are waiting (then wake yourself)."""
        with self._lock:
            events = self._events
            taken = [events.popleft() for _ in range(min(limit, len(events)))]
            return taken, bool(events)

    def __len__(self) -> int:
        return len(self._events)
