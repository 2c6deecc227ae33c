"""Figures as text for any screen: rates, byte totals, money, times, ages, sparklines.

Pure functions (no Textual) so they are cheap to test and shared by every view. SI units
throughout (k = 1000). Untrusted text goes through :func:`bwtui.text.safe_text`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from bwtui import units
from bwtui.charts.ticks import nice_ceiling

SPARK_BARS = "▁▂▃▄▅▆▇█"
SPARK_BARS_ASCII = "_.-:=+*#"
SPARK_GAP = " "
SPARK_HEADROOM = 1.15  # the scale's top is a round number at least this far above the peak


def _finite(value: float | None) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def format_rate(bps: float | None, *, bytes_mode: bool = False) -> str:
    """A rate in bits per second as ``12.3 Mbit/s`` (``1.54 MB/s`` in bytes mode); gaps as ``-``."""
    return units.format_rate(_finite(bps), bytes_mode=bytes_mode)


def compact_rate(bps: float | None, *, bytes_mode: bool = False) -> str:
    """A short rate without the unit (``18.8M``) for avg/max next to a full one."""
    value = _finite(bps)
    if value is None:
        return "-"
    if bytes_mode:
        value /= 8.0
    text = units.format_rate(value)
    number, _, unit = text.partition(" ")
    prefix = unit[:-len("bit/s")] if unit.endswith("bit/s") else ""
    return number + prefix


def format_bytes(count: float | None, *, bits_mode: bool = False) -> str:
    """A byte total with an SI prefix (``1.23 TB``, or ``9.84 Tbit`` in bits mode)."""
    return units.format_volume(_finite(count), bits_mode=bits_mode)


def format_money(usd: float | None) -> str:
    """US dollars to the cent; unknown as ``-``."""
    return units.format_usd(_finite(usd))


def format_time(t: float | None, *, seconds: bool = False) -> str:
    """A UTC timestamp as ``YYYY-MM-DD HH:MM UTC``; unknown as ``-``."""
    value = _finite(t)
    if value is None:
        return "-"
    pattern = "%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC"
    return datetime.fromtimestamp(value, UTC).strftime(pattern)


def format_clock(t: float) -> str:
    """The header clock: ``HH:MM UTC`` (minute resolution, so it changes once a minute)."""
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M UTC")


def format_age(seconds: float | None) -> str:
    """``42s``, ``5m``, ``3h``, ``2d`` ago-style age; unknown as ``-``."""
    value = _finite(seconds)
    if value is None:
        return "-"
    value = max(0.0, value)
    if value < 60:
        return f"{value:.0f}s"
    if value < 3600:
        return f"{value / 60:.0f}m"
    if value < 86400:
        return f"{value / 3600:.0f}h"
    return f"{value / 86400:.0f}d"


def bounded_finite(values: Sequence[float | None], limit: int) -> list[float]:
    """The last ``limit`` finite values, gaps dropped: safe for Textual's ``Sparkline``."""
    out = [v for v in (_finite(x) for x in values[-limit * 2 :]) if v is not None]
    return out[-limit:]


def sparkline(
    values: Sequence[float | None], width: int, *, ascii_only: bool = False
) -> str:
    """A one-line sparkline of the last ``width`` values. ``None``/NaN/inf are gaps (blank).

    Values are bucketed when there are more than ``width``: each cell shows its bucket's max.
    The scale runs from 0 to a round 1-2-5 number with headroom above the largest value shown,
    so a flat line draws flat at its height (never as a row of full blocks, which reads as a
    saturated link) and equal traffic looks equal.
    """
    if width <= 0:
        return ""
    bars = SPARK_BARS_ASCII if ascii_only else SPARK_BARS
    cleaned = [_finite(v) for v in values]
    cells: list[float | None]
    if len(cleaned) <= width:
        cells = cleaned
    else:
        cells = []
        size = len(cleaned) / width
        for index in range(width):
            bucket = cleaned[int(index * size) : max(int((index + 1) * size), int(index * size) + 1)]
            finite = [v for v in bucket if v is not None]
            cells.append(max(finite) if finite else None)
    peak = max((v for v in cells if v is not None), default=None)
    top = None if peak is None or peak <= 0 else nice_ceiling(peak * SPARK_HEADROOM)
    chars: list[str] = []
    for value in cells:
        if value is None:
            chars.append(SPARK_GAP)
        elif top is None or top <= 0:
            chars.append(bars[0])
        else:
            level = int(max(0.0, value) / top * (len(bars) - 1) + 0.5)
            chars.append(bars[min(level, len(bars) - 1)])
    text = "".join(chars)
    return text.rjust(width)


def stats(values: Sequence[float | None]) -> tuple[float | None, float | None, float | None]:
    """(current, average, max) of the finite values; current is the newest finite value."""
    finite = [v for v in (_finite(x) for x in values) if v is not None]
    if not finite:
        return None, None, None
    return finite[-1], sum(finite) / len(finite), max(finite)


def percentile(values: Sequence[float | None], pct: float) -> float | None:
    """Nearest-rank percentile of the finite values (None when there are none)."""
    finite = sorted(v for v in (_finite(x) for x in values) if v is not None)
    if not finite:
        return None
    rank = max(1, math.ceil(pct / 100.0 * len(finite)))
    return finite[min(rank, len(finite)) - 1]
