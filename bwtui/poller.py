"""The polling engine: what to ask each provider, when, and within what budget. Pure asyncio.

Shape: per account, a task (in its own task group) lists resources and re-lists them now and
then; per budget group (accounts whose requests one provider budget counts: see
``polling/account.py``), one scheduler picks the next resource to poll (the selected resource
first, then ones the user asked to refresh, then visible ones that are due, then the one whose
new data has waited longest), takes requests from the window budget and the pacer's token
bucket, and starts that resource's poll in its account's task group under the account's
concurrency limit. A resource has at most one poll in flight; the next is armed when it finishes.

Cadence: Hivelocity's DAY series when its next 5-minute row is published (learned per account:
``polling/freshness.py``), retried soon when asked too early; its billing totals when the next
hourly row is out. Altostrat's totals every ``altostrat_interval_s``, rates from successive
readings. When the budget cannot carry that, the pacer spreads requests evenly over the window
and serves the stalest first (never the selected one late); ``BudgetUpdated`` says by how much
intervals stretch and why.

429s: when the provider's figures say the budget is gone, every request of the group stops at
once (queued ones are not sent) until the reset (``Retry-After`` capped at one window); a 429
that leaves budget (a per-resource limit) holds only that resource, at most
``PollerTuning.max_hold_s``; a 429 with no figures pauses the group briefly
(``BudgetTuning.unknown_block_s``) and holds the resource. ``refresh_now`` lifts a resource's
hold for one retry when the budget is not gone.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import TypeVar

from bwtui.clock import Clock, Waker, sleep_until
from bwtui.config import PollSettings
from bwtui.events import (
    AccountFailed,
    AccountListed,
    BudgetUpdated,
    PollerPaused,
    PollEvent,
    RateLimitUpdated,
    ResourceKey,
    ResourceUpdated,
    SeriesUpdated,
)
from bwtui.model import (
    ErrorKind,
    ProviderError,
    RateLimit,
    Reading,
    Resource,
    ResourceState,
    Sample,
    Series,
    Usage,
)
from bwtui.periods import period_bounds
from bwtui.polling.account import Account, BudgetGroup, BudgetKey, budget_key
from bwtui.polling.auth_retry import can_renew, refusal_error, renew_token
from bwtui.polling.backoff import Backoff
from bwtui.polling.budget import Budget, BudgetTuning
from bwtui.polling.guard import guarded_call
from bwtui.providers.base import ProviderClient
from bwtui.polling.ledger import Ledger, LedgerError
from bwtui.polling.pacer import PaceTuning, TokenBucket, plan
from bwtui.polling.slot import PERIOD, SERIES, USAGE, Job, Slot
from bwtui.model import Period
from bwtui.runtime import AccountRuntime

log = logging.getLogger(__name__)
T = TypeVar("T")

HistorySeed = Callable[[Resource], tuple[Sequence[Sample], Reading | None]]


def default_period_start(now: float, billing_day: int) -> float:
    """Start of the billing period containing ``now``."""
    return period_bounds(now, billing_day)[0]


@dataclass(frozen=True, slots=True)
class PollerTuning:
    """Finer knobs than ``PollSettings`` (tests and benchmarks change them)."""

    relist_interval_s: float = 1800.0
    publish_margin_s: float = 5.0  # ask this long after a row's estimated publication
    backoff_base_s: float = 15.0
    backoff_cap_s: float = 900.0
    recent_ok_s: float = 3600.0  # succeeded this recently: back off at most one interval
    max_hold_s: float = 900.0  # longest wait a 429 for one resource imposes on it
    # A day of 5-minute points: what views keep (session.store.HISTORY_LIMIT), so the poller and
    # the views share one compact run per resource (bwtui.samples).
    history_len: int = 288
    rate_limit_event_interval_s: float = 10.0
    budget_event_interval_s: float = 30.0
    ledger_heartbeat_s: float = 10.0  # sync with the host's ledger at least this often
    budget: BudgetTuning = field(default_factory=BudgetTuning)
    pace: PaceTuning = field(default_factory=PaceTuning)


def clock_time(t: float) -> str:
    """``HH:MM:SS UTC`` for an epoch time (shown in messages about when polling resumes)."""
    return time.strftime("%H:%M:%S UTC", time.gmtime(t))


class Poller:
    """Polls every account's resources and reports what changed through ``on_event``."""

    def __init__(
        self,
        accounts: list[AccountRuntime],
        *,
        clock: Clock,
        on_event: Callable[[PollEvent], None],
        settings: PollSettings | None = None,
        period_start_fn: Callable[[float, int], float] = default_period_start,
        tuning: PollerTuning | None = None,
        rng: random.Random | None = None,
        history_seed: HistorySeed | None = None,
        ledger: Ledger | None = None,
    ) -> None:
        """``ledger``: the host's shared request budget (``polling.ledger.open_ledger()``); the
        poller owns it and closes it when :meth:`run` ends. None keeps a budget of this
        process's own."""
        self._clock = clock
        self._on_event = on_event
        self._settings = settings or PollSettings()
        self._period_start = period_start_fn
        self._tuning = tuning or PollerTuning()
        self._backoff = Backoff(
            base_s=self._tuning.backoff_base_s, cap_s=self._tuning.backoff_cap_s, rng=rng or random.Random()
        )
        self._history_seed = history_seed
        self._ledger = ledger
        self._groups: dict[BudgetKey, BudgetGroup] = {}
        self._accounts: list[Account] = []
        for runtime in accounts:
            key = budget_key(runtime)
            group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = BudgetGroup(key, Budget(str(key), self._tuning.budget))
            acct = Account(runtime, group, self._settings.max_concurrency)
            group.accounts.append(acct)
            self._accounts.append(acct)
        self._slots: dict[ResourceKey, Slot] = {}
        self._states: dict[ResourceKey, ResourceState] = {}
        self._selected: ResourceKey | None = None
        self._paused = False
        self._seq = itertools.count()
        self._run_task: asyncio.Task[None] | None = None
        self._stopping = False

    # -- public surface ------------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def states(self) -> Mapping[ResourceKey, ResourceState]:
        """The latest snapshot of every resource (read-only view)."""
        return MappingProxyType(self._states)

    def snapshot_states(self) -> dict[ResourceKey, ResourceState]:
        """A copy of :attr:`states`, taken in one step (safe to call from another thread)."""
        return self._states.copy()

    @property
    def account_errors(self) -> Mapping[str, ProviderError | None]:
        """Per account, the error that stops or failed its listing (None when fine)."""
        return {acct.name: acct.stopped or acct.error for acct in self._accounts}

    @property
    def budgets(self) -> Mapping[BudgetKey, Budget]:
        """The request budgets, by budget group."""
        return {key: group.budget for key, group in self._groups.items()}

    @property
    def selected(self) -> ResourceKey | None:
        return self._selected

    def prioritize(self, key: ResourceKey | None) -> None:
        """Poll this resource first and never stretch its intervals (None: no preference)."""
        if key == self._selected:
            return
        previous = self._slots.get(self._selected) if self._selected else None
        self._selected = key
        if previous is not None:
            previous.jobs.pop(PERIOD, None)
            previous.account.group.demand_dirty = True
        slot = self._slots.get(key) if key else None
        if slot is not None:
            for job in slot.jobs.values():
                job.due = min(job.due, job.natural_due)
            slot.account.group.demand_dirty = True
            self._push(slot)

    def set_visible(self, keys: Collection[ResourceKey]) -> None:
        """The resources on the user's screen: their due requests go before the others'."""
        wanted = {slot for key in keys if (slot := self._slots.get(key)) is not None}
        for group in self._groups.values():
            for slot in group.visible - wanted:
                slot.visible = False
            group.visible = {slot for slot in wanted if slot.account.group is group}
            for slot in group.visible:
                slot.visible = True
                for job in slot.jobs.values():  # its first totals are not held back
                    if job.last_ok_at is None and job.failures == 0:
                        job.due = min(job.due, job.natural_due)
            group.waker.wake()

    def set_period(self, key: ResourceKey, period: Period) -> None:
        """Fetch this chart period's series now (SeriesUpdated), then on its cadence while selected."""
        slot = self._slots.get(key)
        if slot is None or slot.account.client is None:
            return
        traits = slot.account.client.traits
        if traits.series_step_s is None:
            return
        slot.period = period
        now = self._clock.now()
        if period == Period.DAY:
            slot.jobs.pop(PERIOD, None)
            slot.emit_day = True
            if SERIES in slot.jobs:
                slot.forced.add(SERIES)
        else:
            slot.jobs[PERIOD] = Job(PERIOD, float(_period_step_s(period)), now, now)
            slot.forced.add(PERIOD)
        group = slot.account.group
        group.demand_dirty = True
        group.forced.add(slot)
        group.waker.wake()

    def refresh_now(self, key: ResourceKey | None = None) -> None:
        """Poll this resource (None: every resource, and re-list accounts) as soon as the budget allows.

        Also lifts a stop after an auth or permission error, so a fixed credential is tried again.
        """
        if key is None:
            for acct in self._accounts:
                self._retry_now(acct)
            for each in self._slots.values():
                self._force(each)
            return
        slot = self._slots.get(key)
        if slot is None:
            for acct in self._accounts:
                if acct.name == key[0]:
                    self._retry_now(acct)
            return
        acct = slot.account
        if acct.stopped is not None:
            self._retry_now(acct)
        self._force(slot)

    def _retry_now(self, acct: Account) -> None:
        """Re-list the account now; one whose token was refused tries it (read again) at once."""
        if acct.stopped is not None and acct.auth_retry.retry_at is not None:
            acct.auth_retry.asked = True  # the listing loop reads the token again, then lists
        else:
            self._unstop(acct)
        acct.relist = True
        acct.waker.wake()

    async def one_off(self, key: ResourceKey, call: Callable[[ProviderClient, Resource], Awaitable[T]]) -> T:
        """One extra request for ``key`` (an image, an older window), from the same budget as
        every poll: it waits for a request the budget allows, is bounded by the deadline, and
        its answer's rate-limit headers count. Raises ProviderError."""
        slot = self._slots.get(key)
        acct = slot.account if slot is not None else None
        client = acct.client if acct is not None else None
        if slot is None or acct is None or client is None:
            raise ProviderError(ErrorKind.NOT_FOUND, f"{key[0]}/{key[1]} is not listed (yet)")
        await self._take_urgent(acct)
        try:
            async with acct.semaphore:
                result = await self._request(acct, lambda: call(client, slot.resource))
        except ProviderError as err:
            figures = self._complete(acct, err)
            if err.kind is ErrorKind.RATE_LIMITED:
                self._rate_limited(acct, err, figures, self._clock.now())
            raise
        self._complete(acct)
        return result

    def pause(self) -> None:
        """Send no more requests until :meth:`resume` (requests in flight finish)."""
        if not self._paused:
            self._paused = True
            self._emit(PollerPaused(True))

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            self._emit(PollerPaused(False))
            self._wake_all()

    def stop(self, timeout_s: float = 1.0) -> bool:
        """End :meth:`run` (call on the poller's loop). True: the stop was requested.

        ``timeout_s`` is accepted for symmetry with ``ThreadedPoller.stop``; cancellation takes
        effect at the run's next await.
        """
        task = self._run_task
        if task is not None and not task.done() and not self._stopping:
            self._stopping = True
            task.cancel()
        return True

    async def run(self) -> None:
        """Poll until cancelled or :meth:`stop` is called. Nothing a provider does ends this."""
        self._run_task = asyncio.current_task()
        try:
            await self._run_all()
        except asyncio.CancelledError:
            current = asyncio.current_task()
            # Our own stop() ends quietly; any other cancellation propagates.
            if not self._stopping or current is None or current.uncancel() > 0:
                raise
        finally:
            self._run_task = None
            self._stopping = False

    async def _run_all(self) -> None:
        now = self._clock.now()
        for group in self._groups.values():
            self._sync_shared(group, now)  # what other bwtui processes spent, before any request
        try:
            await self._run_tasks()
        finally:
            if self._ledger is not None:
                self._ledger.forget()
                self._ledger.close()
                self._ledger = None

    async def _run_tasks(self) -> None:
        async with asyncio.TaskGroup() as tg:
            for acct in self._accounts:
                tg.create_task(self._guard(partial(self._run_account, acct), f"account {acct.name}"))
            for group in self._groups.values():
                tg.create_task(
                    self._guard(partial(self._run_group, group), f"scheduler {group.budget.name}", restart=True)
                )

    # -- plumbing ------------------------------------------------------------------------------
    async def _guard(self, coro_fn: Callable[[], Awaitable[None]], what: str, *, restart: bool = False) -> None:
        """Run a task; a bug in it is logged, never fatal. Long-lived loops restart after a pause."""
        while True:
            try:
                await coro_fn()
                return
            except Exception:  # a bug of ours: keep the other accounts going
                log.exception("poller %s crashed", what)
                if not restart:
                    return
            await self._clock.sleep(5.0)

    def _emit(self, event: PollEvent) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("on_event raised for %s", type(event).__name__)

    def _wake_all(self) -> None:
        for acct in self._accounts:
            acct.waker.wake()
        for group in self._groups.values():
            group.waker.wake()

    async def _wait_resumed(self, waker: Waker) -> None:
        while self._paused:
            await waker.wait()

    def _push(self, slot: Slot) -> None:
        if slot.removed:
            return
        slot.account.group.push(slot, next(self._seq))

    def _force(self, slot: Slot) -> None:
        slot.forced.update(kind for kind in slot.jobs)
        if slot.stopped is not None:
            slot.stopped = None
        group = slot.account.group
        group.forced.add(slot)
        group.demand_dirty = True
        group.waker.wake()

    def _unstop(self, acct: Account) -> None:
        if acct.stopped is None:
            return
        acct.stopped = None
        acct.group.demand_dirty = True
        for slot in acct.slots.values():
            if not slot.busy:
                self._push(slot)

    async def _request(self, acct: Account, call: Callable[[], Awaitable[T]]) -> T:
        """One provider call under the deadline; every failure becomes a ProviderError."""
        return await guarded_call(
            self._clock, self._settings.request_deadline_s, call, account=acct.name
        )

    def _complete(self, acct: Account, error: ProviderError | None = None) -> RateLimit | None:
        """Account a finished request against the budget; the provider's figures if this answer
        carried new ones (None: no figures, or the same as before)."""
        budget = acct.group.budget
        now = self._clock.now()
        rate_limit = acct.client.rate_limit if acct.client is not None else None
        answered = error is None  # only a good answer without figures means "not metered"
        fresh = budget.complete(now, rate_limit, answered=answered)
        limited = error is not None and error.kind is ErrorKind.RATE_LIMITED
        if rate_limit is not None and fresh:
            due = now - acct.rate_limit_event_at >= self._tuning.rate_limit_event_interval_s
            if due or limited:
                acct.rate_limit_event_at = now
                self._emit(RateLimitUpdated(acct.name, rate_limit))
        return rate_limit if fresh else None

    async def _take_urgent(self, acct: Account) -> None:
        """Wait until the budget lets one urgent request out (listing), and take it."""
        group = acct.group
        budget = group.budget
        while True:
            await self._wait_resumed(acct.waker)
            now = self._clock.now()
            if budget.available(now, urgent=True) > 0:
                budget.take(1, now=now)
                if group.bucket is not None:
                    group.bucket.take(now, 1)
                return
            await sleep_until(self._clock, budget.open_at(now) or now + 1.0, acct.waker)

    # -- accounts ------------------------------------------------------------------------------
    async def _run_account(self, acct: Account) -> None:
        if acct.client is None:
            message = acct.runtime.credential_error or "no credential configured for this account"
            acct.stopped = acct.error = ProviderError(ErrorKind.AUTH, message)
            self._emit(AccountFailed(acct.name, acct.error))
            return
        async with asyncio.TaskGroup() as tg:
            acct.tg = tg
            await self._guard(partial(self._list_loop, acct), f"listing {acct.name}", restart=True)

    async def _list_loop(self, acct: Account) -> None:
        client = acct.client
        assert client is not None
        failures = 0
        while True:
            await self._wait_resumed(acct.waker)
            retrying = False
            if acct.stopped is not None:
                retry = acct.auth_retry
                if retry.retry_at is None:
                    await acct.waker.wait()
                    continue
                if not retry.due(self._clock.now()):
                    await sleep_until(self._clock, retry.retry_at, acct.waker)
                    continue
                # The token was refused: read it again and try it with one listing request
                # (the account's resources wait, stopped, until it is accepted).
                retry.attempt()
                await renew_token(acct.runtime)
                retrying = True
            acct.relist = False
            await self._take_urgent(acct)
            try:
                async with acct.semaphore:
                    resources = await self._request(acct, client.list_resources)
            except ProviderError as err:
                figures = self._complete(acct, err)
                if err.kind in (ErrorKind.AUTH, ErrorKind.FORBIDDEN):
                    self._emit(AccountFailed(acct.name, self._stop_account(acct, err, again=retrying)))
                    continue
                if retrying:  # the token was not refused this time: the account polls again
                    acct.auth_retry.accepted()
                    self._unstop(acct)
                acct.error = err
                self._emit(AccountFailed(acct.name, err))
                now = self._clock.now()
                if err.kind is ErrorKind.RATE_LIMITED:
                    hold_until = self._rate_limited(acct, err, figures, now)
                    wake_at = max(acct.group.budget.blocked_until, hold_until, now + 1.0)
                else:
                    failures += 1
                    wake_at = now + self._backoff.delay_s(failures)
                await sleep_until(self._clock, wake_at, acct.waker)
                continue
            self._complete(acct)
            failures = 0
            acct.error = None
            if retrying or acct.stopped is not None:
                acct.auth_retry.accepted()
                self._unstop(acct)
            self._sync(acct, resources)
            if not acct.relist:
                await sleep_until(self._clock, self._clock.now() + self._tuning.relist_interval_s, acct.waker)

    def _stop_account(self, acct: Account, err: ProviderError, *, again: bool = False) -> ProviderError:
        """The token was refused: stop polling the account until its retry (10 min, doubling to
        an hour, or at once on refresh); every resource shows when, and the command that fixes
        it. ``again``: a retry was refused (else a refusal while already stopped changes
        nothing: requests that were in flight together). Returns the error shown."""
        if acct.stopped is not None and not again:
            return acct.stopped
        retry_at = acct.auth_retry.refused(self._clock.now())
        shown = refusal_error(err, acct.name, retry_at, renewable=can_renew(acct.runtime))
        acct.stopped = acct.error = shown
        acct.group.demand_dirty = True
        for slot in acct.slots.values():
            self._publish(slot)
        acct.waker.wake()  # the listing loop sleeps until the retry
        return shown

    def _sync(self, acct: Account, resources: Iterable[Resource]) -> None:
        """Add new resources, drop vanished ones, emit AccountListed when the list changed."""
        listed = tuple(resources)
        client = acct.client
        assert client is not None
        now = self._clock.now()
        seen: set[str] = set()
        added: list[Slot] = []
        # Rates first: past the first screenful, a new resource's totals wait until every new
        # resource has had its rate request (at the budget's even pace), unless it is on screen.
        even_rps = acct.group.budget.even_rps() or 1.0
        first_screen = self._tuning.pace.start_tokens // 2
        fresh = 0
        for resource in listed:
            seen.add(resource.id)
            slot = acct.slots.get(resource.id)
            if slot is not None:
                slot.resource = resource
                continue
            slot = Slot(resource, acct, self._tuning.history_len)
            traits = client.traits
            usage_due = now
            if traits.series_step_s:
                slot.jobs[SERIES] = Job(SERIES, float(traits.series_step_s), now, now)
                usage_s = float(traits.usage_interval_s)
                fresh += 1
                if fresh > first_screen:
                    usage_due = now + min(usage_s / 2, (len(listed) - first_screen) / even_rps)
            elif acct.runtime.config.provider == "altostrat":
                usage_s = float(self._settings.altostrat_interval_s)  # the config's word for it
            else:  # another totals-only provider: as often as its traits say totals change
                usage_s = float(traits.usage_interval_s)
            slot.jobs[USAGE] = Job(USAGE, usage_s, usage_due, now)
            self._seed(slot)
            acct.slots[resource.id] = slot
            self._slots[resource.key] = slot
            acct.group.slots.add(slot)
            self._push(slot)
            added.append(slot)
        for resource_id in [rid for rid in acct.slots if rid not in seen]:
            slot = acct.slots.pop(resource_id)
            slot.removed = True
            acct.group.slots.discard(slot)
            acct.group.forced.discard(slot)
            self._slots.pop(slot.key, None)
            self._states.pop(slot.key, None)
        acct.group.demand_dirty = True
        if listed != acct.listed:
            acct.listed = listed
            self._emit(AccountListed(acct.name, client.provider, listed,
                                     tuple(getattr(client, "skipped", None) or ())))
            if self._ledger is not None:
                try:
                    self._ledger.save_listing(acct.name, client.provider, listed, now)
                except LedgerError as error:
                    log.warning("could not save the listing of %s: %s", acct.name, error)
        for slot in added:
            self._publish(slot, force=True)

    def _seed(self, slot: Slot) -> None:
        if self._history_seed is None:
            return
        try:
            samples, reading = self._history_seed(slot.resource)
        except Exception:
            log.exception("history seed failed for a resource of %s", slot.resource.account)
            return
        if not samples and reading is None:
            return  # nothing stored (a new resource, a fresh history): 5,000 of them at start-up
        slot.history = slot.history.extended(samples)
        if reading is not None:
            slot.tracker.baseline = reading
        latest = next((s for s in reversed(slot.history) if s.in_bps is not None or s.out_bps is not None), None)
        if latest is not None:
            # The stored label: its interval's end is not known before the first fetch.
            slot.in_bps, slot.out_bps, slot.rate_at = latest.in_bps, latest.out_bps, latest.t
            slot.last_point_t = slot.history[-1].t

    # -- scheduling ----------------------------------------------------------------------------
    def _eligible(self, slot: Slot) -> bool:
        return (
            not slot.busy
            and not slot.removed
            and slot.stopped is None
            and slot.account.stopped is None
        )

    def _pick(self, group: BudgetGroup, now: float) -> tuple[Slot | None, bool, float]:
        """The next resource to poll, whether it is urgent, and else when to look again.

        Order: the selected resource, then the user's refreshes, then visible resources that
        are due, then the one whose due time is earliest (whose new data has waited longest).
        """
        wake_at = math.inf
        selected = self._slots.get(self._selected) if self._selected else None
        if selected is not None and selected.account.group is group and self._eligible(selected):
            if selected.due_jobs(now):
                return selected, True, now
            wake_at = selected.next_due()
        for slot in list(group.forced):
            if slot.removed or not slot.forced:
                group.forced.discard(slot)
                continue
            if self._eligible(slot):
                return slot, True, now
        best: Slot | None = None
        best_due = math.inf
        for slot in group.visible:
            if not self._eligible(slot):
                continue
            due = slot.next_due()
            if due <= now and due < best_due:
                best, best_due = slot, due
            elif due > now:
                wake_at = min(wake_at, due)
        if best is not None:
            return best, False, now
        heap = group.heap
        while heap:
            due, seq, slot = heap[0]
            if seq != slot.heap_seq or not self._eligible(slot):
                heapq.heappop(heap)
                continue
            if due <= now:
                return slot, False, now
            wake_at = min(wake_at, due)
            break
        return None, False, wake_at

    def _repace(self, group: BudgetGroup, bucket: TokenBucket, now: float) -> None:
        """Set the bucket's rate and size from the budget (at most once a second, or when a
        429 blocked it); say so when it changed."""
        blocked = group.budget.blocked(now)
        if now - group.paced_at < 1.0 and blocked == group.paced_blocked:
            return
        group.paced_at, group.paced_blocked = now, blocked
        self._sync_shared(group, now)
        shared = group.shared
        pace = plan(
            group.budget,
            now,
            demand_rps=group.demand(),
            resources=len(group.slots),
            share=shared.share(group.budget.even_rps()) if shared is not None else 1.0,
            tuning=self._tuning.pace,
        )
        group.pace = pace
        bucket.configure(now, pace.rate_rps, pace.capacity)
        self._budget_event(group, now)

    def _sync_shared(self, group: BudgetGroup, now: float) -> None:
        """Tell the host's ledger what this process spent and saw; take what it says."""
        ledger = self._ledger
        if ledger is None:
            return
        budget = group.budget
        figures = budget.last_rate_limit
        block = None
        if budget.blocked_until != group.synced_block:
            block = (budget.blocked_until, budget.block_reason)
        try:
            view = ledger.sync(
                str(group.key),
                now,
                spent=budget.issued - group.synced_issued,
                figures=figures if figures is not group.synced_figures else None,
                demand_rps=group.demand(),
                block=block,
            )
        except LedgerError as error:
            log.warning("%s; this process keeps its own request budget from now on", error)
            self._ledger = None
            return
        group.synced_issued = budget.issued
        group.synced_figures = figures
        budget.adopt(
            now,
            limit=view.limit,
            remaining=view.remaining,
            window_end=view.window_end,
            blocked_until=view.blocked_until,
            block_reason=view.block_reason,
        )
        group.synced_block = budget.blocked_until
        group.shared = view

    def _budget_event(self, group: BudgetGroup, now: float, *, force: bool = False) -> None:
        """Emit BudgetUpdated when the stretch, the reason or a block changed (throttled)."""
        pace = group.pace
        if pace is None or not group.slots:
            return
        budget = group.budget
        blocked = budget.blocked_until if budget.blocked(now) else None
        stretch_band = 1.0 if pace.stretch <= 1.0 else round(math.log(pace.stretch, 1.25))
        signature = (stretch_band, pace.reason.split(";")[0], blocked, budget.limit)
        changed = signature != group.event_signature
        if not force and not changed:
            return
        block_changed = group.event_signature is None or signature[2] != group.event_signature[2]
        if not force and not block_changed and now - group.event_at < self._tuning.budget_event_interval_s:
            return
        group.event_signature = signature
        group.event_at = now
        reset_at = budget.window_end if budget.metered and budget.window_end is not None else None
        self._emit(
            BudgetUpdated(
                group=str(group.key),
                accounts=tuple(acct.name for acct in group.accounts),
                limit=budget.limit,
                remaining=None if budget.remaining is None else max(0, budget.remaining),
                reset_at=reset_at,
                blocked_until=blocked,
                stretch=pace.stretch,
                rate_rps=pace.rate_rps,
                reason=pace.reason,
                rejected=budget.rejected,
                at=now,
            )
        )

    async def _run_group(self, group: BudgetGroup) -> None:
        budget = group.budget
        clock = self._clock
        tuning = self._tuning.pace
        bucket = group.bucket
        if bucket is None:
            start = float(tuning.start_tokens)
            bucket = group.bucket = TokenBucket(
                clock.now(), rate_rps=1.0, capacity=start, tokens=start, urgent_debt=tuning.urgent_debt
            )
        while True:
            await self._wait_resumed(group.waker)
            now = clock.now()
            self._repace(group, bucket, now)
            slot, urgent, wake_at = self._pick(group, now)
            if slot is None:
                if self._ledger is not None:  # keep this process's claim alive in the ledger
                    wake_at = min(wake_at, now + self._tuning.ledger_heartbeat_s)
                await sleep_until(clock, wake_at, group.waker)
                continue
            jobs = slot.due_jobs(now)
            if not jobs:  # defensive: nothing due after all
                slot.forced.clear()
                group.forced.discard(slot)
                self._push(slot)
                continue
            in_window = budget.available(now, urgent=urgent)
            if in_window <= 0:
                opens = budget.open_at(now)
                if urgent:
                    self._mark_waiting(slot, now, opens)
                await sleep_until(clock, opens if opens is not None else now + 1.0, group.waker)
                continue
            jobs = jobs[:in_window]
            # A resource's due requests go together (rates and totals of one moment), and it
            # keeps its place in the queue while the bucket fills for them.
            if bucket.available(now, urgent=urgent) < len(jobs):
                ready_at = bucket.ready_at(now, len(jobs), urgent=urgent)
                if bucket.available(now, urgent=urgent) <= 0 or ready_at > now:
                    wait_until = ready_at if math.isfinite(ready_at) else now + 5.0
                    await sleep_until(clock, max(wait_until, now + 0.001), group.waker)
                    continue
            check = budget.blocked(now)  # the one request that checks a doubtful 429
            budget.take(len(jobs), now=now)
            bucket.take(now, len(jobs))
            slot.busy = True
            slot.heap_seq = -1
            if slot.forced:
                slot.held_until = -math.inf  # the user's refresh: one retry despite its own 429
            for job in jobs:
                slot.forced.discard(job.kind)
            if not slot.forced:
                group.forced.discard(slot)
            acct = slot.account
            assert acct.tg is not None
            acct.tg.create_task(self._guard(partial(self._poll, slot, jobs, check), f"poll {acct.name}"))

    def _mark_waiting(self, slot: Slot, now: float, opens: float | None) -> None:
        """Say on the resource that it waits for the provider's budget to reset."""
        wait_s = max(0.0, opens - now) if opens is not None else None
        when = f"at {clock_time(opens)}, in {wait_s:.0f} s" if opens is not None and wait_s is not None else "soon"
        error = ProviderError(
            ErrorKind.RATE_LIMITED, f"request budget spent: polling resumes at the reset ({when})", retry_after_s=wait_s
        )
        previous = slot.wait_error
        if previous is None or previous.message != error.message:
            slot.wait_error = error
            self._publish(slot)

    # -- one poll ------------------------------------------------------------------------------
    def _may_send(self, slot: Slot, now: float, *, check: bool = False) -> bool:
        """False when a request taken for this resource must not go out after all.

        ``check``: this is the one request that checks a doubtful 429 block.
        """
        acct = slot.account
        budget = acct.group.budget
        return not (
            self._paused
            or slot.removed
            or acct.stopped is not None
            or slot.stopped is not None
            or (budget.blocked(now) and not check)  # a 429 arrived while this one queued
            or (budget.overdrawn() and not check)  # the provider's figures leave nothing for it
            or (now < slot.held_until and not slot.forced)
        )

    async def _poll(self, slot: Slot, jobs: list[Job], check: bool = False) -> None:
        acct = slot.account
        group = acct.group
        sent = 0
        try:
            async with acct.semaphore:
                for index, job in enumerate(jobs):
                    if not self._may_send(slot, self._clock.now(), check=check and index == 0):
                        break
                    sent += 1
                    if not await self._run_job(acct, slot, job):
                        break
                    if job.kind == SERIES and job is not jobs[-1]:
                        # The rates are in: show them now, not after the totals too.
                        slot.wait_error = None
                        self._publish(slot)
        finally:
            if sent < len(jobs):
                group.budget.give_back(len(jobs) - sent, check=check and sent == 0)
                if group.bucket is not None:
                    group.bucket.give_back(len(jobs) - sent)
            slot.busy = False
            slot.wait_error = None
            self._push(slot)
            self._publish(slot)
            group.waker.wake()

    async def _run_job(self, acct: Account, slot: Slot, job: Job) -> bool:
        """Run one request; False when the rest of this poll should not go out."""
        client = acct.client
        assert client is not None
        resource = slot.resource
        started = self._clock.now()
        try:
            if job.kind == USAGE:
                period_start = self._period_start(started, acct.runtime.config.billing_day)
                usage = await self._request(acct, lambda: client.fetch_usage(resource, period_start, started))
                self._complete(acct)
                self._usage_ok(slot, job, usage, started)
            else:
                period = Period.DAY if job.kind == SERIES else slot.period
                series = await self._request(acct, lambda: client.fetch_series(resource, period))
                self._complete(acct)
                self._series_ok(slot, job, series, period, started)
        except ProviderError as err:
            figures = self._complete(acct, err)
            return self._job_failed(acct, slot, job, err, figures)
        return True

    def _job_ok(self, slot: Slot, job: Job, now: float) -> None:
        job.failures = 0
        job.error = None
        job.last_ok_at = now
        slot.held_error = None
        slot.held_until = -math.inf

    def _series_ok(self, slot: Slot, job: Job, series: Series | None, period: Period, started: float) -> None:
        now = self._clock.now()
        self._job_ok(slot, job, now)
        acct = slot.account
        if series is None:  # the provider has no series after all
            slot.jobs.pop(job.kind, None)
            acct.group.demand_dirty = True
            return
        step_s = float(series.step_s or job.interval_s)
        if job.kind != SERIES:  # a chart period the user picked: on its own step
            job.natural_due = job.due = started + step_s
            self._emit(SeriesUpdated(slot.key, period, series))
            if slot.key != self._selected or slot.period != period:
                slot.jobs.pop(PERIOD, None)
                acct.group.demand_dirty = True
            return
        publication = acct.publication(SERIES, step_s, self._tuning.publish_margin_s)
        newest = series.samples[-1].t if series.samples else None
        refresh_s = acct.client.traits.series_refresh_s if acct.client is not None else None
        if newest is not None:
            publication.observe(started, newest)
            if slot.last_point_t is None or newest > slot.last_point_t or refresh_s:
                job.misses = 0  # a new row (or a provider that revises its newest one)
                slot.last_point_t = newest if slot.last_point_t is None else max(newest, slot.last_point_t)
            else:
                job.misses += 1  # asked before the next row was out
        due = publication.next_due(newest, started, job.misses)
        if refresh_s:  # the newest row is revised (Vultr's "today"): read it again this often
            due = min(due, started + refresh_s)
        job.natural_due = job.due = due
        slot.updated_at = now
        slot.merge_series(series)
        latest = series.latest
        if latest is not None:
            slot.in_bps, slot.out_bps = latest.in_bps, latest.out_bps
            slot.rate_at = publication.data_time(latest.t)
        if slot.emit_day or slot.key == self._selected:
            slot.emit_day = False
            self._emit(SeriesUpdated(slot.key, Period.DAY, series))

    def _usage_ok(self, slot: Slot, job: Job, usage: Usage, started: float) -> None:
        now = self._clock.now()
        self._job_ok(slot, job, now)
        previous = slot.usage
        slot.usage = usage
        slot.updated_at = now
        as_of = usage.as_of
        if as_of is not None and as_of < started - 1.0:  # the provider's rows, not "now"
            publication = slot.account.publication(USAGE, job.interval_s, self._tuning.publish_margin_s)
            publication.observe(started, as_of)
            if previous is not None and previous.as_of is not None and as_of <= previous.as_of:
                job.misses += 1
            else:
                job.misses = 0
            job.natural_due = job.due = publication.next_due(as_of, started, job.misses)
        else:
            job.natural_due = job.due = started + job.interval_s
        if SERIES in slot.jobs or usage.period_in_bytes is None or usage.period_out_bytes is None:
            return
        reading = Reading(as_of if as_of is not None else now, usage.period_in_bytes, usage.period_out_bytes)
        sample = slot.tracker.update(reading)
        if sample is not None:
            slot.history = slot.history.appended(sample)
            slot.in_bps, slot.out_bps, slot.rate_at = sample.in_bps, sample.out_bps, sample.t

    def _rate_limited(self, acct: Account, err: ProviderError, figures: RateLimit | None, now: float) -> float:
        """Apply a 429 to what it applies to; returns until when the request's target waits.

        The figures that came with the 429 decide: budget gone (``remaining`` 0) stops the whole
        group until the reset; budget left means a limit on this resource only; no figures at
        all pause the group briefly and hold the resource for its ``Retry-After``.
        """
        budget = acct.group.budget
        retry_s = err.retry_after_s
        if figures is not None and figures.remaining is not None and figures.remaining <= 0:
            wait_s = max(retry_s or 0.0, figures.reset_s or 0.0) or budget.tuning.default_block_s
            surprising = budget.surprising()
            until = budget.block(
                now, wait_s, reason="the provider says the budget is spent", verify=surprising
            )
            if surprising:  # maybe this resource's own limit: the group checks soon, it waits
                until = now + min(retry_s if retry_s is not None else wait_s, self._tuning.max_hold_s)
        elif figures is not None and figures.remaining is not None:
            budget.rejected_here()
            return now + min(retry_s if retry_s is not None else 60.0, self._tuning.max_hold_s)
        else:
            pause_s = min(retry_s if retry_s is not None else 30.0, budget.tuning.unknown_block_s)
            budget.block(now, pause_s, reason="429 without budget figures")
            until = now + min(retry_s if retry_s is not None else 30.0, self._tuning.max_hold_s)
        self._budget_event(acct.group, now)
        acct.group.waker.wake()
        return until

    def _job_failed(
        self, acct: Account, slot: Slot, job: Job, err: ProviderError, figures: RateLimit | None = None
    ) -> bool:
        now = self._clock.now()
        job.error = err
        if err.kind is ErrorKind.AUTH:
            if acct.stopped is None:
                self._emit(AccountFailed(acct.name, self._stop_account(acct, err)))
            return False
        if err.kind is ErrorKind.FORBIDDEN:
            slot.stopped = err
            acct.group.demand_dirty = True
            return False
        if err.kind is ErrorKind.RATE_LIMITED:
            until = self._rate_limited(acct, err, figures, now)
            whole = acct.group.budget.blocked(now) and acct.group.budget.blocked_until >= until
            scope = "every request on this budget waits" if whole else "this resource waits"
            retry = f"; Retry-After {err.retry_after_s:.0f} s" if err.retry_after_s is not None else ""
            slot.held_until = until
            slot.held_error = ProviderError(
                ErrorKind.RATE_LIMITED,
                f"{err.message} ({scope} until {clock_time(until)}{retry})",
                status=err.status,
                retry_after_s=max(0.0, until - now),
            )
            job.error = slot.held_error
            job.due = max(job.due, until)
            return False
        job.failures += 1
        cap_s: float | None = None
        last_ok = max((other.last_ok_at for other in slot.jobs.values() if other.last_ok_at is not None), default=None)
        if last_ok is not None and now - last_ok <= self._tuning.recent_ok_s:
            # It worked a moment ago: try again within the resource's normal interval, so it
            # is back soon after an error storm (not after the full backoff cap).
            interval_s = min(other.interval_s for other in slot.jobs.values())
            cap_s = max(self._tuning.backoff_base_s, interval_s)
        job.due = now + self._backoff.delay_s(job.failures, cap_s=cap_s)
        return True

    def _publish(self, slot: Slot, *, force: bool = False) -> None:
        """Store a fresh snapshot; emit ResourceUpdated when something a user sees changed."""
        if slot.removed:
            return
        acct = slot.account
        saved_stop = slot.stopped
        if acct.stopped is not None and slot.stopped is None:
            slot.stopped = acct.stopped  # show the account's auth error on each resource
        try:
            signature = slot.state_signature()
            state = slot.build_state()
        finally:
            slot.stopped = saved_stop
        self._states[slot.key] = state
        if force or signature != slot.signature:
            slot.signature = signature
            self._emit(ResourceUpdated(state))


def _period_step_s(period: Period) -> int:
    """Hivelocity's step for each chart period (the provider may answer with another)."""
    return {Period.DAY: 300, Period.WEEK: 1800, Period.MONTH: 7200}[period]
