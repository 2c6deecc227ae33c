"""The monitor with its history store and thresholds: what survives a restart, what alerts once."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

from bwtui.config import AccountConfig, Thresholds
from bwtui.events import AccountListed, ResourceUpdated
from bwtui.history import HistoryStore, HistoryUnavailable
from bwtui.model import Reading, Sample
from bwtui.runtime import AccountRuntime

from bwtui.ui.text_panel import TextPanel
from ui_support import (
    HOSTILE_NAMES,
    T0,
    FakeClock,
    FakePoller,
    FrozenRealClock,
    demo_app,
    fake_app,
    make_resources,
    make_state,
    screen_text,
    settle,
    settle_demo,
    standard_script,
)

SIZE = (110, 32)


class SpyStore(HistoryStore):
    """A real store that records which thread wrote and how many batches."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batches = 0
        self.writer_threads: set[str] = set()

    def add_batch(self, items: Any) -> int:
        self.batches += 1
        self.writer_threads.add(threading.current_thread().name)
        return super().add_batch(items)


def _store(tmp_path: Path, cls: type[HistoryStore] = HistoryStore) -> Any:
    return cls(tmp_path / "history.sqlite3", auto_compact=False, clock=lambda: T0)


async def _flush(pilot: Any, app: Any) -> None:
    worker = app.flush_history()
    if worker is not None:
        await worker.wait()
    await pilot.pause()


async def test_poll_results_are_written_off_the_ui_thread_in_one_batch(tmp_path: Path) -> None:
    store = _store(tmp_path, SpyStore)
    app = fake_app(standard_script(), history=store, history_flush_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert store.batches == 0  # nothing written per event: coalesced until the flush
        await _flush(pilot, app)
        assert store.batches == 1
        assert threading.main_thread().name not in store.writer_threads
        hv = ("hv-prod", "1000")
        assert len(store.samples(hv, since=0)) >= 96
        vpn = ("vpn", "inst-01")
        assert store.last_reading(vpn) is not None  # Altostrat totals kept for rates later
        await _flush(pilot, app)
        assert store.batches == 1  # nothing new: nothing written
    store.close()


async def test_reopening_shows_stored_rates_and_history_at_once(tmp_path: Path) -> None:
    """Real simulator and poller: a second run seeds from the first and has Altostrat rates."""
    store = _store(tmp_path)
    first, env = demo_app(clock=FrozenRealClock(T0 - 300), history=store, services=3, instances=2)
    try:
        async with first.run_test(size=SIZE) as pilot:
            await settle_demo(pilot, first)
            alto = [k for k in first.store.states if k[0] == "vpn-demo"]
            assert alto and all(first.store.states[k].out_bps is None for k in alto)
            await _flush(pilot, first)
    finally:
        env.stop()
    assert all(store.last_reading(k) is not None for k in alto)
    # Samples from an earlier day as well, so the week chart of this instance has a history.
    for key in alto:
        store.add_samples(key, [Sample(T0 - 86400 * 3 + i * 600, 1e6, 2e6 + i * 1e3) for i in range(50)])

    # The simulator's world is laid out from its clock at start: start it as the first one was,
    # then five minutes pass before the app polls.
    clock = FrozenRealClock(T0 - 300)
    second, env = demo_app(clock=clock, history=store, services=3, instances=2)
    clock.t = T0
    try:
        async with second.run_test(size=SIZE) as pilot:
            await settle_demo(pilot, second)
            # One poll after the restart: a rate from the stored reading (the simulator resets
            # one instance's period in between: that one rightly has none yet).
            with_rate = [k for k in alto if (second.store.states[k].out_bps or 0) > 0]
            assert with_rate
            key = with_rate[0]
            assert second.store.states[key].history
            hv_key = next(k for k in second.store.states if k[0] == "hv-demo")
            assert second.store.states[hv_key].history  # seeded, then refreshed
            if second.view_mode == "overview":
                await pilot.press("o")
            second.tree.select_data(("resource", key))
            second.select_resource(key)
            await pilot.press("2")
            caption = second.query_one("#chart-caption", TextPanel)
            for _ in range(50):
                await pilot.pause(0.05)
                if "local history" in caption.plain:
                    break
            assert "last 7 days" in caption.plain
            assert "local history" in caption.plain
    finally:
        env.stop()
    store.close()


async def test_history_problem_is_shown_once_and_the_app_runs(tmp_path: Path) -> None:
    shown: list[tuple[str, dict[str, Any]]] = []
    app = fake_app(standard_script(), history_problem="history database /x is corrupt [b]x[/b]")
    original = app.notify

    def spy(message: str, **kwargs: Any) -> None:
        shown.append((message, kwargs))
        original(message, **kwargs)

    app.notify = spy  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        history_notes = [m for m, kw in shown if kw.get("title") == "history"]
        assert history_notes == ["history database /x is corrupt [b]x[/b]"]
        assert all(kw.get("markup") is False for _, kw in shown)
        assert "web-01" in screen_text(app)


async def test_a_failing_store_is_kept_and_told_with_one_notice(tmp_path: Path) -> None:
    class Broken(HistoryStore):
        def add_batch(self, items: Any) -> int:
            raise HistoryUnavailable("history database /x is locked by another program")

    store = _store(tmp_path, Broken)
    app = fake_app(standard_script(), history=store, history_flush_s=3600)
    notes: list[str] = []
    original = app.notify

    def spy(message: str, **kwargs: Any) -> None:
        notes.append(message)
        original(message, **kwargs)

    app.notify = spy  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await _flush(pilot, app)
        await pilot.pause()
        await _flush(pilot, app)
        await pilot.pause()
        assert app.history is store  # kept: it counts what is lost and may recover
        assert sum("locked by another program" in n for n in notes) == 1
        assert app.is_running
    store.close()


# ----- thresholds ---------------------------------------------------------------------------------
class _Client:
    provider = "hivelocity"

    async def aclose(self) -> None:
        return None


def _threshold_app(names: tuple[str, ...] = ()) -> tuple[Any, list[Any], list[int]]:
    from bwtui.ui.app import BwtuiApp

    config = AccountConfig(
        name="hv-prod", provider="hivelocity",
        thresholds=Thresholds(warn_out_bps=400e6, crit_out_bps=800e6),
    )
    resources = make_resources("hv-prod", "hivelocity", 2, names)

    def script(poller: FakePoller) -> list[Any]:
        return [AccountListed("hv-prod", "hivelocity", tuple(resources))] + [
            ResourceUpdated(make_state(r, i, T0)) for i, r in enumerate(resources)
        ]

    def factory(rts: Any, *, clock: Any, on_event: Any, history: Any = None) -> FakePoller:
        return FakePoller(rts, clock=clock, on_event=on_event, script=script)

    app = BwtuiApp([AccountRuntime(config, _Client())], poller_factory=factory,  # type: ignore[arg-type]
                   clock=FakeClock())
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    notes: list[Any] = []
    original = app.notify

    def spy(message: str, **kwargs: Any) -> None:
        notes.append((message, kwargs))
        original(message, **kwargs)

    app.notify = spy  # type: ignore[method-assign]
    return app, notes, bells


def _poll(app: Any, resource: Any, out_bps: float, n: int) -> None:
    state = make_state(resource, 0, T0 + n * 300)
    app.poller.emit(ResourceUpdated(dataclasses.replace(state, out_bps=out_bps, updated_at=T0 + n)))


async def test_a_crossing_notifies_and_rings_once_and_recovery_does_not_ring() -> None:
    app, notes, bells = _threshold_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        resource = make_resources("hv-prod", "hivelocity", 1)[0]
        assert bells == []
        for n in range(1, 5):  # four polls above the warning level
            _poll(app, resource, 500e6, n)
            await pilot.pause()
        crossed = [m for m, kw in notes if kw.get("title") == "threshold crossed"]
        assert len(crossed) == 1 and bells == [1]
        assert "web-01: WARNING - out 500 Mbit/s > warning 400 Mbit/s" in crossed[0]
        text = screen_text(app)
        assert "WARNING !" in text and "out 500 Mbit/s > warning 400 Mbit/s" in text
        label = app.tree.label(("resource", resource.key))
        assert "▲ web-01 " in label.plain and " ! " in label.plain  # the glyph changes shape too
        assert label.plain.endswith(" 500 Mbit/s")
        assert any("yellow" in str(span.style) for span in label.spans)  # marked, and not by markup

        for n in range(5, 8):  # back to normal: one quiet notice, no bell
            _poll(app, resource, 100e6, n)
            await pilot.pause()
        assert bells == [1]
        assert sum(kw.get("title") == "recovered" for _, kw in notes) == 1
        assert "threshold crossed" not in screen_text(app)
        assert app.store.alert_level(resource.key) is None

        _poll(app, resource, 900e6, 8)  # straight to critical: a new crossing
        _poll(app, resource, 900e6, 9)
        await pilot.pause()
        assert bells == [1, 1]
        assert app.store.alert_level(resource.key) == "critical"


async def test_a_hostile_name_in_a_crossing_is_literal_text() -> None:
    app, notes, bells = _threshold_app(HOSTILE_NAMES[:1])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        resource = make_resources("hv-prod", "hivelocity", 1, HOSTILE_NAMES[:1])[0]
        _poll(app, resource, 900e6, 1)
        await pilot.pause()
        crossed = [(m, kw) for m, kw in notes if kw.get("title") == "threshold crossed"]
        assert crossed and crossed[0][0].startswith("[@click=app.quit]x[/]: CRITICAL")
        assert crossed[0][1]["markup"] is False
        assert bells == [1]
        assert app.is_running


def test_demo_history_is_a_separate_file(tmp_path: Path, monkeypatch: Any) -> None:
    from bwtui.paths import demo_history_file as demo_history_path
    from bwtui.history import default_history_path

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert demo_history_path().name == "demo-history.sqlite3"
    assert demo_history_path().parent == default_history_path().parent
    assert demo_history_path() != default_history_path()


def test_history_buffer_writes_only_what_is_new() -> None:
    from bwtui.session.history_sync import HistoryBuffer

    resource = make_resources("vpn", "altostrat", 1)[0]
    state = make_state(resource, 0, T0)
    buffer = HistoryBuffer()
    buffer.mark_stored(resource.key, state.history[:-2], Reading(T0 - 600, 1, 1))
    assert buffer.note_state(state, store_readings=True)
    batch = buffer.drain()
    assert [len(s) for _, s in batch.samples] == [2]
    assert len(batch.readings) == 1
    assert not buffer.note_state(state, store_readings=True)  # the same state again: nothing
    assert not buffer
