"""A provider request budget shared by every account behind one host (Hivelocity: per IP).

The budget learns the window from the ``X-RateLimit-*`` figures of responses, counts requests it
lets out, and says how many more may go before the window resets. It never lets the estimate of
what is left go below zero, so a key that follows it receives no 429. It also says how much the
intervals of resources nobody is looking at must be stretched for the demand to fit.
"""

from __future__ import annotations

from dataclasses import dataclass

from bwtui.model import RateLimit

UNLIMITED = 1 << 30


@dataclass(frozen=True, slots=True)
class BudgetTuning:
    """Knobs of the budget; the defaults suit Hivelocity (3,600 requests an hour)."""

    window_s: float = 3600.0  # assumed window length when only "seconds to reset" is known
    probe_requests: int = 4  # requests allowed out before the first figures of a window arrive
    reserve_fraction: float = 0.01  # kept back for the selected resource and user requests
    reset_margin_s: float = 1.0  # wait this long past the announced reset
    spend_window_s: float = 120.0  # in the last N seconds of a window, spend what is left
    max_stretch: float = 48.0  # never stretch an interval more than this
    headroom: float = 1.1  # plan for 10% more demand than the natural cadence
    default_block_s: float = 300.0  # after a 429 without a Retry-After


class Budget:
    """One request budget. Not thread-safe: lives on the event loop."""

    def __init__(self, name: str, tuning: BudgetTuning | None = None) -> None:
        self.name = name
        self.tuning = tuning or BudgetTuning()
        self.metered: bool | None = None  # None until a response said whether limits exist
        self.limit: int | None = None
        self.remaining: int | None = None  # estimate, already less the requests let out since
        self.window_end: float | None = None
        self.confirmed = False  # figures seen for the current window
        self.blocked_until = 0.0
        self.inflight = 0
        self.issued = 0
        self.rejected = 0
        self.last_rate_limit: RateLimit | None = None
        self._spent_window: float | None = None

    # -- gate --------------------------------------------------------------------------------
    def _roll(self, now: float) -> None:
        """Assume the window reset once its end (plus a margin) has passed."""
        end = self.window_end
        if end is not None and now >= end + self.tuning.reset_margin_s:
            self.window_end = None
            self.remaining = self.limit
            self.confirmed = False

    @property
    def reserve(self) -> int:
        if not self.limit:
            return 0
        return max(1, int(self.limit * self.tuning.reserve_fraction))

    def available(self, now: float, *, urgent: bool = False) -> int:
        """How many requests may go out now; ``urgent`` ones may use the reserve."""
        self._roll(now)
        if now < self.blocked_until:
            return 0
        if self.metered is False:
            return UNLIMITED
        free = UNLIMITED if self.remaining is None else self.remaining - (0 if urgent else self.reserve)
        if not self.confirmed:
            free = min(free, self.tuning.probe_requests - self.inflight)
        return max(0, free)

    def open_at(self, now: float) -> float | None:
        """When the gate opens by time alone (None: when a request in flight completes)."""
        if now < self.blocked_until:
            return self.blocked_until
        if self.window_end is not None and self.confirmed:
            return self.window_end + self.tuning.reset_margin_s
        return None

    def take(self, count: int = 1) -> None:
        """Let ``count`` requests out."""
        self.inflight += count
        self.issued += count
        if self.remaining is not None:
            self.remaining -= count

    def give_back(self, count: int) -> None:
        """``count`` taken requests were not sent after all."""
        self.inflight -= count
        self.issued -= count
        if self.remaining is not None:
            self.remaining += count

    def complete(self, now: float, rate_limit: RateLimit | None, *, answered: bool = True) -> bool:
        """A request came back; ``rate_limit`` is the client's latest figures.

        ``answered`` is False when no response arrived (network error, timeout): then a
        missing ``rate_limit`` says nothing about whether the provider meters requests.
        Returns True when ``rate_limit`` was new information. A 429 also calls :meth:`block`.
        """
        self.inflight = max(0, self.inflight - 1)
        fresh = rate_limit is not None and rate_limit is not self.last_rate_limit
        if rate_limit is None:
            if self.metered is None and answered:
                self.metered = False
        elif fresh:
            self.last_rate_limit = rate_limit
            self._observe(now, rate_limit)
        return fresh

    def _observe(self, now: float, rate_limit: RateLimit) -> None:
        if rate_limit.remaining is None and rate_limit.limit is None:
            return
        self.metered = True
        if rate_limit.limit is not None:
            self.limit = rate_limit.limit
        if rate_limit.remaining is None:
            return
        end = now + rate_limit.reset_s if rate_limit.reset_s is not None else None
        if end is None and self.window_end is None:
            end = now + self.tuning.window_s
        candidate = rate_limit.remaining - self.inflight
        new_window = (
            self.remaining is None
            or (end is not None and self.window_end is not None and end > self.window_end + 5.0)
        )
        if new_window:
            self.remaining = candidate
            if end is not None:
                self.window_end = end
        else:
            self.remaining = min(self.remaining if self.remaining is not None else candidate, candidate)
            if end is not None:
                self.window_end = end if self.window_end is None else max(self.window_end, end)
        self.confirmed = True

    def block(self, now: float, retry_after_s: float | None) -> None:
        """A 429: nothing more goes out until the provider said to come back."""
        self.rejected += 1
        wait_s = retry_after_s if retry_after_s is not None and retry_after_s >= 0 else self.tuning.default_block_s
        until = now + wait_s
        self.blocked_until = max(self.blocked_until, until)
        if self.metered:
            self.remaining = 0
            self.window_end = max(self.window_end or until, until - self.tuning.reset_margin_s)
            self.confirmed = True

    # -- pacing ------------------------------------------------------------------------------
    def stretch(self, now: float, demand_rps: float, selected_rps: float = 0.0) -> float:
        """Factor (>= 1) to multiply the intervals of unselected resources by.

        Supply is what can be spent over the next window length: what is left of this window
        plus the share of the next one that falls inside it.
        """
        if not self.metered or not self.limit or self.remaining is None:
            return 1.0
        window_s = self.tuning.window_s
        left_s = window_s if self.window_end is None else min(max(self.window_end - now, 0.0), window_s)
        supply = max(self.remaining - self.reserve, 0) + self.limit * (window_s - left_s) / window_s
        supply_rps = supply / window_s - selected_rps
        other_rps = (demand_rps - selected_rps) * self.tuning.headroom
        if other_rps <= 0:
            return 1.0
        if supply_rps <= 0:
            return self.tuning.max_stretch
        return min(self.tuning.max_stretch, max(1.0, other_rps / supply_rps))

    def leftover(self, now: float) -> int:
        """Requests to spend now because the window ends soon and they would be lost (once)."""
        if not self.metered or self.window_end is None or self.remaining is None or not self.confirmed:
            return 0
        if self._spent_window == self.window_end:
            return 0
        if self.window_end - now > self.tuning.spend_window_s:
            return 0
        self._spent_window = self.window_end
        return max(0, self.remaining - self.reserve)

    def spend_at(self) -> float | None:
        """When :meth:`leftover` next has something to say."""
        if not self.metered or self.window_end is None or self._spent_window == self.window_end:
            return None
        return self.window_end - self.tuning.spend_window_s
