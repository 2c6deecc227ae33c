"""One poll of every account, for the one-shot commands (``status``, ``check``).

Loads the config (or starts the demo), polls once, turns Altostrat totals into rates with the
stored readings of the previous run, and works out billing figures. No Textual here.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

from bwtui.billing import BillingFigures, billing_for
from bwtui.commands.common import CommandError, load_config_for
from bwtui.config import Config
from bwtui.model import Reading, ResourceState
from bwtui.paths import demo_history_file
from bwtui.runtime import AccountRuntime

@dataclass(slots=True)
class OneShot:
    """What one poll of every account found."""

    config: Config
    generated_at: float
    accounts: list  # list[bwtui.collect.AccountResult]
    states: list[ResourceState]
    billing: dict[tuple[str, str], BillingFigures | None] = field(default_factory=dict)
    history_problem: str | None = None


def poll_once(args: argparse.Namespace, *, only_account: str | None = None) -> OneShot:
    """Poll the configured accounts (the demo's with ``--demo``); raise CommandError on a
    usage/config problem. ``only_account`` limits the poll to one account by name."""
    if getattr(args, "demo", False):
        from bwtui.demo import start_demo

        with start_demo() as demo:
            config = Config(path=None, accounts=demo.accounts)
            runtimes = _only(demo.runtimes, only_account)
            return asyncio.run(_poll(config, runtimes, demo.runtimes, demo_history_file()))
    config = load_config_for(args)
    if not config.accounts:
        where = config.path or "the config file"
        raise CommandError(
            f"no accounts configured in {where}. Fix: add one with "
            "`bwtui account add NAME --provider hivelocity|altostrat`, or try `--demo`"
        )
    from bwtui.runtime import build_runtimes

    everything = build_runtimes(config)
    return asyncio.run(_poll(config, _only(everything, only_account), everything, None))


def _only(runtimes: list[AccountRuntime], name: str | None) -> list[AccountRuntime]:
    if name is None:
        return list(runtimes)
    chosen = [r for r in runtimes if r.name == name]
    if not chosen:
        known = ", ".join(r.name for r in runtimes) or "none"
        raise CommandError(f"no account named {name!r} in the config (known: {known})")
    return chosen


async def _poll(
    config: Config,
    runtimes: list[AccountRuntime],
    to_close: list[AccountRuntime],
    history_path: Path | None,
) -> OneShot:
    from bwtui.clock import RealClock
    from bwtui.collect import collect_once
    from bwtui.history import open_history
    from bwtui.runtime import close_runtimes

    try:
        account_results, states = await collect_once(
            runtimes, clock=RealClock(), settings=config.poll
        )
    finally:
        await close_runtimes(to_close)
    now = time.time()
    history, problem = open_history(history_path)
    if history is not None:
        try:
            for state in states:
                _rate_from_history(history, state)
        finally:
            history.close()
    by_name = {a.name: a for a in config.accounts}
    billing = {
        s.resource.key: (
            billing_for(s.resource, s.usage, by_name[s.resource.account], now) if s.usage else None
        )
        for s in states
    }
    return OneShot(config, now, list(account_results), list(states), billing, problem)


def _rate_from_history(history, state: ResourceState) -> None:  # noqa: ANN001 - HistoryStore
    """Totals-only providers (Altostrat) get their rate from the previous run's reading."""
    from bwtui.history import HistoryUnavailable

    usage = state.usage
    if state.in_bps is not None or usage is None:
        return
    if usage.period_in_bytes is None or usage.period_out_bytes is None:
        return
    reading = Reading(usage.as_of or time.time(), usage.period_in_bytes, usage.period_out_bytes)
    try:
        sample = history.derive_rate(state.resource.key, reading)
    except HistoryUnavailable:
        return
    if sample is not None:
        state.in_bps, state.out_bps, state.rate_at = sample.in_bps, sample.out_bps, sample.t
