"""Which resources are on the user's screen, told to the poller when it changes.

When the request budget is short the poller serves what the user looks at first
(``PollerControl.set_visible``). The views know their rows on screen; this module checks them
once a second (scrolling fires far more often than the poller can use) and sends the set only
when it changed, so a still screen costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bwtui.polling.control import PollerControl

Key = tuple[str, str]
VISIBLE_CHECK_S = 1.0


class VisibleReporter:
    """Remembers the last set sent; :meth:`report` sends a new one only when it differs."""

    def __init__(self) -> None:
        self._last: frozenset[Key] | None = None

    def report(self, keys: Iterable[Key], ask: Callable[[Callable[[PollerControl], None]], None]) -> bool:
        """Send ``keys`` through ``ask`` (the app's guarded control call) if they changed."""
        wanted = frozenset(keys)
        if wanted == self._last:
            return False
        self._last = wanted
        ask(lambda control: control.set_visible(wanted))
        return True

    def forget(self) -> None:
        """A new source: the next report is sent whatever it holds."""
        self._last = None
