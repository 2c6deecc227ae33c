"""A one-shot pass (``status``, ``check``, ``export``) within the host's shared request budget.

:func:`collect_within_budget` opens the host's ledger and the history store, and runs
``collect.collect_once`` with them: it claims its requests from the budget every bwtui process
on this host shares, and serves from history what the budget cannot pay for (see
``bwtui/collect.py``). Without a usable ledger or history it behaves as a plain pass.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bwtui.clock import Clock, RealClock
from bwtui.collect import AccountResult, CacheLookup, CachedFigures, collect_once
from bwtui.config import PollSettings
from bwtui.history import HistoryStore, HistoryUnavailable, open_history
from bwtui.model import Resource, ResourceState
from bwtui.polling.ledger import Ledger, open_ledger
from bwtui.runtime import AccountRuntime

log = logging.getLogger(__name__)

CACHE_SPAN_S = 2 * 86400.0  # older figures are not worth showing as "cached"


def history_cache(store: HistoryStore, now: float, span_s: float = CACHE_SPAN_S) -> CacheLookup:
    """A lookup of each resource's newest rate and totals in ``store`` (the last ``span_s``)."""

    def lookup(resource: Resource) -> CachedFigures | None:
        try:
            samples = store.samples(resource.key, since=now - span_s)
            reading = store.last_reading(resource.key)
        except HistoryUnavailable:
            return None
        latest = next((s for s in reversed(samples) if s.in_bps is not None or s.out_bps is not None), None)
        if reading is not None and reading.t < now - span_s:
            reading = None
        if latest is None and reading is None:
            return None
        return CachedFigures(latest, reading)

    return lookup


async def collect_within_budget(
    runtimes: list[AccountRuntime],
    *,
    clock: Clock | None = None,
    settings: PollSettings | None = None,
    history_path: Path | None = None,
    ledger: Ledger | None = None,
    when_short: str = "cached",
) -> tuple[list[AccountResult], list[ResourceState]]:
    """``collect_once`` with the host's ledger (opened here unless given) and history."""
    clock = clock or RealClock()
    own_ledger = ledger is None
    if ledger is None:
        ledger = open_ledger()
    history, problem = open_history(history_path)
    if problem:
        log.info("one-shot pass without cached figures: %s", problem)
    try:
        cached = history_cache(history, clock.now()) if history is not None else None
        return await collect_once(
            runtimes, clock=clock, settings=settings, ledger=ledger, cached=cached, when_short=when_short
        )
    finally:
        if history is not None:
            history.close()
        if own_ledger and ledger is not None:
            ledger.forget()
            ledger.close()
