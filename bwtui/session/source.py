"""Where the monitor's data comes from: the :class:`MonitorSource` interface.

A view (the TUI) runs one source and never asks which kind it is. It calls:

- ``has_work``: whether running it can produce anything (the app shows "idle" otherwise);
- ``await run(sink)``, in a task: the source delivers poll events (``bwtui.events``) to
  ``sink`` until that task is cancelled; an exception out of ``run`` means the feed died;
- ``control``: where user requests go (select, period, refresh, pause), typed as
  :class:`~bwtui.polling.control.PollerControl`; None while nothing runs;
- ``label``: what the header says while it runs ("polling"); it may change while running, the
  view reads it whenever it redraws;
- ``renewed(runtimes)``: the source for a changed account list (an account added, the demo
  started); this one stops and hands on what it can;
- ``await aclose()``: at exit, release everything (clients, threads).

Implementations:

- :class:`bwtui.session.live.LivePollerSource`: polls the providers from this process (the
  threaded engine on the real clock, the in-loop one on a fake clock).
- :class:`bwtui.collector.attached.AttachedSource`: reads a collector's (``bwtui serve``)
  snapshot and change stream and hands on the same events; its ``control`` asks the collector
  for charts and leaves polling to it; ``label`` names the collector. The accounts' configs
  (billing, thresholds) arrive in the feed, as a ``SourceChanged`` event.
- :class:`bwtui.collector.fallback.FallbackSource`: wraps the other two, attached while the
  collector answers, polling directly while it does not, never both at once.

None of this changes the view: pass a source as ``BwtuiApp(source=...)`` (or
``run_app(source=...)``).

``sink`` may be called on another thread (the threaded poller calls it on its own): it must be
thread-safe, and it must hand the event to the view's loop rather than touch the session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from bwtui.events import PollEvent
from bwtui.polling.control import PollerControl
from bwtui.runtime import AccountRuntime

EventSink = Callable[[PollEvent], None]


class MonitorSource(Protocol):
    """The monitor's data source; see the module docstring for the contract."""

    @property
    def label(self) -> str:
        """What the header says while this source runs."""
        ...

    @property
    def has_work(self) -> bool:
        """Whether running this source can produce anything."""
        ...

    @property
    def control(self) -> PollerControl | None:
        """Where user requests go; None while nothing runs."""
        ...

    @property
    def listed_early(self) -> int:
        """How many resources the account listings waiting for the view hold (a source that
        started before it, :mod:`bwtui.session.early`); 0 when none wait."""
        ...

    async def run(self, sink: EventSink) -> None:
        """Deliver events to ``sink`` until cancelled; raise when the feed dies."""
        ...

    def renewed(self, runtimes: Sequence[AccountRuntime]) -> MonitorSource:
        """The source for this account list; this one stops (cancel its ``run`` task next)."""
        ...

    async def aclose(self) -> None:
        """Release everything this source holds (clients, threads); safe to call twice."""
        ...
