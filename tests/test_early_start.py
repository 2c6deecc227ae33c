"""The core starts before the view: the history seed is read and the requests go out while the
UI imports; the view then finds every event, in order, and anything the seed had to say."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from bwtui.config import AccountConfig
from bwtui.demo import start_demo
from bwtui.events import AccountListed, PollEvent, ResourceUpdated
from bwtui.history import HistoryStore, HistoryUnavailable
from bwtui.model import Sample
from bwtui.runtime import AccountRuntime
from bwtui.session.core import MonitorSession
from bwtui.session.early import start_core
from bwtui.session.live import BufferedSink
from ui_support import T0, make_resources

HV = make_resources("hv-prod", "hivelocity", 1)


def test_kept_events_come_first_and_in_order_then_later_ones_pass_straight_through() -> None:
    sink = BufferedSink()
    got: list[int] = []
    sent = threading.Event()

    def producer() -> None:
        for i in range(2000):
            sink(i)  # type: ignore[arg-type]
        sent.set()

    thread = threading.Thread(target=producer)
    thread.start()
    sink.attach(got.append)  # type: ignore[arg-type]  # meanwhile events keep coming
    thread.join()
    assert sent.is_set() and got == list(range(2000))


def test_the_seed_read_before_the_view_primes_the_poller(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3", auto_compact=False, clock=lambda: T0)
    stored = [Sample(T0 - 600 + i * 300, 1e6, 2e6) for i in range(2)]
    store.add_samples(HV[0].key, stored)
    session = MonitorSession(now=lambda: T0, history=store)
    session.register([AccountRuntime(AccountConfig("hv-prod", "hivelocity"), None)])
    session.load_seed_now()
    seed = session.history.seed
    assert seed is not None and [s.t for s in seed(HV[0])[0]] == [s.t for s in stored]
    assert asyncio.run(session.load_seed()).announcements == []  # read once: nothing to say
    store.close()


def test_a_history_failure_found_before_the_view_is_told_by_the_view(tmp_path: Path) -> None:
    class Broken(HistoryStore):
        def keys(self) -> Any:
            raise HistoryUnavailable("history database /x is locked")

    store = Broken(tmp_path / "h.sqlite3", auto_compact=False, clock=lambda: T0)
    session = MonitorSession(now=lambda: T0, history=store)
    session.register([AccountRuntime(AccountConfig("hv-prod", "hivelocity"), None)])
    session.load_seed_now()
    changes = asyncio.run(session.load_seed())
    assert [a.text for a in changes.announcements] == ["History: history database /x is locked"]
    assert asyncio.run(session.load_seed()).announcements == []  # told once
    store.close()


async def test_polling_starts_before_the_view_and_the_view_gets_every_event(tmp_path: Path) -> None:
    with start_demo(services=2, instances=1, hetzner_servers=0, vultr_instances=0) as demo:
        core = start_core(demo.runtimes, history=None)
        listed_early = await _wait_for_listing(core.source)  # nobody is listening yet
        assert listed_early
        got: list[PollEvent] = []
        task = asyncio.create_task(core.source.run(got.append))
        try:
            async with asyncio.timeout(20):
                while not any(isinstance(e, ResourceUpdated) and e.state.usage is not None
                              for e in got):
                    await asyncio.sleep(0.02)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await core.source.aclose()
    assert isinstance(got[0], AccountListed)  # the kept events, from the first one on
    assert core.session.account_names == ["hv-demo", "vpn-demo"]


async def _wait_for_listing(source: Any) -> bool:
    """True once the poller (running before any view) has listed an account."""
    async with asyncio.timeout(20):
        while True:
            sink = source._early_sink
            if sink is not None and any(isinstance(e, AccountListed) for e in sink._events):
                return True
            await asyncio.sleep(0.02)


def test_the_sink_counts_the_resources_of_each_accounts_latest_held_listing() -> None:
    sink = BufferedSink()
    hv2, vpn = make_resources("hv-prod", "hivelocity", 2), make_resources("vpn", "altostrat", 3)
    sink(AccountListed("hv-prod", "hivelocity", tuple(HV)))
    sink(AccountListed("vpn", "altostrat", tuple(vpn)))
    sink(AccountListed("hv-prod", "hivelocity", tuple(hv2)))  # the list changed: the new one
    assert sink.listed() == 5
    sink.attach(lambda event: None)
    assert sink.listed() == 0  # handed on: the view knows them now


async def test_a_fleet_listed_before_the_view_opens_on_the_overview_without_the_detail_first(
        monkeypatch: Any) -> None:
    """More than 15 resources listed while the UI loaded: the first view is the overview (not
    the detail view, replaced a moment later, its pane and sidebar made and styled for nothing)."""
    from bwtui.ui.app import BwtuiApp
    from bwtui.ui.body import MonitorBody

    shown: list[bool] = []
    show = MonitorBody.show
    monkeypatch.setattr(MonitorBody, "show", lambda self, *, overview, picked: (
        shown.append(overview), show(self, overview=overview, picked=picked))[1])
    with start_demo(services=12, instances=4, hetzner_servers=0, vultr_instances=0) as demo:
        core = start_core(demo.runtimes, history=None)
        async with asyncio.timeout(20):
            while core.source.listed_early <= 15:
                await asyncio.sleep(0.02)
        app = BwtuiApp(demo.runtimes, demo=True, session=core.session, source=core.source)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert shown and all(shown)  # the overview from the first view on
            assert app.view_mode == "overview" and app.screen.focused is app.overview
        await core.source.aclose()
