"""The status vocabulary every view shares: what each status is called, its glyph, its style.

A resource or account is ``pending``, ``ok``, ``paused``, ``stale``, ``rate_limited`` or
``error`` (in rising severity); a threshold mark is ``warning`` or ``critical``. Styles are
Rich style strings; a view that is not a terminal maps them to its own. No Textual.
"""

from __future__ import annotations

from collections.abc import Sequence

# Status glyphs: (unicode, two-letter ASCII fallback).
STATUS_GLYPHS: dict[str, tuple[str, str]] = {
    "pending": ("·", ".."),
    "ok": ("●", "ok"),
    "stale": ("◐", "st"),
    "paused": ("‖", "||"),
    "rate_limited": ("◷", "RL"),  # a clock face: waiting for the window (wide font coverage)
    "error": ("✖", "ER"),
}
STATUS_WORDS: dict[str, str] = {
    "pending": "waiting for first data",
    "ok": "ok",
    "stale": "stale (last good data shown)",
    "paused": "polling paused",
    "rate_limited": "rate-limited by the provider",
    "error": "error",
}
STATUS_STYLES: dict[str, str] = {
    "pending": "dim",
    "ok": "green",
    "stale": "yellow",
    "paused": "dim",
    "rate_limited": "magenta",
    "error": "bold red",
}
_SEVERITY = ["pending", "ok", "paused", "stale", "rate_limited", "error"]


def glyph(status: str, *, ascii_only: bool = False) -> str:
    """The status glyph (or its two-letter ASCII fallback)."""
    unicode_glyph, ascii_glyph = STATUS_GLYPHS.get(status, STATUS_GLYPHS["pending"])
    return ascii_glyph if ascii_only else unicode_glyph


def worst(statuses: Sequence[str]) -> str:
    """The most severe status of several (an account's summary)."""
    return max(statuses, key=_SEVERITY.index, default="pending")


# Threshold marks (warning/critical): a style for the row and a mark that survives NO_COLOR.
# With no thresholds configured, a resource projected to reach 90 % (warning) or 100 %
# (critical, an overage) of its allowance by the period's end is marked too (bwtui.thresholds).
ALERT_STYLES: dict[str, str] = {"warning": "bold yellow", "critical": "bold reverse red"}
ALERT_MARKS: dict[str, str] = {"warning": "!", "critical": "!!"}
# An alert also changes the status glyph's shape (● → ▲ or ◆), not only its colour, so it
# reads in NO_COLOR and to colour-blind eyes; errors and rate limits keep their own glyph.
ALERT_GLYPHS: dict[str, tuple[str, str]] = {"warning": ("▲", "W!"), "critical": ("◆", "C!")}
ALERT_WORDS: dict[str, str] = {
    "warning": "warning: a threshold crossed, or projected to use 90 % of the allowance",
    "critical": "critical: a threshold crossed, or projected over the allowance (overage)",
}
_KEEP_GLYPH = ("error", "rate_limited", "paused", "pending")


def marked_glyph(status: str, alert: str | None, *, ascii_only: bool = False) -> tuple[str, str]:
    """The glyph and style for a resource with ``status`` and threshold ``alert`` (or None)."""
    if alert is None or status in _KEEP_GLYPH:
        return glyph(status, ascii_only=ascii_only), STATUS_STYLES.get(status, "")
    unicode_glyph, ascii_glyph = ALERT_GLYPHS[alert]
    return (ascii_glyph if ascii_only else unicode_glyph), ALERT_STYLES[alert]
