"""Make untrusted text (names, hostnames, provider messages) safe to print literally."""

from __future__ import annotations

import re

# C0 controls, DEL and C1 controls: anything a terminal may act on instead of showing.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    return f"\\x{ord(char):02x}"


def printable(text: str) -> str:
    """``text`` with every control character replaced by a visible ``\\xNN`` escape."""
    return _CONTROL.sub(_visible, text)
