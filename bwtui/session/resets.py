"""Counter resets seen by the monitor: where a totals-only provider's billing period began.

Altostrat reports billing-period totals and no period dates; when its counters drop, a new period
has begun (``../shared/providers.md``). The one-shot commands find the last drop in the stored
readings (:func:`bwtui.periods.last_reset`); a monitor left open must find it too, or it projects a
period that began at 13:00 as if it had run since the 1st. :class:`CounterResets` keeps, per
resource, the last reading and the last drop: seeded from history when the monitor starts, then
from every reading it polls.
"""

from __future__ import annotations

from collections.abc import Iterable

from bwtui.history import HistoryStore
from bwtui.model import Reading, ResourceState
from bwtui.periods import RESET_LOOKBACK_S, last_reset

Key = tuple[str, str]


class CounterResets:
    """The last counter drop per resource (the midpoint of the two readings around it)."""

    def __init__(self) -> None:
        self._last: dict[Key, Reading] = {}
        self._reset_at: dict[Key, float] = {}

    def seed(self, found: dict[Key, tuple[Reading | None, float | None]]) -> None:
        """What history showed: per resource its last stored reading and last reset (if any)."""
        for key, (reading, reset_at) in found.items():
            if reading is not None and key not in self._last:
                self._last[key] = reading
            if reset_at is not None and reset_at > self._reset_at.get(key, float("-inf")):
                self._reset_at[key] = reset_at

    def note(self, state: ResourceState) -> bool:
        """Take the state's period totals; True when they show a new reset."""
        usage = state.usage
        if usage is None or usage.period_in_bytes is None or usage.period_out_bytes is None:
            return False
        if usage.as_of is None:
            return False
        key = state.resource.key
        reading = Reading(usage.as_of, usage.period_in_bytes, usage.period_out_bytes)
        before = self._last.get(key)
        if before is not None and reading.t <= before.t:
            return False
        self._last[key] = reading
        if before is None:
            return False
        reset_at = last_reset([before, reading])
        if reset_at is None:
            return False
        self._reset_at[key] = reset_at
        return True

    def reset_at(self, key: Key) -> float | None:
        """When this resource's counters last dropped (None: never seen)."""
        return self._reset_at.get(key)

    def forget(self, keys: Iterable[Key]) -> None:
        for key in keys:
            self._last.pop(key, None)
            self._reset_at.pop(key, None)


def load_resets(
    history: HistoryStore, accounts: Iterable[str], now: float
) -> dict[Key, tuple[Reading | None, float | None]]:
    """Per stored resource of these accounts that has readings: its last reading and last reset.

    Blocks (SQLite): run it in a thread.
    """
    wanted = set(accounts)
    found: dict[Key, tuple[Reading | None, float | None]] = {}
    for key in history.keys():
        if key[0] not in wanted:
            continue
        readings = history.readings(key, since=now - RESET_LOOKBACK_S)
        if readings:
            found[key] = (readings[-1], last_reset(readings))
    return found
