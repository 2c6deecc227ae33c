"""The monitor session without Textual: poll events in, what to redraw, say and write out."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from bwtui.config import AccountConfig, Thresholds
from bwtui.events import (
    AccountFailed,
    AccountListed,
    PollerPaused,
    RateLimitUpdated,
    ResourceUpdated,
    SeriesUpdated,
)
from bwtui.history import HistoryStore, HistoryUnavailable
from bwtui.model import ErrorKind, Period, ProviderError, RateLimit, Sample
from bwtui.runtime import AccountRuntime
from bwtui.session.billing import billing_lines
from bwtui.session.core import MonitorSession
from bwtui.session.live import LivePollerSource
from ui_support import T0, FakeClock, FakePoller, make_resources, make_series, make_state

HV = make_resources("hv-prod", "hivelocity", 2)
VPN = make_resources("vpn", "altostrat", 1)


def _session(history: HistoryStore | None = None, *, thresholds: Thresholds | None = None) -> MonitorSession:
    session = MonitorSession(now=lambda: T0, history=history, flush_s=5.0)
    hv = AccountConfig("hv-prod", "hivelocity", thresholds=thresholds or Thresholds())
    session.register([AccountRuntime(hv, None), AccountRuntime(AccountConfig("vpn", "altostrat"), None)])
    return session


def _listed(session: MonitorSession) -> None:
    session.apply(AccountListed("hv-prod", "hivelocity", tuple(HV)))
    session.apply(AccountListed("vpn", "altostrat", tuple(VPN)))


def test_a_new_state_names_its_resource_and_the_same_state_again_changes_nothing() -> None:
    session = _session()
    listed = session.apply(AccountListed("hv-prod", "hivelocity", tuple(HV)))
    assert listed.listed == "hv-prod" and not listed.resources
    state = make_state(HV[0], 0, T0)
    changes = session.apply(ResourceUpdated(state))
    assert changes.resources == {HV[0].key}
    assert session.store.states[HV[0].key].out_bps == state.out_bps
    assert not session.apply(ResourceUpdated(state))


def test_a_day_series_redraws_rows_and_other_periods_only_the_chart() -> None:
    session = _session()
    _listed(session)
    day = session.apply(SeriesUpdated(HV[0].key, Period.DAY, make_series(0, Period.DAY, T0)))
    week = session.apply(SeriesUpdated(HV[0].key, Period.WEEK, make_series(0, Period.WEEK, T0)))
    assert day.resources == {HV[0].key} and not day.charts
    assert week.charts == {HV[0].key} and not week.resources


def test_an_account_failure_is_announced_once_until_it_lists_again() -> None:
    session = _session()
    error = ProviderError(ErrorKind.AUTH, "Unauthenticated.\x1b[2J", status=401)
    first = session.apply(AccountFailed("vpn", error))
    assert first.accounts == {"vpn"}
    [note] = first.announcements
    assert note.title == "account failed" and note.severity == "error"
    assert note.text == "vpn: auth: Unauthenticated.\\x1b[2J"  # shown literally
    assert not session.apply(AccountFailed("vpn", error))  # the same failure: nothing new
    session.apply(AccountListed("vpn", "altostrat", tuple(VPN)))
    assert session.apply(AccountFailed("vpn", error)).announcements  # failed again: said again


def test_pause_lives_in_the_store_and_follows_the_pollers_events() -> None:
    session = _session()
    assert session.apply(PollerPaused(True)).paused is True
    assert session.store.paused
    assert session.apply(PollerPaused(True)).paused is None  # no change, nothing to redraw
    assert session.apply(PollerPaused(False)).paused is False
    assert not session.store.paused


def test_rate_limit_changes_redraw_the_account() -> None:
    session = _session()
    changes = session.apply(RateLimitUpdated("hv-prod", RateLimit(3600, 0, T0 + 600, T0)))
    assert changes.accounts == {"hv-prod"}
    assert session.store.account_status("hv-prod") == "rate_limited"


def test_a_threshold_crossing_is_announced_once_with_the_bell_and_recovery_quietly() -> None:
    session = _session(thresholds=Thresholds(warn_out_bps=400e6, crit_out_bps=800e6))
    _listed(session)
    base = make_state(HV[0], 0, T0)

    def poll(out_bps: float, n: int) -> Any:
        return session.apply(ResourceUpdated(dataclasses.replace(base, out_bps=out_bps, updated_at=T0 + n)))

    crossed = [a for n in range(1, 4) for a in poll(500e6, n).announcements]
    assert [(a.title, a.severity, a.bell) for a in crossed] == [("threshold crossed", "warning", True)]
    assert crossed[0].text == "web-01: WARNING - out 500 Mbit/s > warning 400 Mbit/s"
    assert session.store.alert_level(HV[0].key) == "warning"
    [recovered] = poll(100e6, 5).announcements
    assert (recovered.title, recovered.bell) == ("recovered", False)
    assert session.store.alert_level(HV[0].key) is None


def test_billing_lines_label_the_projection_an_estimate() -> None:
    session = _session()
    _listed(session)
    state = make_state(HV[0], 8, T0)
    lines = billing_lines(session.billing(state), state)
    assert lines is not None
    text = "".join(part for part, _ in lines)
    assert text.startswith("billing 1 Jan to 1 Feb (calendar month) · ") and "% elapsed" in text
    assert "\nest.    out " in text and "at period end (estimate)" in text
    assert "\ncost    $" in text and "overage by period end (estimate)" in text
    assert billing_lines(session.billing(state), dataclasses.replace(state, usage=None)) is None
    assert billing_lines(None, state) is None


# ----- history: buffering, flush policy, seed, failure ---------------------------------------------
def _store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(tmp_path / "history.sqlite3", auto_compact=False, clock=lambda: T0)


def test_new_data_makes_one_write_due_and_it_is_written_in_one_batch(tmp_path: Path) -> None:
    store = _store(tmp_path)
    session = _session(store)
    _listed(session)
    first = session.apply(ResourceUpdated(make_state(HV[0], 0, T0)))
    assert first.flush_in_s == 5.0  # a write is due, once
    assert session.apply(ResourceUpdated(make_state(VPN[0], 1, T0))).flush_in_s is None
    asyncio.run(session.write_history())
    assert len(store.samples(HV[0].key, since=0)) >= 96
    assert store.last_reading(VPN[0].key) is not None  # totals kept for rates from readings
    assert store.last_reading(HV[0].key) is None
    later = make_state(HV[0], 0, T0 + 300)
    assert session.apply(ResourceUpdated(later)).flush_in_s == 5.0  # due again after the write
    store.close()


def test_the_seed_is_read_once_and_never_written_back(tmp_path: Path) -> None:
    store = _store(tmp_path)
    stored = [Sample(T0 - 600 + i * 300, 1e6, 2e6) for i in range(2)]
    store.add_samples(HV[0].key, stored)
    session = _session(store)
    assert session.history.needs_seed
    asyncio.run(session.load_seed())
    seed = session.history.seed
    assert seed is not None and [s.t for s in seed(HV[0])[0]] == [s.t for s in stored]
    assert not session.history.needs_seed
    state = dataclasses.replace(make_state(HV[0], 0, T0), history=tuple(stored))
    _listed(session)
    assert session.apply(ResourceUpdated(state)).flush_in_s is None  # nothing new to write
    store.close()


def test_a_failing_store_is_kept_told_once_and_marked(tmp_path: Path) -> None:
    class Broken(HistoryStore):
        def add_batch(self, items: Any) -> int:
            raise HistoryUnavailable("history database /x is locked")

    store = Broken(tmp_path / "h.sqlite3", auto_compact=False, clock=lambda: T0)
    session = _session(store)
    _listed(session)
    session.apply(ResourceUpdated(make_state(HV[0], 0, T0)))
    changes = asyncio.run(session.write_history())
    assert [a.text for a in changes.announcements] == ["History: history database /x is locked"]
    assert changes.history  # the header's lasting mark is redrawn
    assert session.history.store is store  # kept: it counts what is lost and may recover
    assert session.apply(ResourceUpdated(make_state(HV[0], 0, T0 + 300))).flush_in_s is not None
    assert not asyncio.run(session.write_history()).announcements  # told once per reason
    store.close()


def test_a_store_without_health_is_turned_off(tmp_path: Path) -> None:
    class Broken:
        def add_batch(self, items: Any) -> int:
            raise HistoryUnavailable("it broke")

    session = _session(Broken())  # type: ignore[arg-type]
    _listed(session)
    session.apply(ResourceUpdated(make_state(HV[0], 0, T0)))
    changes = asyncio.run(session.write_history())
    assert [a.text for a in changes.announcements] == ["History is off: it broke"]
    assert session.history.store is None


def test_a_chart_from_history_when_the_provider_has_none(tmp_path: Path) -> None:
    store = _store(tmp_path)
    key = VPN[0].key
    store.add_samples(key, [Sample(T0 - 3 * 86400 + i * 600, 1e6, 2e6) for i in range(50)])
    session = _session(store)
    _listed(session)
    assert session.wants_history_chart(key, Period.WEEK)
    changes = asyncio.run(session.load_history_chart(key, Period.WEEK))
    assert changes.charts == {key}
    series, from_history = session.store.chart_series(key, Period.WEEK)
    assert from_history and series is not None and len(series.samples) >= 50
    store.close()


# ----- the live source ------------------------------------------------------------------------------
class _Client:
    provider = "hivelocity"

    def __init__(self) -> None:
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1


def test_the_live_source_runs_its_poller_and_hands_requests_to_it() -> None:
    client = _Client()
    runtime = AccountRuntime(AccountConfig("hv-prod", "hivelocity"), client)  # type: ignore[arg-type]
    events: list[Any] = []

    def factory(rts: Any, *, clock: Any, on_event: Any, history: Any = None) -> FakePoller:
        return FakePoller(rts, clock=clock, on_event=on_event,
                          script=lambda p: [AccountListed("hv-prod", "hivelocity", tuple(HV))])

    async def main() -> None:
        source = LivePollerSource([runtime], clock=FakeClock(), factory=factory)
        assert source.has_work and source.control is None and source.label == "polling"
        task = asyncio.create_task(source.run(events.append))
        for _ in range(10):
            await asyncio.sleep(0)
        control = source.control
        assert isinstance(control, FakePoller)
        control.prioritize(HV[0].key)
        control.pause()
        assert control.calls == [("prioritize", HV[0].key), ("pause",)]
        assert [type(e).__name__ for e in events] == ["AccountListed", "PollerPaused"]
        renewed = source.renewed([runtime])
        assert renewed.control is None and renewed.runtimes == [runtime]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await renewed.aclose()
        await renewed.aclose()  # twice is fine: each client is closed once

    asyncio.run(main())
    assert client.closed == 1


def test_a_source_without_any_client_has_nothing_to_do() -> None:
    runtime = AccountRuntime(AccountConfig("hv-prod", "hivelocity"), None, "no token")
    assert not LivePollerSource([runtime], clock=FakeClock()).has_work
