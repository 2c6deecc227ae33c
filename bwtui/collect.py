"""One pass over every account for ``bwtui status``: list, then usage and latest rate, concurrently.

A failure marks only the account or resource it happened to; everything else is still returned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from bwtui.clock import Clock, RealClock, deadline
from bwtui.config import PollSettings
from bwtui.model import ErrorKind, ProviderError, Reading, Resource, ResourceState
from bwtui.periods import period_bounds
from bwtui.polling.guard import guarded_call
from bwtui.model import Period
from bwtui.rates import rate_between
from bwtui.runtime import AccountRuntime



@dataclass(frozen=True, slots=True)
class AccountResult:
    """An account's listing: its resources, or the error that prevented it."""

    name: str
    provider: str
    error: ProviderError | None
    resources: tuple[Resource, ...] = ()


async def collect_once(
    accounts: list[AccountRuntime],
    *,
    clock: Clock | None = None,
    settings: PollSettings | None = None,
    deadline_s: float | None = None,
    previous_readings: Mapping[tuple[str, str], Reading] | None = None,
) -> tuple[list[AccountResult], list[ResourceState]]:
    """List every account, then fetch each resource's totals (and latest rate where there is a series).

    ``deadline_s`` bounds the whole pass (default: twice the per-request deadline); what has
    not answered by then gets a ``timeout`` error. ``previous_readings`` (e.g. from the history
    store) turn Altostrat's totals into rates.
    """
    clock = clock or RealClock()
    settings = settings or PollSettings()
    request_s = settings.request_deadline_s
    overall_s = deadline_s if deadline_s is not None else 2 * request_s
    previous_readings = previous_readings or {}
    results: list[AccountResult | None] = [None] * len(accounts)
    states: list[list[ResourceState]] = [[] for _ in accounts]

    async def one_resource(runtime: AccountRuntime, state: ResourceState, semaphore: asyncio.Semaphore) -> None:
        client = runtime.client
        assert client is not None
        resource = state.resource
        errors: list[ProviderError] = []

        async def usage() -> None:
            async with semaphore:
                now = clock.now()
                start = period_bounds(now, runtime.config.billing_day)[0]
                try:
                    state.usage = await guarded_call(clock, request_s, lambda: client.fetch_usage(resource, start, now))
                except ProviderError as err:
                    errors.append(err)
                    return
            state.updated_at = clock.now()
            got = state.usage
            previous = previous_readings.get(resource.key)
            if client.traits.series_step_s is None and previous is not None and got is not None:
                if got.period_in_bytes is not None and got.period_out_bytes is not None:
                    reading = Reading(got.as_of or clock.now(), got.period_in_bytes, got.period_out_bytes)
                    sample = rate_between(previous, reading)
                    if sample is not None:
                        state.in_bps, state.out_bps, state.rate_at = sample.in_bps, sample.out_bps, sample.t

        async def rate() -> None:
            async with semaphore:
                try:
                    series = await guarded_call(clock, request_s, lambda: client.fetch_series(resource, Period.DAY))
                except ProviderError as err:
                    errors.append(err)
                    return
            latest = series.latest if series is not None else None
            if latest is not None:
                state.in_bps, state.out_bps, state.rate_at = latest.in_bps, latest.out_bps, latest.t

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
        semaphore = asyncio.Semaphore(max(1, settings.max_concurrency))
        try:
            async with semaphore:
                resources = tuple(await guarded_call(clock, request_s, client.list_resources))
        except ProviderError as err:
            results[index] = AccountResult(name, provider, err)
            return
        results[index] = AccountResult(name, provider, None, resources)
        states[index] = [ResourceState(resource=resource) for resource in resources]
        await asyncio.gather(*(one_resource(runtime, state, semaphore) for state in states[index]))

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
