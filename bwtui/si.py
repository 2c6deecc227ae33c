"""SI rate strings ("500M", "1.5 Gbit/s") to bits per second."""

from __future__ import annotations

import math
import re

_PREFIX = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}
_UNIT_SUFFIXES = ("bit/s", "bits/s", "bps", "b/s")
_NUMBER = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]?)\s*$")


def parse_si(text: str) -> float:
    """Parse a rate such as ``"500M"``, ``"500Mbps"``, ``"1.5 Gbit/s"`` or ``"800k"`` to bits/s.

    Prefixes are decimal (k=10^3, M=10^6, G=10^9, T=10^12; case-insensitive, so ``K`` and ``m``
    are accepted too). A trailing ``bps``, ``bit/s`` or ``b/s`` is tolerated. Raises ValueError
    with a message saying what is accepted.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected a rate such as \"500M\", got {type(text).__name__}")
    raw = text.strip()
    body = raw
    lowered = body.lower()
    for suffix in _UNIT_SUFFIXES:
        if lowered.endswith(suffix):
            body = body[: -len(suffix)]
            break
    match = _NUMBER.match(body)
    if not match or match.group(2).lower() not in _PREFIX:
        raise ValueError(
            f"{raw!r} is not a rate: use a number with an optional k, M, G or T suffix "
            "(bits per second), e.g. \"500M\" for 500 Mbit/s"
        )
    value = float(match.group(1)) * _PREFIX[match.group(2).lower()]
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{raw!r} is not a rate: it must be a finite number of at least 0")
    return value
