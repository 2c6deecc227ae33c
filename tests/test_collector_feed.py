"""Viewers attached to a collector see what it sees: snapshot, changes, charts, goodbye; the
token guards the endpoints; a lost collector means polling directly, never both at once."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx
import pytest

from bwtui.collector.attached import AttachedSource
from bwtui.collector.client import CollectorUnavailable, fetch_snapshot
from bwtui.collector.core import Subscriber
from bwtui.collector.discovery import CollectorRef
from bwtui.collector.fallback import FallbackSource, Mode
from bwtui.collector.viewer import oneshot_from_snapshot
from bwtui.config import AccountConfig, Thresholds
from bwtui.events import PollEvent, ResourceUpdated, SourceChanged
from bwtui.model import Period
from bwtui.runtime import AccountRuntime
from bwtui.session.core import MonitorSession
from collector_support import running_collector, wait_for
from ui_support import (
    T0,
    FakeClock,
    FakePoller,
    make_resources,
    make_series,
    make_state,
    runtimes,
    standard_script,
)

TOKEN = "0123456789abcdef0123456789abcdef"


class Viewer:
    """A viewer's session fed by a source, as the monitor app would feed it."""

    def __init__(self, source: Any, accounts: list[AccountRuntime] | None = None) -> None:
        self.source = source
        self.session = MonitorSession(now=lambda: T0)
        self.session.register(accounts or [])
        self.events: list[PollEvent] = []
        self.notes: list[str] = []
        self.task: asyncio.Task[None] | None = None
        self.error: BaseException | None = None

    def sink(self, event: PollEvent) -> None:
        self.events.append(event)
        changes = self.session.apply(event)
        self.notes += [a.text for a in changes.announcements]

    def start(self) -> Viewer:
        async def run() -> None:
            try:
                await self.source.run(self.sink)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the test reads it
                self.error = error

        self.task = asyncio.get_running_loop().create_task(run())
        return self

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.source.aclose()


def _same_states(a: MonitorSession, b: MonitorSession) -> None:
    assert set(a.store.states) == set(b.store.states)
    for key, state in a.store.states.items():
        other = b.store.states[key]
        assert other.resource == state.resource
        assert (other.in_bps, other.out_bps, other.rate_at, other.usage, other.updated_at, other.stale,
                other.history) == (state.in_bps, state.out_bps, state.rate_at, state.usage,
                                   state.updated_at, state.stale, state.history)
        assert (other.error is None) == (state.error is None)
        if state.error is not None:
            assert (other.error.kind, other.error.message) == (state.error.kind, state.error.message)  # type: ignore[union-attr]
        assert b.billing(other) == a.billing(state)
        assert b.store.status(key) == a.store.status(key)
        assert b.store.alerts.get(key) == a.store.alerts.get(key)


async def test_an_attached_viewer_sees_exactly_what_the_collector_sees_hostile_names_included() -> None:
    script = standard_script(hostile=True, failing="[bold]unclosed", rate_limited_account="vpn")
    async with running_collector(script) as running:
        viewer = Viewer(AttachedSource(CollectorRef(running.url, "test"))).start()
        try:
            await wait_for(lambda: viewer.source.synced, what="the snapshot")
            _same_states(running.collector.session, viewer.session)
            names = {s.resource.name for s in viewer.session.store.states.values()}
            assert "[@click=app.quit]x[/]" in names and "evil\x1b]0;pwned\x07title" in names
            assert viewer.session.store.accounts["vpn"].rate_limit == running.collector.session.store.accounts["vpn"].rate_limit
            # The collector's account terms (thresholds, allowances) reach the viewer's billing.
            assert isinstance(viewer.events[0], SourceChanged)
            assert [a.name for a in viewer.events[0].accounts] == ["hv-prod", "vpn"]

            # A change after the snapshot arrives too.
            resource = make_resources("hv-prod", "hivelocity", 1)[0]
            changed = make_state(resource, 99, T0 + 300)
            running.poller.emit(ResourceUpdated(changed))
            await wait_for(lambda: viewer.session.store.states[resource.key].rate_at == changed.rate_at,
                           what="the change")
            _same_states(running.collector.session, viewer.session)
        finally:
            await viewer.stop()


async def test_viewers_joining_at_different_times_hold_the_collectors_histories() -> None:
    """Changes carry only new points; every viewer, early or late, ends with the same histories."""
    from bwtui.samples import SampleRun

    resource = make_resources("hv-prod", "hivelocity", 1)[0]

    def state_at(points: int) -> Any:
        state = make_state(resource, 0, T0 + 300 * points)
        state.history = SampleRun([s for s in make_series(0, Period.DAY, T0 + 300 * points).samples][-200:],
                                  maxlen=288)
        return state

    async with running_collector(standard_script(services=1, instances=1)) as running:
        early = Viewer(AttachedSource(CollectorRef(running.url, "test"))).start()
        await wait_for(lambda: early.source.synced)
        for points in range(1, 6):
            running.poller.emit(ResourceUpdated(state_at(points)))
        late = Viewer(AttachedSource(CollectorRef(running.url, "test"))).start()
        await wait_for(lambda: late.source.synced)
        for points in range(6, 10):
            running.poller.emit(ResourceUpdated(state_at(points)))
        expected = list(running.collector.session.store.states[resource.key].history)
        for viewer in (early, late):
            await wait_for(lambda v=viewer: list(v.session.store.states[resource.key].history) == expected,
                           what="the same history")
            await viewer.stop()


async def test_charts_come_from_the_collector_and_nothing_else_goes_to_it() -> None:
    async with running_collector(standard_script()) as running:
        source = AttachedSource(CollectorRef(running.url, "test"))
        viewer = Viewer(source).start()
        try:
            await wait_for(lambda: source.synced and source.control is not None)
            key = make_resources("hv-prod", "hivelocity", 1)[0].key
            viewer.session.store.series.pop((key, Period.MONTH), None)
            control = source.control
            assert control is not None
            control.prioritize(key)
            control.refresh_now(None)
            control.pause()
            control.set_period(key, Period.MONTH)
            expected = running.collector.session.store.series[(key, Period.MONTH)]
            await wait_for(lambda: viewer.session.store.series.get((key, Period.MONTH)) == expected,
                           what="the month chart")
            assert running.poller.calls == []  # the collector's poller heard nothing from the viewer
            assert not viewer.session.store.paused
        finally:
            await viewer.stop()


async def test_a_stopping_collector_says_goodbye_and_the_viewer_says_why() -> None:
    async with running_collector(standard_script()) as running:
        viewer = Viewer(AttachedSource(CollectorRef(running.url, "test"))).start()
        await wait_for(lambda: viewer.source.synced)
        await running.collector.stop()
        await wait_for(lambda: viewer.error is not None, what="the end of the feed")
        assert isinstance(viewer.error, CollectorUnavailable)
        assert "stopped" in str(viewer.error)
        await viewer.stop()


async def test_with_a_token_every_endpoint_but_healthz_wants_it() -> None:
    async with running_collector(standard_script(), token=TOKEN) as running:
        async with httpx.AsyncClient(base_url=running.url) as http:
            assert (await http.get("/healthz")).status_code == 200
            for path in ("/metrics", "/readyz", "/api/v1/snapshot", "/api/v1/feed", "/api/v1/series", "/"):
                response = await http.get(path)
                assert response.status_code == 401, path
                assert TOKEN not in response.text
            assert (await http.get("/metrics", headers={"Authorization": "Bearer nope"})).status_code == 401
            good = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            assert good.status_code == 200 and "bwtui_resource_info" in good.text
        refused = AttachedSource(CollectorRef(running.url, "test"))
        with pytest.raises(CollectorUnavailable, match="BWTUI_COLLECTOR_TOKEN"):
            await refused.run(lambda event: None)
        await refused.aclose()
        viewer = Viewer(AttachedSource(CollectorRef(running.url, "test"), token=TOKEN)).start()
        await wait_for(lambda: viewer.source.synced)
        await viewer.stop()


async def test_status_from_the_snapshot_agrees_with_the_collectors_session() -> None:
    thresholds = Thresholds(warn_out_bps=1.0)
    rts = [AccountRuntime(AccountConfig("hv-prod", "hivelocity", thresholds=thresholds,
                                        allowance_out_bytes=10**12), runtimes(("x", "hivelocity"))[0].client),
           runtimes(("vpn", "altostrat"))[0]]
    async with running_collector(standard_script(), runtime_list=rts) as running:
        document = await asyncio.to_thread(fetch_snapshot, running.url)
        assert document["ready"] is True
        shot = oneshot_from_snapshot(dict(document), running.url, now=T0)
        assert shot.via == running.url
        assert shot.config.accounts[0].allowance_out_bytes == 10**12
        collector = running.collector.session
        assert {s.resource.key for s in shot.states} == set(collector.store.states)
        for state in shot.states:
            theirs = collector.store.states[state.resource.key]
            assert (state.in_bps, state.out_bps, state.usage) == (theirs.in_bps, theirs.out_bps, theirs.usage)
            assert shot.billing[state.resource.key] == collector.billing(theirs)
        assert [a.name for a in shot.accounts] == ["hv-prod", "vpn"]
        only = oneshot_from_snapshot(dict(document), running.url, only_account="vpn", now=T0)
        assert {s.resource.account for s in only.states} == {"vpn"}


async def test_budget_state_reaches_viewers_and_metrics() -> None:
    from bwtui.events import BudgetUpdated

    budget = BudgetUpdated(group="host:127.0.0.1", accounts=("hv-prod",), limit=3600, remaining=120,
                           reset_at=T0 + 900, blocked_until=T0 + 60, stretch=2.5, rate_rps=0.9,
                           reason="the budget is short", rejected=3, at=T0)
    async with running_collector(standard_script()) as running:
        running.poller.emit(budget)
        await wait_for(lambda: "host:127.0.0.1" in running.collector.budgets)
        viewer = Viewer(AttachedSource(CollectorRef(running.url, "test"))).start()
        try:
            await wait_for(lambda: viewer.source.synced)
            assert budget in viewer.events  # in the snapshot
            later = dataclasses.replace(budget, stretch=1.0, blocked_until=None, rejected=4)
            running.poller.emit(later)
            await wait_for(lambda: later in viewer.events, what="the budget change")
            async with httpx.AsyncClient() as http:
                text = (await http.get(running.url + "/metrics")).text
            assert 'bwtui_budget_stretch_ratio{group="host:127.0.0.1"} 1.0' in text
            assert 'bwtui_budget_rejected_total{group="host:127.0.0.1"} 4.0' in text
            assert "bwtui_budget_blocked_until_timestamp_seconds{" not in text
        finally:
            await viewer.stop()


def test_a_viewer_that_stops_reading_is_dropped_not_buffered_forever() -> None:
    subscriber = Subscriber(backlog=3)
    for _ in range(3):
        subscriber.push(b"x")
    assert not subscriber.closed
    subscriber.push(b"x")
    assert subscriber.closed and subscriber.dropped


# ----- falling back ----------------------------------------------------------------------------
class DirectPolling:
    """A stand-in for direct polling that records when it runs (and checks the rule)."""

    def __init__(self) -> None:
        self.active = 0
        self.runs = 0
        self.attached_while_polling = False

    def factory(self, rts: Any, *, clock: Any, on_event: Any, history: Any = None) -> FakePoller:
        tracker = self

        class Tracked(FakePoller):
            async def run(self) -> None:
                tracker.active += 1
                tracker.runs += 1
                try:
                    await super().run()
                finally:
                    tracker.active -= 1

        return Tracked(rts, clock=clock, on_event=on_event, script=standard_script(services=1, instances=1))


async def test_a_lost_collector_means_polling_directly_until_it_is_back_never_both() -> None:
    direct = DirectPolling()
    own = runtimes(("hv-prod", "hivelocity"), ("vpn", "altostrat"))
    async with running_collector(standard_script()) as first:
        port = first.port
        source = FallbackSource(CollectorRef(first.url, "config"), own, clock=FakeClock(), retry_s=0.05,
                                rebuild=lambda rts: list(rts), factory=direct.factory)
        viewer = Viewer(source, own)

        original_sink = viewer.sink

        def sink(event: PollEvent) -> None:
            if isinstance(event, SourceChanged) and source.mode is Mode.CONNECTING and direct.active:
                direct.attached_while_polling = True
            original_sink(event)

        viewer.sink = sink  # type: ignore[method-assign]
        viewer.start()
        await wait_for(lambda: source.mode is Mode.ATTACHED)
        assert source.label == f"via collector 127.0.0.1:{port}"
        assert direct.runs == 0
    # The collector is gone: the viewer says so and polls directly.
    await wait_for(lambda: source.mode is Mode.DIRECT and direct.active == 1, what="direct polling")
    assert source.label == "polling directly (collector gone)"
    assert any("Polling the providers directly" in note for note in viewer.notes)
    async with running_collector(standard_script(), port=port):
        await wait_for(lambda: source.mode is Mode.ATTACHED, what="attached again")
        assert direct.active == 0 and not direct.attached_while_polling
        assert any("attached again" in note for note in viewer.notes)
        assert source.switches.count(Mode.DIRECT) == 1, viewer.notes
    await viewer.stop()


async def test_a_collector_that_refuses_this_viewer_means_polling_directly_without_flapping() -> None:
    direct = DirectPolling()
    own = runtimes(("hv-prod", "hivelocity"))
    async with running_collector(standard_script(), token=TOKEN) as running:
        source = FallbackSource(CollectorRef(running.url, "config"), own, clock=FakeClock(), retry_s=0.05,
                                rebuild=lambda rts: list(rts), factory=direct.factory)
        viewer = Viewer(source, own).start()
        await wait_for(lambda: source.mode is Mode.DIRECT and direct.active == 1)
        await asyncio.sleep(0.5)  # ten retry periods: it must not try to attach again
        assert source.switches == [Mode.CONNECTING, Mode.DIRECT] and direct.runs == 1
        assert any("BWTUI_COLLECTOR_TOKEN" in note for note in viewer.notes)
        await viewer.stop()


async def test_a_wall_screen_never_polls_it_waits_for_the_collector() -> None:
    direct = DirectPolling()
    own = runtimes(("hv-prod", "hivelocity"))
    source = FallbackSource(CollectorRef("http://127.0.0.1:9", "test"), own, clock=FakeClock(), retry_s=0.05,
                            direct=False, rebuild=lambda rts: list(rts), factory=direct.factory)
    viewer = Viewer(source).start()
    await wait_for(lambda: source.mode is Mode.WAITING)
    await asyncio.sleep(0.2)
    assert direct.runs == 0 and source.mode is Mode.WAITING
    assert any("never polls" in note for note in viewer.notes)
    await viewer.stop()


async def test_accounts_the_collector_does_not_poll_are_shown_failing_with_the_reason() -> None:
    async with running_collector(standard_script(), accounts=(("hv-prod", "hivelocity"),)) as running:
        own = runtimes(("hv-prod", "hivelocity"), ("mine-only", "vultr"))
        viewer = Viewer(AttachedSource(CollectorRef(running.url, "test"),
                                       own_accounts=[rt.name for rt in own]), own).start()
        await wait_for(lambda: viewer.source.synced)
        view = viewer.session.store.accounts["mine-only"]
        assert view.error_kind == "not_found" and "does not poll this account" in (view.error or "")
        assert viewer.session.store.accounts["hv-prod"].error is None
        await viewer.stop()


def test_source_changed_registers_the_accounts_it_names_for_billing() -> None:
    session = MonitorSession(now=lambda: T0)
    account = AccountConfig("hv-prod", "hivelocity", allowance_out_bytes=123)
    changes = session.apply(SourceChanged("attached", (account,), severity="warning"))
    assert "hv-prod" in session.store.accounts and "hv-prod" in changes.accounts
    assert [a.severity for a in changes.announcements] == ["warning"]
    state = make_state(make_resources("hv-prod", "hivelocity", 1)[0], 0, T0)
    figures = session.billing(state)
    assert figures is not None and figures.allowance_out_bytes == 123
    assert not session.apply(SourceChanged("", ())).announcements
    assert dataclasses.is_dataclass(SourceChanged)
