"""What the session hands back after each event: what to redraw, what to say, when to write.

Plain data; a view reads it and does its own drawing. Nothing here refers to a view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Key = tuple[str, str]
Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Announcement:
    """Something to tell the user once (a toast in the TUI); ``text`` is already safe to show.

    ``bell``: ring the terminal bell too (a threshold crossed upwards). ``timeout_s`` None: the
    view's default time on screen.
    """

    text: str
    title: str = ""
    severity: Severity = "information"
    timeout_s: float | None = None
    bell: bool = False


@dataclass(slots=True)
class Changes:
    """What one event changed.

    - ``resources``: rows and labels to redraw (state or day series changed).
    - ``charts``: resources whose chart for a period other than the day changed.
    - ``accounts``: account labels and summaries to redraw now.
    - ``listed``: an account whose resource list arrived (its rows may be new or gone).
    - ``paused``: polling was paused (True) or resumed (False): every status glyph changes.
    - ``announcements``: what to tell the user, in order.
    - ``flush_in_s``: a history write is now due in this many seconds (call
      ``HistorySync.take_batch`` then); None when none is newly due.
    - ``history``: the history store's health changed (failing, read-only, points lost):
      redraw its lasting header mark.
    """

    resources: set[Key] = field(default_factory=set)
    charts: set[Key] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    listed: str | None = None
    paused: bool | None = None
    announcements: list[Announcement] = field(default_factory=list)
    flush_in_s: float | None = None
    history: bool = False

    def __bool__(self) -> bool:
        return bool(
            self.resources or self.charts or self.accounts or self.announcements
            or self.listed is not None or self.paused is not None or self.flush_in_s is not None
            or self.history
        )
