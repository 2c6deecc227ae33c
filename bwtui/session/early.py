"""The core starts before the view: the session, its stored history and the requests.

The monitor's process spends a few hundred milliseconds importing and starting its UI. The
core needs none of it, so :func:`start_core` builds the session, primes it from the history
store and starts polling first; the provider requests are under way (and often answered)
while the UI imports, and the view takes over the session and the source when it mounts
(``run_app(session=..., source=...)``), finding the events in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bwtui.clock import RealClock
from bwtui.history import HistoryStore
from bwtui.runtime import AccountRuntime
from bwtui.session.core import MonitorSession
from bwtui.session.live import LivePollerSource


@dataclass(frozen=True)
class StartedCore:
    """What a view takes over: the session and the (already polling) source."""

    session: MonitorSession
    source: LivePollerSource


def start_core(runtimes: Sequence[AccountRuntime], *, history: HistoryStore | None,
               clock: RealClock | None = None) -> StartedCore:
    """Register the accounts, load the stored history the poller starts from, start polling."""
    clock = clock if clock is not None else RealClock()
    session = MonitorSession(now=clock.now, history=history)
    session.register(runtimes)
    session.load_seed_now()
    source = LivePollerSource(runtimes, clock=clock, seed=lambda: session.history.seed)
    source.start_early()
    return StartedCore(session, source)
