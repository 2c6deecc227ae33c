"""The monitor's full garbage collections, moved to moments without input (:mod:`bwtui.gc_rest`)."""

from __future__ import annotations

from textual import events
from textual.app import App

from bwtui.gc_rest import RestingCollector

CHECK_S = 0.5  # how often the app asks whether a full collection is due
_INPUT = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp, events.Paste)


class RestingGcMixin(App[int]):
    """Starts a :class:`~bwtui.gc_rest.RestingCollector` with the app, tells it of every key
    and click, and gives the interpreter its thresholds back at exit."""

    _resting_gc: RestingCollector | None = None

    def on_mount(self) -> None:
        self._resting_gc = RestingCollector()
        self._resting_gc.start()
        self.set_interval(CHECK_S, self._resting_gc.tick)

    def on_unmount(self) -> None:
        if self._resting_gc is not None:
            self._resting_gc.stop()

    async def on_event(self, event: events.Event) -> None:
        if self._resting_gc is not None and isinstance(event, _INPUT):
            self._resting_gc.input_seen()
        await super().on_event(event)
