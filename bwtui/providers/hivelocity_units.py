"""The units cross-check of a Hivelocity series answer: do the totals agree with the rates?

Each answer element carries window totals (``In Xfer``/``Out Xfer``, read as bits) and rate rows
(read as bits per second). Over the same rows, Σ(rate × step) must come out near the total. If
one of them were really bytes, the two would be 8× apart: every total, projection, cost and
threshold would then be 8× off. A ratio between 6 and 10 (or 1/10 and 1/6) marks the resource
with a ``units`` warning naming both figures; anything closer is agreement (edges of the window,
rounding), anything further is not a units question and is left alone.

The check only speaks when the rows can stand for the total: at least :data:`MIN_ROWS` rows with
data, covering at least :data:`MIN_COVERAGE` of the rows' span, and both figures above zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bwtui.model import DataWarning
from bwtui.units import format_volume

UNITS_BAND = (6.0, 10.0)
MIN_ROWS = 3
MIN_COVERAGE = 0.9


@dataclass(frozen=True, slots=True)
class UnitsEvidence:
    """One direction of one element: the total and the rows it should match (all in bits)."""

    direction: str  # "In" or "Out"
    total_bits: float | None
    rates_bps: tuple[float | None, ...]
    step_s: int | None
    span_s: float | None  # the rows' time span (metadata end - start), when known


def _figure(bits: float) -> str:
    return f"{bits:.3g} bits ({format_volume(bits / 8)})"


def check_direction(evidence: UnitsEvidence, *, where: str, settings: str) -> DataWarning | None:
    """A ``units`` warning when total and Σ(rate × step) are about 8× apart, else None."""
    step = evidence.step_s
    if evidence.total_bits is None or not step or evidence.total_bits <= 0:
        return None
    with_data = [rate for rate in evidence.rates_bps if rate is not None]
    if len(with_data) < MIN_ROWS:
        return None
    span = evidence.span_s if evidence.span_s and evidence.span_s > 0 else len(evidence.rates_bps) * step
    if len(with_data) * step < MIN_COVERAGE * span:
        return None
    summed = sum(with_data) * step
    if summed <= 0:
        return None
    ratio = evidence.total_bits / summed
    low, high = UNITS_BAND
    if low <= ratio <= high:
        bigger = "the total is"
    elif 1 / high <= ratio <= 1 / low:
        bigger = "the rates are"
    else:
        return None
    factor = ratio if ratio >= 1 else 1 / ratio
    return DataWarning(
        "units",
        f"{where}: {evidence.direction} Xfer {_figure(evidence.total_bits)} but Σ(rate × step) over "
        f"the same {len(with_data)} rows is {_figure(summed)}: {bigger} {factor:.1f}× bigger, so "
        f"one of them is probably bytes, not bits ({settings}). Totals, projections and costs "
        "may be 8× off.",
    )


def units_warnings(
    evidence: Iterable[UnitsEvidence], *, where: str, settings: str
) -> tuple[DataWarning, ...]:
    """The warnings for every direction that disagrees."""
    found = (check_direction(item, where=where, settings=settings) for item in evidence)
    return tuple(w for w in found if w is not None)
