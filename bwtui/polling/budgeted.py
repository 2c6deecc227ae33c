"""A one-shot pass (``status``, ``check``, ``export``) within the host's shared request budget.

:func:`collect_within_budget` opens the host's ledger and the history store, and runs
``bwtui.collect.collect_once`` with them: it claims its requests from the budget every bwtui
process on this host shares, and serves from history what the budget cannot pay for (see
``bwtui/collect.py``). Without a usable ledger or history it behaves as a plain pass.
"""

from __future__ import annotations

import logging
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from bwtui.clock import Clock, RealClock
from bwtui.config import PollSettings
from bwtui.model import ResourceState
from bwtui.polling.cached import history_cache
from bwtui.polling.ledger import Ledger, open_ledger
from bwtui.runtime import AccountRuntime

if TYPE_CHECKING:
    from bwtui.collect import AccountResult
    from bwtui.history import HistoryStore

log = logging.getLogger(__name__)


async def collect_within_budget(
    runtimes: list[AccountRuntime],
    *,
    clock: Clock | None = None,
    settings: PollSettings | None = None,
    history: HistoryStore | None = None,
    history_path: Path | None = None,
    ledger: Ledger | None = None,
    when_short: str = "cached",
) -> tuple[list[AccountResult], list[ResourceState]]:
    """``collect_once`` with the host's ledger (opened here unless given) and the history
    store (``history``, the caller's; else opened here from ``history_path``)."""
    from bwtui.history import open_history

    collect = import_module("bwtui.collect")  # looked up now: tests stand a fake pass in for it

    clock = clock or RealClock()
    own_ledger = ledger is None
    if ledger is None:
        ledger = open_ledger()
    own_history = history is None
    if history is None:
        history, problem = open_history(history_path)
        if problem:
            log.info("one-shot pass without cached figures: %s", problem)
    try:
        cached = history_cache(history, clock.now()) if history is not None else None
        result: tuple[list[AccountResult], list[ResourceState]] = await collect.collect_once(
            runtimes, clock=clock, settings=settings, ledger=ledger, cached=cached, when_short=when_short
        )
        return result
    finally:
        if own_history and history is not None:
            history.close()
        if own_ledger and ledger is not None:
            ledger.forget()
            ledger.close()
