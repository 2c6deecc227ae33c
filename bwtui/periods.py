"""Billing-period arithmetic: where the current period starts and ends (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime


def _month_start(year: int, month: int, billing_day: int) -> datetime:
    """The period boundary in that month: ``billing_day`` clamped to the month's length."""
    import calendar

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
