"""The monitor runs on any MonitorSource: a source that is not the live poller (as a collector
feed will be) drives the same screen, and the user's requests reach its control."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bwtui.events import AccountListed, ResourceUpdated
from bwtui.runtime import AccountRuntime
from bwtui.session.source import EventSink, MonitorSource
from bwtui.ui.app import BwtuiApp
from ui_support import T0, FakeClock, FakePoller, make_resources, make_state, screen_text

RESOURCES = make_resources("hv-prod", "hivelocity", 2)


class FeedSource:
    """Replays a feed of events, as a source attached to a collector would."""

    label = "via test feed"
    has_work = True
    listed_early = 0

    def __init__(self) -> None:
        self.requests = FakePoller([], clock=FakeClock(), on_event=lambda event: None)
        self._running = False
        self.closed = 0

    @property
    def control(self) -> FakePoller | None:
        return self.requests if self._running else None

    async def run(self, sink: EventSink) -> None:
        self._running = True
        self.requests.on_event = sink
        sink(AccountListed("hv-prod", "hivelocity", tuple(RESOURCES)))
        for index, resource in enumerate(RESOURCES):
            sink(ResourceUpdated(make_state(resource, index, T0)))
        self.requests.ran.set()
        await asyncio.Event().wait()

    def renewed(self, runtimes: Sequence[AccountRuntime]) -> MonitorSource:
        return self

    async def aclose(self) -> None:
        self.closed += 1


async def test_a_source_other_than_the_poller_drives_the_same_monitor() -> None:
    source = FeedSource()
    app = BwtuiApp([], clock=FakeClock(), source=source)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(100):
            await pilot.pause()
            if source.requests.ran.is_set() and "web-01" in screen_text(app):
                break
        text = screen_text(app)
        assert "● via test feed" in text and "web-01" in text and "1 account · 2 resources" in text
        assert ("prioritize", RESOURCES[0].key) in source.requests.calls
        await pilot.press("p")
        await pilot.pause()
        assert "PAUSED" in screen_text(app)  # the pause came back as the source's event
        await pilot.press("R")
        asked = [call for call in source.requests.calls if call[0] != "set_visible"]
        assert asked[-1] == ("refresh_now", None)
    assert source.closed == 1

