"""A monitor left open sees an Altostrat counter reset and projects from it (issue 9's 130x case).

An instance whose counters dropped at 13:00 on the 15th started a new billing period then: the
monitor's usage panel, its projections and its alerts must count from the reset, not from the 1st,
whether the drop happens while it runs or was stored in history by an earlier run.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from bwtui.config import AccountConfig
from bwtui.events import AccountListed, ResourceUpdated
from bwtui.history import HistoryStore
from bwtui.model import Reading
from bwtui.runtime import AccountRuntime
from bwtui.session.billing import billing_lines
from bwtui.session.core import MonitorSession
from ui_support import T0, make_resources, make_state

VPN = make_resources("vpn", "altostrat", 1)
RESET_AT = T0 - 7 * 60  # 13:00 UTC on the 15th
GB = 10**9


def _session(history: HistoryStore | None = None) -> MonitorSession:
    session = MonitorSession(now=lambda: T0, history=history, flush_s=5.0)
    session.register([AccountRuntime(AccountConfig("vpn", "altostrat"), None)])
    return session


def _reading(at: float, out_gb: float) -> object:
    state = make_state(VPN[0], 0, at)
    usage = dataclasses.replace(state.usage, period_in_bytes=int(out_gb * GB / 4),
                                period_out_bytes=int(out_gb * GB), as_of=at, period_start=None)
    return dataclasses.replace(state, usage=usage)


def test_a_drop_seen_while_running_starts_the_period_at_the_reset() -> None:
    session = _session()
    session.apply(AccountListed("vpn", "altostrat", tuple(VPN)))
    session.apply(ResourceUpdated(_reading(RESET_AT - 60, 900)))  # the old period's last total
    before = session.billing(_reading(RESET_AT - 60, 900))
    assert before is not None and before.period_source == "calendar"
    after = _reading(RESET_AT + 60, 0.05)
    session.apply(ResourceUpdated(after))  # the counters dropped: a new period
    figures = session.billing(after)
    assert figures is not None
    assert figures.period_source == "observed_reset"
    assert abs(figures.period_start - RESET_AT) <= 60
    text = "".join(part for part, _ in billing_lines(figures, after) or [])
    assert "from a counter reset" in text


def test_a_reset_stored_by_an_earlier_run_is_found_at_start(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3", auto_compact=False, clock=lambda: T0)
    key = VPN[0].key
    store.add_reading(key, Reading(RESET_AT - 600, 200 * GB, 900 * GB))
    store.add_reading(key, Reading(RESET_AT + 600, GB // 10, GB // 2))
    session = _session(store)
    asyncio.run(session.load_seed())
    state = _reading(T0, 1)
    figures = session.billing(state)
    assert figures is not None and figures.period_source == "observed_reset"
    # Minutes into the new period: "too early" to project, not 1 GB spread over two weeks.
    assert figures.projected_out_bytes is None
    calendar = _session().billing(state)
    assert calendar is not None and calendar.period_source == "calendar"
    assert calendar.projected_out_bytes is not None and calendar.projected_out_bytes < 3 * GB
    store.close()


def test_hivelocity_totals_never_count_as_a_reset() -> None:
    hv = make_resources("hv", "hivelocity", 1)[0]
    session = MonitorSession(now=lambda: T0)
    session.register([AccountRuntime(AccountConfig("hv", "hivelocity"), None)])
    session.apply(AccountListed("hv", "hivelocity", (hv,)))
    first = make_state(hv, 8, T0 - 3600)
    session.apply(ResourceUpdated(first))
    lower = dataclasses.replace(first.usage, period_out_bytes=1, as_of=T0)
    session.apply(ResourceUpdated(dataclasses.replace(make_state(hv, 8, T0), usage=lower)))
    assert session.resets.reset_at(hv.key) is None
