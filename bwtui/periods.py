"""Billing-period arithmetic: where the current period starts and ends (UTC), and why."""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bwtui.model import Reading


def _month_start(year: int, month: int, billing_day: int) -> datetime:
    """The period boundary in that month: ``billing_day`` clamped to the month's length."""
    last_day = calendar.monthrange(year, month)[1]
    return datetime(year, month, min(billing_day, last_day), tzinfo=UTC)


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def period_bounds(now: float, billing_day: int = 1) -> tuple[float, float]:
    """Start and end (epoch seconds) of the billing period containing ``now``.

    Periods run from ``billing_day`` 00:00 UTC of one month to the same day of the next;
    a day past the month's end (31 in February) means the month's last day.
    """
    if not 1 <= billing_day <= 31:
        raise ValueError("billing_day must be 1..31")
    moment = datetime.fromtimestamp(now, UTC)
    start = _month_start(moment.year, moment.month, billing_day)
    if moment < start:
        start = _month_start(*_shift_month(moment.year, moment.month, -1), billing_day)
    end = _month_start(*_shift_month(start.year, start.month, 1), billing_day)
    return start.timestamp(), end.timestamp()


def iso_utc(t: float | None) -> str | None:
    """ISO-8601 UTC with a ``Z`` suffix, to the second; None stays None."""
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------------------------------
# Where a resource's billing period comes from (pure; billing.py adds the config lookup)
# ----------------------------------------------------------------------------------------------

PROVIDER = "provider"
CONFIG = "config"
OBSERVED_RESET = "observed_reset"
CALENDAR = "calendar"
PERIOD_SOURCES = (PROVIDER, CONFIG, OBSERVED_RESET, CALENDAR)

MONTHLY_SPAN_S = (27 * 86400, 32 * 86400)  # a stated cycle this long is stepped by months
_MAX_STEPS = 2400  # 200 years of months: a bound, never a loop


@dataclass(frozen=True, slots=True)
class BillingPeriod:
    """A billing period and where it came from (``source`` is one of :data:`PERIOD_SOURCES`)."""

    start: float
    end: float
    source: str
    notes: tuple[str, ...] = ()

    @property
    def length_s(self) -> float:
        return self.end - self.start


def add_months(t: float, months: int) -> float:
    """``t`` moved by whole calendar months, same day (clamped to the month's end) and time."""
    moment = datetime.fromtimestamp(t, UTC)
    year, month = _shift_month(moment.year, moment.month, months)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day).timestamp()


def cycle_containing(anchor_start: float, anchor_end: float, at: float) -> tuple[float, float] | None:
    """The cycle like [anchor_start, anchor_end) that contains ``at``; None if it cannot be placed.

    A cycle of about a month (27–32 days) steps by calendar months from ``anchor_start`` (so a
    cycle starting on the 31st stays on the month's last day); any other length steps by itself.
    """
    span = anchor_end - anchor_start
    if span <= 0:
        return None
    monthly = MONTHLY_SPAN_S[0] <= span <= MONTHLY_SPAN_S[1]
    if not monthly:
        steps = math.floor((at - anchor_start) / span)
        if abs(steps) > _MAX_STEPS * 31:
            return None
        start = anchor_start + steps * span
        return start, start + span
    # Estimate the month offset, then correct by at most a step either way.
    guess = math.floor((at - anchor_start) / (30.436875 * 86400))
    if abs(guess) > _MAX_STEPS:
        return None
    for offset in (guess - 1, guess, guess + 1, guess - 2, guess + 2):
        start = add_months(anchor_start, offset)
        end = add_months(anchor_start, offset + 1)
        if start <= at < end:
            return start, end
    return None


RESET_LOOKBACK_S = 64 * 86400  # two months of readings: the last counter reset is in there


def last_reset(readings: Sequence[Reading]) -> float | None:
    """When the counters last dropped (a new period): halfway between the two readings around it.

    ``readings`` are a resource's stored period totals, oldest first. None when no drop is seen.
    """
    found = None
    for before, after in zip(readings, readings[1:]):
        if after.t > before.t and (after.in_bytes < before.in_bytes or after.out_bytes < before.out_bytes):
            found = (before.t + after.t) / 2
    return found


def resolve_period(
    at: float,
    *,
    account_billing_day: int = 1,
    resource_billing_day: int | None = None,
    provider_start: float | None = None,
    provider_end: float | None = None,
    observed_reset_at: float | None = None,
) -> BillingPeriod:
    """The billing period containing ``at``, from the most specific source that has one.

    Order: a per-resource ``billing_day`` in the config (the user's word for that resource); the
    provider's own statement of the cycle (Hivelocity ``lastRenew``/``renewDate``); a counter
    reset seen in history (Altostrat: the new period starts at the reset, and repeats monthly);
    the account's ``billing_day`` (``config`` unless it is 1, which is the calendar month).
    """
    notes: list[str] = []
    if resource_billing_day is not None:
        start, end = period_bounds(at, resource_billing_day)
        return BillingPeriod(start, end, CONFIG)
    if provider_start is not None and provider_end is not None:
        cycle = cycle_containing(provider_start, provider_end, at)
        if cycle is not None:
            return BillingPeriod(cycle[0], cycle[1], PROVIDER)
        notes.append("the provider's billing cycle could not be placed around this time")
    if observed_reset_at is not None and observed_reset_at <= at:
        cycle = cycle_containing(observed_reset_at, add_months(observed_reset_at, 1), at)
        if cycle is not None:
            return BillingPeriod(cycle[0], cycle[1], OBSERVED_RESET, tuple(notes))
    start, end = period_bounds(at, account_billing_day)
    return BillingPeriod(start, end, CONFIG if account_billing_day != 1 else CALENDAR, tuple(notes))
