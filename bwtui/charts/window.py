"""Chart windows: the zoom ladder (1 h, 6 h, day, week, billing period) and custom windows.

A custom window is typed as ``YYYY-MM-DD HH:MM..YYYY-MM-DD HH:MM`` (UTC; a bare date means its
00:00) or relative to now as ``-6h..now``, ``-2d..-1d``, ``-90m..-30m`` (units ``s``, ``m``/``min``,
``h``, ``d``, ``w``). Pure Python: no Textual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bwtui.model import Period

HOUR_S = 3600.0
DAY_S = 86400.0

ZOOM_LADDER = ("1h", "6h", "day", "week", "period")
TITLES = {"1h": "last hour", "6h": "last 6 hours", "day": "last 24 hours", "week": "last 7 days",
          "period": "billing period"}
SPANS_S = {"1h": HOUR_S, "6h": 6 * HOUR_S, "day": DAY_S, "week": 7 * DAY_S}
# The provider's rolling series that covers each window (the poller keeps it fresh).
PROVIDER_PERIOD = {"1h": Period.DAY, "6h": Period.DAY, "day": Period.DAY, "week": Period.WEEK,
                   "period": Period.MONTH}
FOR_PERIOD = {Period.DAY: "day", Period.WEEK: "week", Period.MONTH: "period"}
PERIOD_SPAN_S = {Period.DAY: DAY_S, Period.WEEK: 7 * DAY_S, Period.MONTH: 30 * DAY_S}

WINDOW_HELP = "YYYY-MM-DD HH:MM..YYYY-MM-DD HH:MM (UTC) or -6h..now"
_RELATIVE = re.compile(r"^\s*-?\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$")
_UNITS_S = {"s": 1.0, "m": 60.0, "min": 60.0, "h": HOUR_S, "d": DAY_S, "w": 7 * DAY_S}
MAX_WINDOW_S = 800 * DAY_S


@dataclass(frozen=True, slots=True)
class Window:
    """What the chart shows. ``kind`` is a ladder step or ``custom``.

    Custom windows are absolute (``start``/``end``) or relative to now (``back_s``/``until_s``
    seconds before now), so ``-6h..now`` keeps following the clock.
    """

    kind: str = "day"
    start: float | None = None
    end: float | None = None
    back_s: float | None = None
    until_s: float | None = None
    text: str = ""

    def bounds(self, now: float, period: tuple[float, float] | None = None) -> tuple[float, float]:
        """``(start, end)`` at ``now``; ``period`` is the billing period's bounds for ``period``."""
        if self.kind in SPANS_S:
            return now - SPANS_S[self.kind], now
        if self.kind == "period":
            start = period[0] if period is not None else now - 30 * DAY_S
            return start, now
        if self.back_s is not None:
            return now - self.back_s, now - (self.until_s or 0.0)
        assert self.start is not None and self.end is not None
        return self.start, self.end

    @property
    def follows_now(self) -> bool:
        """Whether the window ends at the current time (and so moves with it)."""
        return self.kind != "custom" or (self.back_s is not None and not self.until_s)

    def title(self, period_start: float | None = None) -> str:
        if self.kind == "period":
            if period_start is None:
                return "billing period"
            return f"billing period since {_fmt(period_start, date_only=True)}"
        if self.kind in TITLES:
            return TITLES[self.kind]
        return f"window {self.text}" if self.text else "custom window"

    def provider_period(self, now: float, period: tuple[float, float] | None = None) -> Period | None:
        """The rolling provider series that covers this window (None: history only)."""
        if self.kind in PROVIDER_PERIOD:
            return PROVIDER_PERIOD[self.kind]
        start, end = self.bounds(now, period)
        if end < now - HOUR_S:
            return None
        return period_covering(start, now)


def period_covering(start: float, now: float) -> Period | None:
    """The shortest rolling provider series that reaches back to ``start`` (None: none does)."""
    for candidate in (Period.DAY, Period.WEEK, Period.MONTH):
        if start >= now - PERIOD_SPAN_S[candidate]:
            return candidate
    return None


def for_period(period: Period) -> Window:
    """The window keys 1/2/3 open: the last day, the last week, the current billing period."""
    return Window(FOR_PERIOD[period])


def zoom(window: Window, direction: int) -> Window:
    """One step in (-1) or out (+1) along the ladder; a custom window zooms from the nearest step."""
    if window.kind in ZOOM_LADDER:
        index = ZOOM_LADDER.index(window.kind)
    else:
        index = ZOOM_LADDER.index("day")
    index = min(max(index + direction, 0), len(ZOOM_LADDER) - 1)
    return Window(ZOOM_LADDER[index])


def parse_window(text: str, now: float) -> Window:
    """A custom window from what the user typed; raises ValueError with what to type instead."""
    raw = text.strip()
    if ".." not in raw:
        raise ValueError(f"a window is two times joined by '..': {WINDOW_HELP}")
    left, _, right = raw.partition("..")
    left, right = left.strip(), right.strip()
    left_rel, right_rel = _relative(left), _relative(right)
    if left_rel is not None and right_rel is not None:
        back, until = left_rel, right_rel
        if back <= until:
            raise ValueError(f"the window starts after it ends ({raw}): put the earlier time first")
        if back - until > MAX_WINDOW_S:
            raise ValueError("a window is at most 800 days long")
        return Window("custom", back_s=back, until_s=until, text=_relative_text(left, right))
    start = _absolute(left, now)
    end = _absolute(right, now)
    if end <= start:
        raise ValueError(f"the window starts after it ends ({raw}): put the earlier time first")
    if end - start > MAX_WINDOW_S:
        raise ValueError("a window is at most 800 days long")
    return Window("custom", start=start, end=end, text=f"{_fmt(start)} .. {_fmt(end)}")


def _relative(part: str) -> float | None:
    """Seconds before now for ``now``, ``-6h``, ``-90m``; None when it is not relative."""
    if part.lower() == "now":
        return 0.0
    if not part.startswith("-") and not _RELATIVE.match(part):
        return None  # a date; "6h" without its minus still counts back (shells eat "-6h")
    found = _RELATIVE.match(part)
    if found is None:
        raise ValueError(f"{part!r} is not a time: write -30m, -6h, -2d, -1w or now")
    return float(found.group(1)) * _UNITS_S[found.group(2)]


def _absolute(part: str, now: float) -> float:
    relative = _relative(part)
    if relative is not None:
        return now - relative
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(part, pattern).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    raise ValueError(f"{part!r} is not a time: write YYYY-MM-DD HH:MM (UTC), -6h or now")


def _relative_text(left: str, right: str) -> str:
    return f"{left.replace(' ', '')}..{right.replace(' ', '').lower()}"


def _fmt(t: float, *, date_only: bool = False) -> str:
    moment = datetime.fromtimestamp(t, UTC)
    return moment.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M")
