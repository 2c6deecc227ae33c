"""When does a provider publish its next data point? Learned from what every fetch returned.

A provider serves rows on a fixed step (Hivelocity: 5-minute rate rows, hourly totals rows) and
publishes each some delay ``D`` after the row's label (its timestamp). Nobody documents ``D``
and the label convention (interval start or end) is not verified, so the poller learns it:
a fetch at time ``f`` whose newest row is labeled ``t`` proves that row ``t`` was out by age
``f - t`` (``D <= f - t``) and that row ``t + step`` was not out at its age ``f - t - step``
(``D > f - t - step``). Every fetch of every resource of the account narrows ``D`` from both
sides; when the two bounds are far apart one resource now and then asks a little earlier
(a binary search costing one request per probe) so the estimate tightens even when every
resource is polled at the same phase.

Why a long-running monitor used to lag a fresh start (issue 9): the old rule asked for the
next row at ``t + step + lag``; the provider publishes rows when their interval *ends*, at
``t + 2 step``, so every fetch found nothing new, the lag grew and a miss waited one more full
step. Here a fetch is planned for ``t + step + D`` (plus a small margin), and a miss (the row
is not out yet) is retried after a short, growing delay rather than a whole step.

The *data time* of a row is the end of the interval it describes. When no row was ever seen
earlier than one step after its label, labels mark interval starts and a row's data time is
``label + step``; otherwise labels are ends (the data time is the label). Totals carry their
own end (``Usage.as_of``), so both figures say "as of" the same way.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Extremum:
    """Sliding-window minimum (``sign`` = 1) or maximum (``sign`` = -1) of timed values."""

    sign: float
    memory_s: float
    items: deque[tuple[float, float]] = field(default_factory=deque)  # (observed at, value)

    def add(self, at: float, value: float) -> None:
        items = self.items
        while items and items[-1][1] * self.sign >= value * self.sign:
            items.pop()
        items.append((at, value))

    def get(self, now: float) -> float | None:
        items = self.items
        while items and items[0][0] < now - self.memory_s:
            items.popleft()
        return items[0][1] if items else None

    def clear(self) -> None:
        self.items.clear()


class PublicationClock:
    """One account's publication delay for one kind of row (``step_s`` apart)."""

    def __init__(
        self,
        step_s: float,
        *,
        margin_s: float = 5.0,
        tolerance_s: float = 20.0,
        memory_s: float = 6 * 3600.0,
        first_retry_s: float = 15.0,
    ) -> None:
        self.step_s = float(step_s)
        self.margin_s = margin_s  # ask this long after the estimated publication
        self.tolerance_s = tolerance_s  # stop probing once the bounds are this close
        self.first_retry_s = first_retry_s
        self._hi = _Extremum(1.0, memory_s)  # smallest age at which a row was seen out
        self._lo = _Extremum(-1.0, memory_s)  # largest age at which the next row was not out
        self._probe_at = -math.inf
        self._earliest_seen = math.inf  # smallest age ever seen out (for the label convention)

    # -- learning ------------------------------------------------------------------------------
    def observe(self, fetched_at: float, newest_label: float) -> None:
        """A fetch at ``fetched_at`` returned rows up to ``newest_label``."""
        age = fetched_at - newest_label
        if age < 0:  # a clock skew or a row from the future: nothing to learn
            return
        hi, lo = self._hi.get(fetched_at), self._lo.get(fetched_at)
        not_out = age - self.step_s
        if hi is not None and not_out > hi + self.step_s:
            return  # this resource is more than a step late: its own problem, not the provider's
        if lo is not None and age <= lo:
            self._lo.clear()  # out earlier than a miss said: the provider got faster
        if hi is not None and not_out >= hi:
            self._hi.clear()  # not out later than a hit said: the provider got slower
        self._hi.add(fetched_at, age)
        self._lo.add(fetched_at, max(not_out, 0.0))  # no row is out before its own label
        self._earliest_seen = min(self._earliest_seen, age)

    def bounds(self, now: float) -> tuple[float | None, float | None]:
        """(lower, upper) bound of the publication delay known at ``now``."""
        return self._lo.get(now), self._hi.get(now)

    def delay_s(self, now: float) -> float | None:
        """The publication delay to plan with: the smallest age a row was seen out at."""
        lo, hi = self.bounds(now)
        if hi is None:
            return None
        return max(hi, lo) if lo is not None else hi

    @property
    def labels_are_starts(self) -> bool:
        """True when no row was ever out before one step after its label."""
        return self._earliest_seen >= self.step_s - 1.0 and math.isfinite(self._earliest_seen)

    def data_time(self, label: float) -> float:
        """The end of the interval a row labeled ``label`` describes."""
        return label + self.step_s if self.labels_are_starts else label

    # -- planning ------------------------------------------------------------------------------
    def next_due(self, newest_label: float | None, fetched_at: float, misses: int) -> float:
        """When to ask for the row after ``newest_label`` (fetched at ``fetched_at``).

        ``misses``: how many fetches in a row found nothing new (0 after a new row).
        """
        floor = fetched_at + self.retry_s(misses)
        if newest_label is None:
            return fetched_at + self.step_s
        lo, hi = self.bounds(fetched_at)
        if hi is None:
            return fetched_at + self.step_s
        target = max(hi, lo) if lo is not None else hi
        if (
            misses == 0
            and lo is not None
            and hi - lo > self.tolerance_s
            and fetched_at - self._probe_at >= self.step_s
        ):
            self._probe_at = fetched_at  # one resource a step asks earlier, to tighten the bounds
            target = (lo + hi) / 2.0
        due = newest_label + self.step_s + target + self.margin_s
        if misses:
            return max(due, floor)
        if due <= fetched_at:  # the estimate says it is out, yet it was not: look again soon
            return fetched_at + self.retry_s(1)
        return due

    def retry_s(self, misses: int) -> float:
        """How soon to ask again after ``misses`` fetches in a row found no new row."""
        if misses <= 0:
            return 0.0
        return min(self.step_s, self.first_retry_s * 2.0 ** (misses - 1))
