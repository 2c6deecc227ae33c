"""What every provider's answer parser shares: the one error they raise, and sane fields.

A provider's JSON is untrusted: a field of the wrong type or out of range is a
``bad_response`` on that resource (never a crash, never a silent guess).
"""

from __future__ import annotations

import math

from bwtui.model import ErrorKind, ProviderError

MAX_COUNTER_BYTES = 2**63 - 1  # a byte counter past this is not a counter


def bad(message: str) -> ProviderError:
    """The one error these parsers raise."""
    return ProviderError(ErrorKind.BAD_RESPONSE, message)


def text_or_none(value: object) -> str | None:
    """A non-blank string, else None."""
    return value if isinstance(value, str) and value.strip() else None


def byte_counter(data: dict[str, object], key: str) -> int | None:
    """A nullable byte counter; a present value that is not a sane integer is a bad response
    (a non-finite float reads as absent)."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad(f"{key} is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = int(value)
    if value < 0:
        raise bad(f"{key} is negative")
    if value > MAX_COUNTER_BYTES:
        raise bad(f"{key} is implausibly large")
    return value
