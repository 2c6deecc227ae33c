"""Human-readable rates and volumes (SI prefixes, bits or bytes)."""

from __future__ import annotations

_PREFIXES = ("", "k", "M", "G", "T", "P", "E")


def _scaled(value: float) -> tuple[float, str]:
    index = 0
    while abs(value) >= 1000 and index < len(_PREFIXES) - 1:
        value /= 1000
        index += 1
    return value, _PREFIXES[index]


def _number(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_rate(bps: float | None, *, bytes_mode: bool = False) -> str:
    """``12.3 Mbit/s`` (or ``1.54 MB/s`` in bytes mode); ``-`` for no data."""
    if bps is None:
        return "-"
    value, prefix = _scaled(bps / 8 if bytes_mode else bps)
    unit = "B/s" if bytes_mode else "bit/s"
    return f"{_number(value)} {prefix}{unit}"


def format_volume(count_bytes: float | None, *, bits_mode: bool = False) -> str:
    """``1.23 TB`` (or ``9.84 Tbit`` in bits mode); ``-`` for no data."""
    if count_bytes is None:
        return "-"
    value, prefix = _scaled(count_bytes * 8 if bits_mode else count_bytes)
    unit = "bit" if bits_mode else "B"
    return f"{_number(value)} {prefix}{unit}"


def format_usd(amount: float | None) -> str:
    """``$12.34``; ``-`` for not applicable."""
    return "-" if amount is None else f"${amount:,.2f}"
