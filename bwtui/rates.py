"""Rates from billing-period totals: (reading2 - reading1) / (t2 - t1), in bits per second.

A reading lower than the one before it means the counters reset (a new billing period): that is
never a negative rate; the new reading becomes the baseline. Pure functions, shared by the poller
and the history store.
"""

from __future__ import annotations

from collections.abc import Iterable

from bwtui.model import Reading, Sample


def rate_between(previous: Reading, current: Reading) -> Sample | None:
    """The average rate from ``previous`` to ``current`` as a Sample at ``current.t``.

    None when the time did not move forward or a counter dropped (new period).
    """
    elapsed_s = current.t - previous.t
    if elapsed_s <= 0:
        return None
    in_delta = current.in_bytes - previous.in_bytes
    out_delta = current.out_bytes - previous.out_bytes
    if in_delta < 0 or out_delta < 0:
        return None
    return Sample(t=current.t, in_bps=in_delta * 8 / elapsed_s, out_bps=out_delta * 8 / elapsed_s)


def is_counter_reset(previous: Reading, current: Reading) -> bool:
    """Whether ``current`` starts a new period (either counter went down)."""
    return current.in_bytes < previous.in_bytes or current.out_bytes < previous.out_bytes


def rates_from_readings(readings: Iterable[Reading]) -> list[Sample]:
    """Rates between successive readings (sorted by time); a drop starts a new baseline."""
    samples: list[Sample] = []
    previous: Reading | None = None
    for reading in readings:
        if previous is not None and reading.t > previous.t:
            sample = rate_between(previous, reading)
            if sample is not None:
                samples.append(sample)
        if previous is None or reading.t > previous.t or is_counter_reset(previous, reading):
            previous = reading
    return samples


class RateTracker:
    """Keeps the last reading and turns each new one into a rate (or a new baseline)."""

    __slots__ = ("baseline",)

    def __init__(self, baseline: Reading | None = None) -> None:
        self.baseline = baseline

    def update(self, reading: Reading) -> Sample | None:
        """The rate since the previous reading; None for the first one or after a reset."""
        previous = self.baseline
        if previous is not None and reading.t <= previous.t and not is_counter_reset(previous, reading):
            return None  # an old or duplicate reading: keep the baseline
        self.baseline = reading
        if previous is None:
            return None
        return rate_between(previous, reading)
