"""Full garbage collections while the user rests, not in the middle of a key's answer.

At fleet scale the heap holds hundreds of thousands of long-lived objects (5,000 resources'
states, samples and drawn rows), and a full (generation 2) collection walks all of them: 65-70
ms, landing on whatever key was being answered. Here automatic collections keep their two young
generations; the full one runs from :meth:`RestingCollector.tick` once the user has not touched a
key for :data:`REST_S` (every :data:`EVERY_S` at most), and regardless after :data:`LONGEST_S` so
memory stays bounded under constant typing. What survives a collection is frozen (``gc.freeze``):
the next ones walk only what was made since, a few milliseconds instead of 70, and every
:data:`WHOLE_EVERY`-th collection thaws everything first so garbage among old objects is found too
(the tenth, not the first: the first comes half a minute after start-up froze what it made).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from time import monotonic
from typing import Protocol

REST_S = 1.0  # no input for this long: the user is reading, a pause is not felt
EVERY_S = 30.0  # a full collection at most this often
LONGEST_S = 120.0  # and at least this often, resting or not
NEVER = 1_000_000_000  # a generation-2 threshold that is never reached
WHOLE_EVERY = 10  # every this many collections, one over every object (thawed first)


class GcModule(Protocol):
    def get_threshold(self) -> tuple[int, int, int]: ...
    def set_threshold(self, threshold0: int, threshold1: int = ..., threshold2: int = ...) -> None: ...
    def collect(self, generation: int = ...) -> int: ...
    def freeze(self) -> None: ...
    def unfreeze(self) -> None: ...


class RestingCollector:
    """Moves full collections to moments without input (see the module's docstring)."""

    def __init__(self, *, clock: Callable[[], float] = monotonic, collector: GcModule = gc) -> None:
        self._clock = clock
        self._gc = collector
        self._saved: tuple[int, int, int] | None = None
        self._input_at = float("-inf")
        self._collected_at = clock()
        self._collections = 0

    def start(self) -> None:
        """Stop automatic full collections (the young generations keep theirs)."""
        if self._saved is None:
            self._saved = self._gc.get_threshold()
            self._gc.set_threshold(self._saved[0], self._saved[1], NEVER)

    def stop(self) -> None:
        """Give the interpreter its own thresholds back, and thaw what was frozen."""
        if self._saved is not None:
            self._gc.set_threshold(*self._saved)
            self._gc.unfreeze()
            self._saved = None

    def input_seen(self) -> None:
        """A key or a click arrived."""
        self._input_at = self._clock()

    def tick(self) -> bool:
        """Collect fully if it is due and the user rests (or it is overdue); True if it did."""
        if self._saved is None:
            return False
        now = self._clock()
        since = now - self._collected_at
        resting = now - self._input_at >= REST_S
        if not (since >= LONGEST_S or (resting and since >= EVERY_S)):
            return False
        if self._collections % WHOLE_EVERY == WHOLE_EVERY - 1:
            # This time over every object, the oldest too. Not the first time: what was frozen
            # at start-up (modules, the app) was frozen moments ago and is walked at the tenth.
            self._gc.unfreeze()
        self._gc.collect()
        self._gc.freeze()  # the survivors: the next collections need not walk them again
        self._collections += 1
        self._collected_at = self._clock()
        return True
