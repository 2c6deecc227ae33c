"""One poll of every account, for the one-shot commands (``status``, ``check``).

Takes a loaded :class:`~bwtui.config.Config` (or starts the demo), polls once, turns Altostrat
totals into rates with the stored readings of the previous run, and works out billing figures.
Raises :class:`~bwtui.exits.UsageError` when there is nothing to poll; the command turns that
into its exit code. No Textual here, and nothing from ``bwtui.commands``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bwtui.billing import BillingFigures, billing_for
from bwtui.config import AccountConfig, Config
from bwtui.exits import ADD_ACCOUNT_FIX, UsageError
from bwtui.model import Reading, ResourceState, SkippedItem
from bwtui.p95 import P95
from bwtui.paths import demo_history_file
from bwtui.runtime import AccountRuntime

if TYPE_CHECKING:
    from bwtui.collect import AccountResult
    from bwtui.history import HistoryStore


@dataclass(slots=True)
class OneShot:
    """What one poll of every account found."""

    config: Config
    generated_at: float
    accounts: list[AccountResult]
    states: list[ResourceState]
    billing: dict[tuple[str, str], BillingFigures | None] = field(default_factory=dict)
    history_problem: str | None = None
    skipped: dict[str, list[SkippedItem]] = field(default_factory=dict)  # by account name
    via: str | None = None  # the collector's URL when one answered instead of the providers
    p95: dict[tuple[str, str], P95] = field(default_factory=dict)
    history_note: str | None = None  # the line status/check print about history (None: all well)


def poll_once(config: Config, *, only_account: str | None = None, when_short: str = "cached") -> OneShot:
    """Poll the accounts of ``config`` once (only ``only_account`` when given, by name), within
    the request budget every bwtui process on this host shares (``when_short``: see
    ``bwtui.collect.collect_once``).

    Raises UsageError when the config has no account, or none of that name.
    """
    if not config.accounts:
        where = config.path or "the config file"
        raise UsageError(
            f"no accounts configured in {where}. Fix: add one with "
            f"{ADD_ACCOUNT_FIX}, or try `--demo`"
        )
    from bwtui.runtime import build_runtimes

    everything = build_runtimes(config)
    return asyncio.run(_poll(config, _only(everything, only_account), everything, None, when_short))


def poll_demo_once(*, only_account: str | None = None, when_short: str = "cached") -> OneShot:
    """Start the demo's simulated accounts, poll them once, stop them (demo history file)."""
    from bwtui.demo import start_demo

    with start_demo() as demo:
        config = Config(path=None, accounts=demo.accounts)
        runtimes = _only(demo.runtimes, only_account)
        return asyncio.run(_poll(config, runtimes, demo.runtimes, demo_history_file(), when_short))


def _only(runtimes: list[AccountRuntime], name: str | None) -> list[AccountRuntime]:
    if name is None:
        return list(runtimes)
    chosen = [r for r in runtimes if r.name == name]
    if not chosen:
        known = ", ".join(r.name for r in runtimes) or "none"
        raise UsageError(f"no account named {name!r} in the config (known: {known})")
    return chosen


async def _poll(
    config: Config,
    runtimes: list[AccountRuntime],
    to_close: list[AccountRuntime],
    history_path: Path | None,
    when_short: str = "cached",
) -> OneShot:
    from bwtui.clock import RealClock
    from bwtui.history import default_history_path, open_history
    from bwtui.history_notice import oneshot_history_note
    from bwtui.polling.budgeted import collect_within_budget
    from bwtui.runtime import close_runtimes

    existed = (history_path or default_history_path()).exists()
    history, problem = open_history(history_path)  # also serves cached figures when short
    note = oneshot_history_note(history, problem, existed=existed)
    try:
        try:
            account_results, states = await collect_within_budget(
                runtimes, clock=RealClock(), settings=config.poll, history=history,
                when_short=when_short,
            )
        finally:
            await close_runtimes(to_close)
        now = time.time()
        resets: dict[tuple[str, str], float] = {}
        if history is not None:
            for state in states:
                reset = _rate_from_history(history, state)
                if reset is not None:
                    resets[state.resource.key] = reset
        clients = {r.name: r.client for r in runtimes}
        for state in states:
            series_warnings = getattr(clients.get(state.resource.account), "series_warnings", None)
            if callable(series_warnings):
                state.extra_warnings = tuple(series_warnings(state.resource.id))
        by_name = {a.name: a for a in config.accounts}
        billing = {
            s.resource.key: (
                billing_for(
                    s.resource,
                    s.usage,
                    by_name[s.resource.account],
                    now,
                    observed_reset_at=resets.get(s.resource.key),
                )
                if s.usage
                else None
            )
            for s in states
        }
        p95: dict[tuple[str, str], P95] = {}
        for state in states:
            account = by_name[state.resource.account]
            figures = billing.get(state.resource.key) or billing_for(state.resource, None, account, now)
            found = _p95(history, state, figures, account, now)
            if found is not None:
                p95[state.resource.key] = found
    finally:
        if history is not None:
            history.close()
    skipped = {name: list(getattr(client, "skipped", None) or ()) for name, client in clients.items()}
    return OneShot(config, now, list(account_results), list(states), billing, problem, skipped, p95=p95,
                   history_note=note)


def _p95(history: HistoryStore | None, state: ResourceState, figures: BillingFigures,
         account: AccountConfig, now: float) -> P95 | None:
    """The billing period's 95th percentile of 5-minute points: this poll's day series plus
    the stored ones (None for resources without 5-minute points)."""
    from bwtui.history import HistoryUnavailable
    from bwtui.history_read import period_five_minute_points
    from bwtui.p95 import committed_for, p95_of_state

    fresh = [s for s in state.history if s.t % 300 == 0]
    stored = []
    if history is not None:
        try:
            stored = period_five_minute_points(history, state.resource.key, figures.period_start, now)
        except HistoryUnavailable:
            stored = []
    if not fresh and not stored:
        return None
    return p95_of_state(fresh, stored, figures.period_start, figures.period_end, now,
                        committed_out_bps=committed_for(state.resource, account))


def _rate_from_history(history: HistoryStore, state: ResourceState) -> float | None:
    """Totals-only providers (Altostrat) get their rate from the previous run's reading.

    Returns when the stored readings last showed a counter reset (a new period), if they did.
    """
    from bwtui.history import HistoryUnavailable
    from bwtui.periods import RESET_LOOKBACK_S, last_reset

    usage = state.usage
    if state.in_bps is not None or usage is None:
        return None
    if usage.period_in_bytes is None or usage.period_out_bytes is None:
        return None
    reading = Reading(usage.as_of or time.time(), usage.period_in_bytes, usage.period_out_bytes)
    try:
        sample = history.derive_rate(state.resource.key, reading)
        readings = history.readings(state.resource.key, since=reading.t - RESET_LOOKBACK_S)
    except HistoryUnavailable:
        return None
    if sample is not None:
        state.in_bps, state.out_bps, state.rate_at = sample.in_bps, sample.out_bps, sample.t
    return last_reset(readings)
