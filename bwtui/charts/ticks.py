"""Axis ticks people can read: rates on 1-2-5 steps from 0, times on round clock times.

Pure functions (no Textual). A rate axis always starts at 0, so a flat line sits where its
value is, not at the bottom or the top of the chart. A time axis is labelled in clock time (UTC)
at round steps (every 5 minutes, 3 hours, day...), with the date where the step is a day or more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

_PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))

# Round time steps (seconds) a time axis may use, finest first.
TIME_STEPS_S = (
    1, 2, 5, 10, 15, 30,
    60, 2 * 60, 5 * 60, 10 * 60, 15 * 60, 30 * 60,
    3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600,
    86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400,
)


def nice_step(span: float, max_ticks: int) -> float:
    """The smallest 1-2-5 step (1, 2, 5, 10, 20, ...) that cuts ``span`` into at most ``max_ticks``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    max_ticks = max(1, max_ticks)
    raw = span / max_ticks
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        step = multiple * power
        if step >= raw * (1 - 1e-9):
            return step
    return 10 * power


def nice_ceiling(value: float) -> float:
    """The smallest 1-2-5 number (…, 0.5, 1, 2, 5, 10, 20, …) at or above ``value`` (> 0)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for multiple in (1, 2, 5, 10):
        if multiple * power >= value * (1 - 1e-9):
            return multiple * power
    return 10 * power


@dataclass(frozen=True, slots=True)
class RateAxis:
    """A rate axis from 0 to ``top`` (in display units: bits or bytes per second)."""

    top: float
    ticks: tuple[tuple[float, str], ...]  # (value, label) from 0 up
    unit: str  # "Mbit/s", "kB/s", ...
    scale: float  # labels are value / scale

    def label(self, value: float) -> str:
        """A value in this axis' unit, as short as the tick labels (``35.6``)."""
        return _number(value / self.scale)


def rate_axis(peak: float | None, *, rows: int, bytes_mode: bool = False) -> RateAxis:
    """An axis from 0 to a round top just above ``peak`` (display units), ticks on 1-2-5 steps.

    ``rows`` is the plot's height in cells: ticks are at least two rows apart.
    """
    peak = peak if peak is not None and math.isfinite(peak) and peak > 0 else 0.0
    max_ticks = max(1, min(6, rows // 2))
    step = nice_step(peak, max_ticks) if peak > 0 else 1.0
    top = max(step, math.ceil(peak / step - 1e-9) * step)
    if peak > 0 and top <= peak * (1 + 1e-9) and top / step < max_ticks:
        top += step  # headroom: the peak never touches the frame
    scale, prefix = 1.0, ""
    for factor, name in _PREFIXES:
        if top >= factor:
            scale, prefix = factor, name
            break
    unit = prefix + ("B/s" if bytes_mode else "bit/s")
    count = int(round(top / step))
    ticks = tuple((i * step, _number(i * step / scale)) for i in range(count + 1))
    return RateAxis(top=top, ticks=ticks, unit=unit, scale=scale)


def _number(value: float) -> str:
    """Tick label: no trailing zeros (``0``, ``0.5``, ``20``, ``2.5``)."""
    if value == 0:
        return "0"
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if len(text) <= 6 else f"{value:.3g}"


def time_step(span_s: float, max_ticks: int) -> int:
    """The finest round time step that puts at most ``max_ticks`` ticks on ``span_s``."""
    max_ticks = max(1, max_ticks)
    for step in TIME_STEPS_S:
        if span_s / step <= max_ticks:
            return step
    return TIME_STEPS_S[-1] * math.ceil(span_s / max_ticks / TIME_STEPS_S[-1])


def time_ticks(start: float, end: float, *, width: int, tz_offset_s: float = 0.0) -> list[tuple[float, str]]:
    """Round clock times in ``[start, end]`` for an axis ``width`` cells wide, with labels.

    Labels are ``HH:MM`` (``HH:MM:SS`` for steps under a minute, ``Jan 15`` for steps of a day
    or more). ``tz_offset_s`` shifts the clock (0: UTC); ticks land on round local times.
    """
    if end <= start or width <= 0:
        return []
    sample = _label(start, 60, tz_offset_s)
    max_ticks = max(1, width // (len(sample) + 4))
    step = time_step(end - start, max_ticks)
    if step >= 7 * 86400:
        # Weeks and longer: on UTC midnights, counted from the first one in range.
        first = math.ceil((start + tz_offset_s) / 86400) * 86400 - tz_offset_s
    else:
        first = math.ceil((start + tz_offset_s) / step) * step - tz_offset_s
    ticks: list[tuple[float, str]] = []
    t = first
    while t <= end + 1e-6:
        ticks.append((t, _label(t, step, tz_offset_s)))
        t += step
    return ticks


def _label(t: float, step_s: int, tz_offset_s: float) -> str:
    moment = datetime.fromtimestamp(t + tz_offset_s, UTC)
    if step_s >= 86400:
        return moment.strftime("%b %d").replace(" 0", " ")
    if step_s < 60:
        return moment.strftime("%H:%M:%S")
    if moment.hour == 0 and moment.minute == 0:
        return moment.strftime("%b %d").replace(" 0", " ")  # midnight: the day starts here
    return moment.strftime("%H:%M")


def span_text(seconds: float) -> str:
    """A duration as people say it: ``45 s``, ``5 min``, ``6 h``, ``2 days``, ``3.5 days``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 1.5 * 86400:
        hours = seconds / 3600
        return f"{hours:.0f} h" if abs(hours - round(hours)) < 0.05 else f"{hours:.1f} h"
    days = seconds / 86400
    return f"{days:.0f} days" if abs(days - round(days)) < 0.05 else f"{days:.1f} days"


def step_text(step_s: float) -> str:
    """A point spacing: ``5-s``, ``1-min``, ``5-min``, ``hourly``, ``daily``."""
    if step_s >= 86400:
        return "daily"
    if step_s >= 3600:
        return "hourly" if step_s < 7200 else f"{step_s / 3600:.0f}-hour"
    if step_s >= 60:
        return f"{step_s / 60:.0f}-min"
    return f"{step_s:.0f}-s"
