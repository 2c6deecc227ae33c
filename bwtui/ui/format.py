"""Text formatting for the TUI: rates, byte totals, times, safe display of untrusted text, sparklines.

Pure functions (no Textual import) so they are cheap to test. SI units throughout (k = 1000).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime

_SI_PREFIXES = ("", "k", "M", "G", "T", "P", "E")

# C0 controls, DEL and C1 controls: shown as visible escapes, never sent to the terminal.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")

SPARK_BARS = "▁▂▃▄▅▆▇█"
SPARK_BARS_ASCII = "_.-:=+*#"
SPARK_GAP = " "


def _finite(value: float | None) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def safe_text(value: object, *, max_len: int | None = None) -> str:
    """Untrusted text made harmless for a terminal: control characters become ``\\xNN``.

    The result still has to be shown as plain text (``Text(s)``/``Content(s)``), never as markup.
    """
    text = "" if value is None else str(value)
    text = _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    if max_len is not None and len(text) > max_len:
        text = text[: max(0, max_len - 1)] + "…"
    return text


def si(value: float, unit: str, *, digits: int = 3) -> str:
    """``value`` with an SI prefix and ``unit``: ``si(12_300_000, "b/s") == "12.3 Mb/s"``."""
    magnitude = abs(value)
    index = 0
    while magnitude >= 999.5 and index < len(_SI_PREFIXES) - 1:
        magnitude /= 1000.0
        value /= 1000.0
        index += 1
    if index == 0 and float(value).is_integer():
        number = f"{int(value)}"
    elif abs(value) >= 100:
        number = f"{value:.0f}"
    elif abs(value) >= 10:
        number = f"{value:.1f}"
    else:
        number = f"{value:.{max(0, digits - 1)}f}"
    return f"{number} {_SI_PREFIXES[index]}{unit}"


def format_rate(bps: float | None, *, bytes_mode: bool = False) -> str:
    """A rate in bits per second shown as ``Mb/s`` (or ``MB/s`` in bytes mode); gaps as ``—``."""
    value = _finite(bps)
    if value is None:
        return "—"
    if bytes_mode:
        return si(value / 8.0, "B/s")
    return si(value, "b/s")


def format_bytes(count: float | None) -> str:
    """A byte total with an SI prefix (``1.23 TB``); unknown as ``—``."""
    value = _finite(count)
    if value is None:
        return "—"
    return si(value, "B")


def format_money(usd: float | None) -> str:
    """US dollars to the cent; unknown as ``—``."""
    value = _finite(usd)
    if value is None:
        return "—"
    return f"${value:,.2f}"


def format_time(t: float | None, *, seconds: bool = False) -> str:
    """A UTC timestamp as ``YYYY-MM-DD HH:MM UTC``; unknown as ``—``."""
    value = _finite(t)
    if value is None:
        return "—"
    pattern = "%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC"
    return datetime.fromtimestamp(value, UTC).strftime(pattern)


def format_clock(t: float) -> str:
    """The header clock: ``HH:MM UTC`` (minute resolution, so it changes once a minute)."""
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M UTC")


def format_age(seconds: float | None) -> str:
    """``42s``, ``5m``, ``3h``, ``2d`` ago-style age; unknown as ``—``."""
    value = _finite(seconds)
    if value is None:
        return "—"
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
    The scale runs from 0 to the largest value shown, so equal traffic looks equal.
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
    top = max((v for v in cells if v is not None), default=None)
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
