"""One pass over every account for ``bwtui status``: list, then usage and latest rate, concurrently.

A failure marks only the account or resource it happened to; everything else is still returned.

With the host's request-budget ledger (``polling.ledger``) the pass first claims what it needs
from the budget every bwtui process on this host shares. When the budget cannot pay for a full
pass (``when_short="cached"``, for ``status``), it serves the figures it has from history (each
marked ``budget low: cached`` with their age, as a stale resource with a ``rate_limited`` error)
and spends what it was granted on the resources whose figures are missing or oldest first, so the
result as a whole is as fresh as the budget allows; never an empty list (the account's last
listing is kept in the ledger). With ``when_short="unknown"`` (for ``check``) it spends nothing
unless the whole pass fits: the last requests stay with the monitor and the caller says UNKNOWN
(see :func:`budget_shortfall`).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bwtui.clock import Clock, RealClock, deadline
from bwtui.config import PollSettings
from bwtui.model import ErrorKind, Period, ProviderError, Reading, Resource, ResourceState, Usage
from bwtui.periods import period_bounds
from bwtui.polling.account import budget_key
from bwtui.polling.cached import CachedFigures, CacheLookup
from bwtui.polling.freshness import PublicationClock
from bwtui.polling.guard import guarded_call
from bwtui.polling.ledger import ONESHOT, Ledger, LedgerError
from bwtui.rates import rate_between
from bwtui.runtime import AccountRuntime

T = TypeVar("T")
BUDGET_LOW = "budget low"
__all__ = ["AccountResult", "BudgetNote", "CacheLookup", "CachedFigures", "budget_shortfall", "collect_once"]
RESERVE_FRACTION = 0.01  # as the monitor: kept for the user's own refreshes


@dataclass(frozen=True, slots=True)
class BudgetNote:
    """Why a pass did not fetch everything: what it wanted, what the budget granted."""

    wanted: int
    granted: int
    cached: tuple[tuple[str, str], ...] = ()  # resources served from history (or not at all)
    listing_from_cache_at: float | None = None  # the listing is the one saved then
    reason: str = ""

    @property
    def text(self) -> str:
        """One line for the status footer and for ``check``'s UNKNOWN."""
        parts = [f"{BUDGET_LOW}: {self.granted} of {self.wanted} requests available"]
        if self.cached:
            parts.append(f"{len(self.cached)} resources cached")
        if self.listing_from_cache_at is not None:
            parts.append("listing cached")
        if self.reason:
            parts.append(self.reason)
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class AccountResult:
    """An account's listing: its resources, or the error that prevented it."""

    name: str
    provider: str
    error: ProviderError | None
    resources: tuple[Resource, ...] = ()
    budget: BudgetNote | None = None  # set when the shared budget could not pay for everything


def budget_shortfall(results: Sequence[AccountResult]) -> str | None:
    """The budget notes of every account that came up short, as one line (None: none did)."""
    notes = [f"{result.name}: {result.budget.text}" for result in results if result.budget is not None]
    return "; ".join(notes) if notes else None


@dataclass(slots=True)
class _Group:
    """One budget group during a pass: its ledger name and whether a 429 said it is spent."""

    name: str
    spent_out: bool = False
    sent: int = 0
    granted: int = 0


def _clock_time(t: float) -> str:
    return time.strftime("%H:%M UTC", time.gmtime(t))


def _age(seconds: float) -> str:
    minutes = max(0, round(seconds / 60))
    return f"{minutes} min old" if minutes < 120 else f"{minutes / 60:.0f} h old"


def _from_cache(state: ResourceState, figures: CachedFigures | None, now: float, why: str) -> None:
    """Fill ``state`` from history and mark it ``budget low: cached``."""
    if figures is not None and figures.sample is not None:
        sample = figures.sample
        state.in_bps, state.out_bps, state.rate_at = sample.in_bps, sample.out_bps, sample.t
    if figures is not None and figures.reading is not None:
        reading = figures.reading
        state.usage = Usage(reading.in_bytes, reading.out_bytes, reading.t, None, "history")
    newest = figures.newest_t if figures is not None else None
    if newest is None:
        message = f"{BUDGET_LOW}: not fetched ({why}) and no figures saved yet"
    else:
        message = f"{BUDGET_LOW}: cached figures as of {_clock_time(newest)} ({_age(now - newest)}; {why})"
        state.stale = True
    state.error = ProviderError(ErrorKind.RATE_LIMITED, message)


async def collect_once(
    accounts: list[AccountRuntime],
    *,
    clock: Clock | None = None,
    settings: PollSettings | None = None,
    deadline_s: float | None = None,
    previous_readings: Mapping[tuple[str, str], Reading] | None = None,
    ledger: Ledger | None = None,
    cached: CacheLookup | None = None,
    when_short: str = "cached",
) -> tuple[list[AccountResult], list[ResourceState]]:
    """List every account, then fetch each resource's totals (and latest rate where there is a series).

    ``deadline_s`` bounds the whole pass (default: twice the per-request deadline); what has
    not answered by then gets a ``timeout`` error. ``previous_readings`` (e.g. from the history
    store) turn Altostrat's totals into rates. ``ledger``: the host's shared request budget;
    ``cached``: figures from history for resources the budget cannot pay for; ``when_short``:
    ``"cached"`` (spend what is granted, serve the rest from history) or ``"unknown"`` (spend
    nothing unless everything fits).
    """
    if when_short not in ("cached", "unknown"):
        raise ValueError("when_short must be 'cached' or 'unknown'")
    clock = clock or RealClock()
    settings = settings or PollSettings()
    request_s = settings.request_deadline_s
    overall_s = deadline_s if deadline_s is not None else 2 * request_s
    previous_readings = previous_readings or {}
    results: list[AccountResult | None] = [None] * len(accounts)
    states: list[list[ResourceState]] = [[] for _ in accounts]
    groups: dict[str, _Group] = {}

    def group_of(runtime: AccountRuntime) -> _Group:
        name = str(budget_key(runtime))
        group = groups.get(name)
        if group is None:
            group = groups[name] = _Group(name)
        return group

    def claim(group: _Group, wanted: int, *, all_or_nothing: bool = False) -> int:
        """Requests the shared budget lets this pass send now (all of them without a ledger)."""
        if ledger is None or wanted <= 0:
            return wanted
        try:
            view = ledger.read(group.name, clock.now())
            reserve = max(1, int(view.limit * RESERVE_FRACTION)) if view.limit else 0
            granted, _ = ledger.claim(group.name, clock.now(), wanted, reserve=reserve, all_or_nothing=all_or_nothing)
        except LedgerError:
            return wanted  # no shared budget today: behave as before
        group.granted += granted
        return granted

    def note_figures(group: _Group, runtime: AccountRuntime, error: ProviderError | None = None) -> None:
        """Tell the ledger what the provider's headers said; a 429 that says the budget is
        gone stops this pass's queued requests of that group."""
        client = runtime.client
        figures = client.rate_limit if client is not None else None
        if error is not None and error.kind is ErrorKind.RATE_LIMITED:
            if figures is None or figures.remaining is None or figures.remaining <= 0:
                group.spent_out = True
        if ledger is None or figures is None:
            return
        block = None
        if group.spent_out and figures.remaining is not None and figures.remaining <= 0:
            wait_s = min(error.retry_after_s or figures.reset_s or 300.0, 3600.0) if error else 300.0
            block = (clock.now() + wait_s, "a one-shot command was rate limited")
        try:
            ledger.sync(group.name, clock.now(), figures=figures, kind=ONESHOT, block=block)
        except LedgerError:
            pass

    async def one_resource(
        runtime: AccountRuntime, group: _Group, state: ResourceState, semaphore: asyncio.Semaphore
    ) -> None:
        client = runtime.client
        assert client is not None
        resource = state.resource
        errors: list[ProviderError] = []

        async def send(call: Callable[[], Awaitable[T]]) -> T:
            if group.spent_out:  # a 429 said the budget is gone: this one is not sent
                raise ProviderError(ErrorKind.RATE_LIMITED, f"{BUDGET_LOW}: the provider says the budget is spent")
            group.sent += 1
            try:
                return await guarded_call(clock, request_s, call)
            except ProviderError as err:
                note_figures(group, runtime, err)
                raise

        async def usage() -> None:
            async with semaphore:
                now = clock.now()
                start = period_bounds(now, runtime.config.billing_day)[0]
                try:
                    got = await send(lambda: client.fetch_usage(resource, start, now))
                except ProviderError as err:
                    errors.append(err)
                    return
            state.usage = got
            state.updated_at = clock.now()
            previous = previous_readings.get(resource.key)
            if client.traits.series_step_s is None and previous is not None:
                if got.period_in_bytes is not None and got.period_out_bytes is not None:
                    reading = Reading(got.as_of or clock.now(), got.period_in_bytes, got.period_out_bytes)
                    sample = rate_between(previous, reading)
                    if sample is not None:
                        state.in_bps, state.out_bps, state.rate_at = sample.in_bps, sample.out_bps, sample.t

        async def rate() -> None:
            async with semaphore:
                fetched_at = clock.now()
                try:
                    series = await send(lambda: client.fetch_series(resource, Period.DAY))
                except ProviderError as err:
                    errors.append(err)
                    return
            latest = series.latest if series is not None else None
            if series is not None and latest is not None:
                # The rate's data time is the end of the interval it averages (polling/freshness.py).
                publication = PublicationClock(float(series.step_s))
                publication.observe(fetched_at, series.samples[-1].t)
                state.in_bps, state.out_bps = latest.in_bps, latest.out_bps
                state.rate_at = publication.data_time(latest.t)
            if series is not None and series.step_s == 300:
                state.history = series.samples  # the day's 5-minute points (for p95)

        try:
            jobs = [usage()]
            if client.traits.series_step_s is not None:
                jobs.append(rate())
            await asyncio.gather(*jobs)
        finally:
            if errors:
                state.error = errors[0]
                state.stale = False

    async def one_account(index: int, runtime: AccountRuntime) -> None:
        client = runtime.client
        name, provider = runtime.name, runtime.config.provider
        if client is None:
            message = runtime.credential_error or "no credential configured for this account"
            results[index] = AccountResult(name, provider, ProviderError(ErrorKind.AUTH, message))
            return
        group = group_of(runtime)
        semaphore = asyncio.Semaphore(max(1, settings.max_concurrency))
        listing_at: float | None = None
        cost = 2 if client.traits.series_step_s is not None else 1
        saved = _saved_listing(ledger, name, provider)
        # A check that cannot pay for the whole pass spends nothing, not even the listing.
        spend_nothing = when_short == "unknown" and saved is not None and not _fits(
            ledger, group.name, clock.now(), 1 + cost * len(saved[0])
        )
        if spend_nothing or claim(group, 1) < 1:
            if saved is None:
                error = ProviderError(
                    ErrorKind.RATE_LIMITED,
                    f"{BUDGET_LOW}: no request left for the listing and no listing saved yet; "
                    "try again after the provider's window resets",
                )
                results[index] = AccountResult(name, provider, error, (), BudgetNote(1, 0))
                return
            resources, listing_at = saved
        else:
            try:
                async with semaphore:
                    group.sent += 1
                    resources = tuple(await guarded_call(clock, request_s, client.list_resources))
            except ProviderError as err:
                note_figures(group, runtime, err)
                results[index] = AccountResult(name, provider, err)
                return
            note_figures(group, runtime)
            if ledger is not None:
                try:
                    ledger.save_listing(name, provider, resources, clock.now())
                except LedgerError:
                    pass
        account_states = [ResourceState(resource=resource) for resource in resources]
        states[index] = account_states
        wanted = cost * len(account_states)
        granted = 0 if spend_nothing else claim(group, wanted, all_or_nothing=when_short == "unknown")
        chosen = account_states
        note: BudgetNote | None = None
        if granted < wanted or listing_at is not None:
            figures = {s.resource.key: _lookup(cached, s.resource) for s in account_states}
            # Missing figures first, then the oldest: the result is as fresh as the budget allows.
            order = sorted(account_states, key=lambda s: _staleness(figures[s.resource.key]))
            chosen = order[: granted // cost]
            unpaid = granted - cost * len(chosen)
            left_over = [s for s in order if s not in chosen]
            now = clock.now()
            why = "the shared request budget is low" if when_short == "cached" else "kept for the monitor"
            for state in left_over:
                _from_cache(state, figures[state.resource.key], now, why)
            note = BudgetNote(
                wanted=wanted + (1 if listing_at is not None else 0),
                granted=granted - unpaid,
                cached=tuple(s.resource.key for s in left_over),
                listing_from_cache_at=listing_at,
            )
        results[index] = AccountResult(name, provider, None, tuple(resources), note)
        await asyncio.gather(*(one_resource(runtime, group, state, semaphore) for state in chosen))
        note_figures(group, runtime)

    tasks = [asyncio.ensure_future(one_account(i, runtime)) for i, runtime in enumerate(accounts)]
    try:
        async with deadline(clock, overall_s):
            await asyncio.gather(*tasks)
    except TimeoutError:
        pass
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if ledger is not None:
            for group in groups.values():
                if group.granted > group.sent:  # claimed but never sent (a 429, the deadline)
                    _give_back(ledger, group.name, clock.now(), group.granted - group.sent)

    timeout = ProviderError(ErrorKind.TIMEOUT, f"no answer within {overall_s:g} s")
    account_results: list[AccountResult] = []
    for index, runtime in enumerate(accounts):
        result = results[index]
        if result is None:
            result = AccountResult(runtime.name, runtime.config.provider, timeout)
        account_results.append(result)
    resource_states: list[ResourceState] = []
    for account_states in states:
        for state in account_states:
            if state.error is None and state.usage is None and state.rate_at is None:
                state.error = timeout
            resource_states.append(state)
    return account_results, resource_states


def _lookup(cached: CacheLookup | None, resource: Resource) -> CachedFigures | None:
    if cached is None:
        return None
    try:
        return cached(resource)
    except Exception:  # noqa: BLE001 - history is a bonus here; a broken store is no figures
        return None


def _staleness(figures: CachedFigures | None) -> float:
    newest = figures.newest_t if figures is not None else None
    return -math.inf if newest is None else newest


def _saved_listing(ledger: Ledger | None, account: str, provider: str) -> tuple[tuple[Resource, ...], float] | None:
    if ledger is None:
        return None
    try:
        return ledger.load_listing(account, provider)
    except LedgerError:
        return None


def _fits(ledger: Ledger | None, group: str, now: float, wanted: int) -> bool:
    """Whether the shared budget could pay for ``wanted`` requests now (True without a ledger)."""
    if ledger is None:
        return True
    try:
        view = ledger.read(group, now)
        reserve = max(1, int(view.limit * RESERVE_FRACTION)) if view.limit else 0
        free = ledger.affordable(group, now, reserve=reserve)
    except LedgerError:
        return True
    return free is None or free >= wanted


def _give_back(ledger: Ledger, group: str, now: float, count: int) -> None:
    try:
        ledger.sync(group, now, spent=-count, kind=ONESHOT)
    except LedgerError:
        pass
