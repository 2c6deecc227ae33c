"""Pacing: a token bucket refilled continuously, so a budget is spread over its window.

The window budget (:class:`~bwtui.polling.budget.Budget`) says how many requests may still go
before the provider's window resets; the pacer says how fast. Without it a poller spends a
fleet's backlog as fast as the network allows (issue 15: 3,567 of the hour's 3,600 requests in
the first 10 s at 5,000 services, then nothing for the rest of the hour).

Policy (:func:`plan`):
- rate: what the rest of the window can carry (remaining / time left), at most
  ``max_rate_factor`` times the even share (limit / window), times this process's share of
  the host's budget (see the ledger). A provider that states no limit is paced at twice the
  fleet's natural demand (at least ``unmetered_min_rps``), which spreads a start-up over half
  an interval instead of one burst.
- burst: when the fleet's natural demand fits the rate, the bucket holds a whole cohort
  (every resource's next point is published at the same moment, and should be fetched then:
  see issue 9's freshness target); when it does not fit, only ``first_screen`` tokens, so the
  busiest minute stays within ``first_screen + 60 x rate``.
- the bucket starts with ``start_tokens``: the first screenful of data (the selected and
  visible resources go first) arrives at once, the rest at the paced rate, never as a burst.
  With the defaults the busiest minute holds at most 27 + 60 requests against Hivelocity's
  3,600/h (2.5 % of the hour), and 20 + 60 x 1.1 once running.
- urgent requests (the selected resource, the user's refresh) may run the bucket
  ``urgent_debt`` tokens into debt, repaid by the next refills.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bwtui.polling.budget import Budget


@dataclass(frozen=True, slots=True)
class PaceTuning:
    """Knobs of the pacer."""

    start_tokens: int = 27  # the first screenful at once: the listing and a dozen resources
    first_screen: int = 20  # the bucket's size when the fleet is stretched
    max_rate_factor: float = 1.1  # never faster than this times the even share of the limit
    cohort_factor: float = 1.25  # bucket size per resource when the fleet fits the budget
    urgent_debt: int = 4  # tokens an urgent request may borrow
    unmetered_min_rps: float = 2.0


@dataclass(frozen=True, slots=True)
class Pace:
    """What the pacer runs at, and why (shown by the UI through ``BudgetUpdated``)."""

    rate_rps: float
    capacity: float
    stretch: float  # how much the natural intervals of unselected resources stretch (>= 1)
    reason: str


def plan(
    budget: Budget,
    now: float,
    *,
    demand_rps: float,
    resources: int,
    share: float = 1.0,
    tuning: PaceTuning | None = None,
) -> Pace:
    """The pace for a group whose resources cost ``demand_rps`` at their natural cadence."""
    tuning = tuning or PaceTuning()
    small = float(tuning.first_screen)
    cohort = max(small, math.ceil(resources * tuning.cohort_factor))
    supply = budget.supply_rps(now)
    even = budget.even_rps()
    if supply is None or even is None:
        rate = max(tuning.unmetered_min_rps, 2.0 * demand_rps)
        return Pace(rate, cohort, 1.0, "no request limit stated by the provider")
    share = max(0.0, min(share, 1.0))
    rate = min(supply, tuning.max_rate_factor * even) * share
    # The stretch a user sees follows the window's even share, not every wobble of what is
    # left near a reset; only a budget running out (someone else spent it) shows at once.
    planned = even * share if supply >= 0.5 * even else rate
    stretch = budget.stretch(demand_rps, planned)
    if budget.blocked(now):
        reason = f"rate limited by the provider{': ' + budget.block_reason if budget.block_reason else ''}"
    elif stretch > 1.0:
        hourly_need, hourly_rate = demand_rps * 3600, planned * 3600
        reason = (
            f"{resources} resources need {hourly_need:,.0f} requests/h at their natural cadence; "
            f"the budget allows {hourly_rate:,.0f}/h here"
        )
        if share < 1.0:
            reason += f" ({share:.0%} of the host's budget: other bwtui processes share it)"
    else:
        reason = "within budget"
    capacity = small if stretch > 1.0 else cohort
    return Pace(rate, capacity, stretch, reason)


class TokenBucket:
    """Tokens refilled continuously at ``rate_rps`` up to ``capacity``. Not thread-safe."""

    def __init__(self, now: float, *, rate_rps: float, capacity: float, tokens: float, urgent_debt: int = 4) -> None:
        self.rate_rps = rate_rps
        self.capacity = capacity
        self.tokens = tokens
        self.urgent_debt = urgent_debt
        self._at = now

    def configure(self, now: float, rate_rps: float, capacity: float) -> None:
        """Change rate and size; tokens already held are kept (refills stop at the size)."""
        self._refill(now)
        self.rate_rps = max(0.0, rate_rps)
        self.capacity = capacity

    def _refill(self, now: float) -> None:
        if now > self._at and self.tokens < self.capacity:
            self.tokens = min(self.capacity, self.tokens + (now - self._at) * self.rate_rps)
        self._at = max(self._at, now)

    def available(self, now: float, *, urgent: bool = False) -> int:
        """Whole tokens that may be spent now (urgent ones may borrow)."""
        self._refill(now)
        return max(0, math.floor(self.tokens + (self.urgent_debt if urgent else 0) + 1e-9))

    def take(self, now: float, count: int) -> None:
        self._refill(now)
        self.tokens -= count

    def give_back(self, count: int) -> None:
        self.tokens = min(self.capacity, self.tokens + count)

    def ready_at(self, now: float, count: int = 1, *, urgent: bool = False) -> float:
        """When ``count`` whole tokens are there (inf when the rate is zero)."""
        self._refill(now)
        count = max(1, min(count, math.floor(self.capacity + (self.urgent_debt if urgent else 0))))
        missing = count - (self.tokens + (self.urgent_debt if urgent else 0))
        if missing <= 0:
            return now
        if self.rate_rps <= 0:
            return math.inf
        return now + missing / self.rate_rps
