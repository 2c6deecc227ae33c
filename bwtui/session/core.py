"""The monitor session: poll events in, what changed out. No Textual, no reference to a view.

One :class:`MonitorSession` per monitor. Its owner (the TUI today; a collector or a web view
later) feeds it every event from the data source with :meth:`MonitorSession.apply` on one event
loop, and gets back :class:`~bwtui.session.changes.Changes`: which resources and accounts to
redraw, what to announce, when a history write is due. The session owns

- the store (``store``): accounts, resource states, series, alerts, pause state; the one place
  pause lives on the view side, fed by ``PollerPaused`` events;
- history (``history``): the buffer, the flush policy, the seed for the poller;
- the threshold latch (which crossings were already announced);
- billing figures for display (:meth:`MonitorSession.billing`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from bwtui.billing import BillingFigures
from bwtui.config import AccountConfig
from bwtui.events import (
    AccountFailed,
    AccountListed,
    BudgetUpdated,
    PollerPaused,
    PollEvent,
    RateLimitUpdated,
    ResourceUpdated,
    SeriesUpdated,
    SourceChanged,
)
from bwtui.history import HistoryStore
from bwtui.history_health import HistoryHealth
from bwtui.model import Period, ResourceState, Series
from bwtui.providers import provider_spec
from bwtui.runtime import AccountRuntime
from bwtui.session.alerts import ThresholdAlerts
from bwtui.session.billing import figures_for
from bwtui.session.changes import Announcement, Changes, Severity
from bwtui.session.history_sync import HISTORY_FLUSH_S, HistorySync, load_seeds
from bwtui.session.resets import CounterResets, load_resets
from bwtui.session.rows import ResourceRows
from bwtui.session.store import Key, MonitorStore
from bwtui.text import safe_text

ERROR_MAX = 300
CRASH_MAX = 200
HISTORY_NOTE_MAX = 400
SOURCE_FAILED_TIMEOUT_S = 30.0
HISTORY_NOTE_TIMEOUT_S = 20.0


def rates_from_readings(provider: str) -> bool:
    """Whether a provider's rates come from successive totals (Altostrat): its totals are stored."""
    try:
        return provider_spec(provider).traits.rate_basis == "derived"
    except ValueError:  # an unknown provider, or one that failed to load
        return False


def data_step_s(provider: str) -> float | None:
    """How often a provider's figures change: its series step, else its totals interval."""
    try:
        traits = provider_spec(provider).traits
    except ValueError:  # an unknown provider, or one that failed to load
        return None
    return float(traits.series_step_s or traits.usage_interval_s)


class MonitorSession:
    """Turns poll events into the monitor's state and says what changed."""

    def __init__(
        self,
        *,
        now: Callable[[], float],
        history: HistoryStore | None = None,
        flush_s: float = HISTORY_FLUSH_S,
    ) -> None:
        self._now = now
        self.store = MonitorStore()
        self.history = HistorySync(history, flush_s=flush_s)
        self._alerts = ThresholdAlerts(self.store)
        self.resets = CounterResets()  # where totals-only providers' periods began
        self._accounts: dict[str, AccountConfig] = {}
        self._announced_errors: dict[str, str] = {}  # account → the failure last announced
        self._keeps_readings: dict[str, bool] = {}  # provider → rates_from_readings(provider)
        self._history_told: str | None = None  # the history failure last announced
        self._seed_changes: Changes | None = None  # what load_seed_now found, until load_seed tells it
        # What views list, filtered and sorted, with totals (kept in step by apply()).
        self.rows = ResourceRows(self.store, billing=self.billing, step_s=data_step_s)

    # ----- accounts from the config ------------------------------------------------------------
    def register(self, runtimes: Iterable[AccountRuntime]) -> None:
        """The configured accounts (all of them), before any event: names, configs, token problems."""
        runtimes = list(runtimes)
        self._accounts = {rt.config.name: rt.config for rt in runtimes}
        for runtime in runtimes:
            self.store.add_account(runtime.config.name, runtime.config.provider, runtime.credential_error,
                                   not_loaded=runtime.provider_error is not None)
        self.rows.sync()

    @property
    def account_names(self) -> list[str]:
        return list(self._accounts)

    def account_config(self, name: str) -> AccountConfig | None:
        """The config the session holds for an account (None: it knows none)."""
        return self._accounts.get(name)

    # ----- events -------------------------------------------------------------------------------
    def apply(self, event: PollEvent) -> Changes:
        """Record one event; returns what changed (empty when nothing visible did)."""
        changes = Changes()
        if isinstance(event, ResourceUpdated):
            self._resource_updated(event.state, changes)
        elif isinstance(event, SeriesUpdated):
            self._series_updated(event.key, event.period, event.series, changes)
        elif isinstance(event, AccountListed):
            self.store.apply_listed(event.account, event.provider, list(event.resources))
            self.store.apply_skipped(event.account, event.skipped)
            self._announced_errors.pop(event.account, None)
            changes.listed = event.account
        elif isinstance(event, AccountFailed):
            self._account_failed(event, changes)
        elif isinstance(event, RateLimitUpdated):
            if self.store.apply_rate_limit(event.account, event.rate_limit):
                changes.accounts.add(event.account)
        elif isinstance(event, BudgetUpdated):
            changes.accounts.update(self.store.apply_budget(event))
        elif isinstance(event, PollerPaused):
            if self.store.paused != event.paused:
                self.store.paused = event.paused
                changes.paused = event.paused
                self.rows.touch_all()
        elif isinstance(event, SourceChanged):
            self._source_changed(event, changes)
        if changes.listed is not None:
            self.rows.sync()
        if changes.resources:
            self.rows.touch(changes.resources)
        return changes

    def _source_changed(self, event: SourceChanged, changes: Changes) -> None:
        """The source now serves these accounts (a collector's, or this config's again)."""
        for account in event.accounts:
            self._accounts[account.name] = account
            self.store.add_account(account.name, account.provider)
        # Every account label and the header show the source: redraw them.
        changes.accounts.update(self.store.accounts)
        self.rows.sync()
        self.store.crashed = None
        if event.note:
            severity: Severity = "warning" if event.severity == "warning" else (
                "error" if event.severity == "error" else "information")
            changes.announcements.append(Announcement(
                safe_text(event.note, max_len=ERROR_MAX), title="data source", severity=severity))

    def _resource_updated(self, state: ResourceState, changes: Changes) -> None:
        if not self.store.apply_state(state):
            return
        provider = state.resource.provider
        if provider not in self._keeps_readings:
            self._keeps_readings[provider] = rates_from_readings(provider)
        changes.flush_in_s = self.history.note_state(state, store_readings=self._keeps_readings[provider])
        if self._keeps_readings[provider]:
            self.resets.note(state)  # a drop starts a new period (its row is worked out again below)
        account = self._accounts.get(state.resource.account)
        announcement = self._alerts.check(
            state, account, self._now(), observed_reset_at=self.resets.reset_at(state.resource.key))
        if announcement is not None:
            changes.announcements.append(announcement)
        changes.resources.add(state.resource.key)

    def _series_updated(self, key: Key, period: Period, series: Series, changes: Changes) -> None:
        if not self.store.apply_series(key, period, series):
            return
        changes.flush_in_s = self.history.note_series(key, period, series)
        if period == Period.DAY:
            changes.resources.add(key)
        else:
            changes.charts.add(key)

    def _account_failed(self, event: AccountFailed, changes: Changes) -> None:
        if not self.store.apply_failed(event.account, event.error):
            return
        changes.accounts.add(event.account)
        view = self.store.accounts[event.account]
        text = f"{event.account}: {view.error_kind}: {view.error}"
        if self._announced_errors.get(event.account) != text:
            self._announced_errors[event.account] = text
            changes.announcements.append(Announcement(
                safe_text(text, max_len=ERROR_MAX), title="account failed", severity="error"))

    # ----- failures of what feeds the session ----------------------------------------------------
    def source_failed(self, error: BaseException) -> Announcement:
        """The data source died: the store says so (the header shows it); the last data stays."""
        self.store.crashed = safe_text(f"{type(error).__name__}: {error}", max_len=CRASH_MAX)
        return Announcement(f"Polling stopped: {self.store.crashed}. The last data stays on screen.",
                            severity="error", timeout_s=SOURCE_FAILED_TIMEOUT_S)

    def history_failed(self, error: BaseException) -> Changes:
        """Say why history failed, once per reason.

        A store that tracks its health is kept: it counts what is lost, may recover (disk space
        freed) and its state stays in the header (``changes.history``). Any other store is
        turned off and the monitor runs on without it.
        """
        changes = Changes()
        store = self.history.store
        if store is not None and isinstance(getattr(store, "health", None), HistoryHealth):
            changes.history = True
            text = f"History: {error}"
            if text != self._history_told:
                self._history_told = text
                changes.announcements.append(history_note(text))
            return changes
        if self.history.turn_off():
            changes.announcements.append(history_note(f"History is off: {error}"))
        return changes

    # ----- history, off the event loop -----------------------------------------------------------
    def load_seed_now(self) -> None:
        """:meth:`load_seed` on this thread, before any view runs (see
        :mod:`bwtui.session.early`); what it has to say waits for the view's :meth:`load_seed`."""
        store = self.history.store
        if store is None or not self.history.needs_seed:
            return
        self._seed_changes = Changes()
        try:
            self.history.apply_seeds(load_seeds(store, self.account_names, self._now()))
            self.resets.seed(load_resets(store, self.account_names, self._now()))
        except Exception as error:  # noqa: BLE001 - a broken history must not stop polling
            self._seed_changes = self.history_failed(error)

    async def load_seed(self) -> Changes:
        """Before polling starts: read the stored history the poller is primed with (a thread)."""
        early, self._seed_changes = self._seed_changes, None
        if early is not None:  # load_seed_now read it (or failed to): tell what it found, once
            return early
        if not self.history.needs_seed:
            return Changes()
        try:
            await self.history.load_seed(self.account_names, self._now())
            store = self.history.store
            if store is not None:
                found = await asyncio.to_thread(load_resets, store, self.account_names, self._now())
                self.resets.seed(found)
        except Exception as error:  # noqa: BLE001 - a broken history must not stop polling
            return self.history_failed(error)
        return Changes()

    async def write_history(self, showing: tuple[Key, Period] | None = None) -> Changes:
        """Write what is pending in one batch (a thread). If the batch touched the chart being
        shown (``showing``) and that chart comes from history, read it again."""
        batch = self.history.take_batch()
        if batch is None:
            return Changes()
        reload = showing is not None and showing[0] in batch.keys() and self.wants_history_chart(*showing)
        now = self._now()
        try:
            await asyncio.to_thread(self.history.write, batch)
        except Exception as error:  # noqa: BLE001 - HistoryUnavailable or worse: told, counted
            return self.history_failed(error)
        health = getattr(self.history.store, "health", None)
        told = Changes(history=isinstance(health, HistoryHealth) and not health.ok)
        if showing is None or not reload:
            return told  # a read-only store counts what it did not write: the mark says so
        changes = await self._read_chart(*showing, now)
        changes.history = told.history
        return changes

    async def load_history_chart(self, key: Key, period: Period) -> Changes:
        """A chart for ``period`` from stored samples, when the provider has none (a thread)."""
        if not self.wants_history_chart(key, period):
            return Changes()
        return await self._read_chart(key, period, self._now())

    async def _read_chart(self, key: Key, period: Period, now: float) -> Changes:
        changes = Changes()
        try:
            chart = await asyncio.to_thread(self.history.chart, key, period, now)
        except Exception:  # noqa: BLE001 - a chart from history is an extra
            return changes
        if self.store.apply_history_series(key, period, chart):
            changes.charts.add(key)
        return changes

    # ----- reading -----------------------------------------------------------------------------
    def billing(self, state: ResourceState) -> BillingFigures | None:
        """Billing period figures for a resource, as of now."""
        return figures_for(state, self._accounts.get(state.resource.account), self._now(),
                           observed_reset_at=self.resets.reset_at(state.resource.key))

    def account(self, name: str) -> AccountConfig | None:
        """An account's settings from the config (None for an account the config did not name)."""
        return self._accounts.get(name)

    def wants_history_chart(self, key: Key, period: Period) -> bool:
        """Whether to load this chart from history: history is on, the provider has no series."""
        series = self.store.series.get((key, period))
        return self.history.wants_chart(series is not None and bool(series.samples))


def history_note(problem: str) -> Announcement:
    """A problem with the history store, told once."""
    return Announcement(safe_text(problem, max_len=HISTORY_NOTE_MAX), title="history",
                        severity="warning", timeout_s=HISTORY_NOTE_TIMEOUT_S)
