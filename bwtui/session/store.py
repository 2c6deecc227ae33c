"""What the monitor knows: accounts, resource states and chart series, fed by poll events.

Plain Python (no Textual) so the status logic is testable on its own. Every ``apply_*`` method
returns whether something visible changed, so views redraw only then. Fed by
:class:`~bwtui.session.core.MonitorSession`; read by every view.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bwtui.events import BudgetUpdated
from bwtui.model import (
    ErrorKind,
    Period,
    ProviderError,
    RateLimit,
    Resource,
    ResourceState,
    Series,
    SkippedItem,
)
from bwtui.session.status import worst

_FAILING = ("error", "rate_limited")

Key = tuple[str, str]
NOT_LOADED = "provider_not_loaded"  # an account's error kind when its plug-in failed to load

HISTORY_LIMIT = 288  # bounded in-memory points a resource keeps for its sparklines


@dataclass(frozen=True, slots=True)
class Alert:
    """A resource's threshold level as views mark it: ``warning`` or ``critical``, with reasons."""

    level: str
    reasons: tuple[str, ...] = ()


@dataclass(slots=True)
class AccountView:
    """One account as views show it."""

    name: str
    provider: str
    resources: list[Resource] = field(default_factory=list)
    error: str | None = None
    error_kind: str | None = None
    rate_limit: RateLimit | None = None
    listed: bool = False
    # The provider's plug-in could not be loaded: its error is not the account's credentials.
    not_loaded: bool = False
    skipped: tuple[SkippedItem, ...] = ()
    budget: BudgetUpdated | None = None  # the request budget group the account polls in


class MonitorStore:
    """Accounts, resource states and series, with the status of each for the glyphs."""

    def __init__(self) -> None:
        self.accounts: dict[str, AccountView] = {}
        self.states: dict[Key, ResourceState] = {}
        self.series: dict[tuple[Key, Period], Series] = {}
        # Charts from the local history store, for periods the provider has no series for (yet).
        self.history_series: dict[tuple[Key, Period], Series] = {}
        self.alerts: dict[Key, Alert] = {}
        self.paused = False
        self.crashed: str | None = None
        # Kept up to date on every change so summaries cost O(accounts), not O(resources):
        # each listed resource's status ignoring pause, counted per account, and who is failing.
        self._listed_keys: dict[str, set[Key]] = {}
        self._base_status: dict[Key, str] = {}
        self._status_counts: dict[str, Counter[str]] = {}
        self._failing: set[Key] = set()

    # ----- feeding -------------------------------------------------------------------------
    def add_account(self, name: str, provider: str, credential_error: str | None = None, *,
                    not_loaded: bool = False) -> None:
        """Register an account from the config (before any event arrives). ``not_loaded``: its
        provider's plug-in failed to load (``credential_error`` then says why)."""
        view = self.accounts.setdefault(name, AccountView(name, provider))
        view.not_loaded = not_loaded
        if credential_error:
            view.error = credential_error
            view.error_kind = NOT_LOADED if not_loaded else "auth"

    def apply_listed(self, account: str, provider: str, resources: list[Resource]) -> bool:
        view = self.accounts.setdefault(account, AccountView(account, provider))
        view.resources = list(resources)
        view.listed = True
        view.error = None
        view.error_kind = None
        for resource in resources:
            self.states.setdefault(resource.key, ResourceState(resource=resource))
        self._recount(account)
        return True

    def _recount(self, account: str) -> None:
        """Rebuild one account's status counts (after its resource list changed)."""
        view = self.accounts[account]
        keys = {r.key for r in view.resources}
        self._listed_keys[account] = keys
        counts: Counter[str] = Counter()
        for key in keys:
            status = self._note_status(key)
            counts[status] += 1
        self._status_counts[account] = counts

    def _note_status(self, key: Key) -> str:
        """Record ``key``'s status ignoring pause (and whether it is failing); returns it."""
        status = self._status_unpaused(key)
        self._base_status[key] = status
        if status in _FAILING:
            self._failing.add(key)
        else:
            self._failing.discard(key)
        return status

    def apply_failed(self, account: str, error: ProviderError) -> bool:
        view = self.accounts.setdefault(account, AccountView(account, "?"))
        message = error.message or str(error)
        kind = NOT_LOADED if view.not_loaded else (error.kind.value or "error")
        changed = (view.error, view.error_kind) != (message, kind)
        view.error, view.error_kind = message, kind
        return changed

    def apply_skipped(self, account: str, skipped: tuple[SkippedItem, ...]) -> bool:
        view = self.accounts.get(account)
        if view is None or view.skipped == skipped:
            return False
        view.skipped = skipped
        return True

    def apply_budget(self, budget: BudgetUpdated) -> set[str]:
        """A budget group's state; returns the accounts whose view of it changed."""
        changed = set()
        for account in budget.accounts:
            view = self.accounts.get(account)
            if view is not None and view.budget != budget:
                view.budget = budget
                changed.add(account)
        return changed

    def status_counts(self) -> Counter[str]:
        """How many resources are in each status (paused as paused), plus failing accounts."""
        totals: Counter[str] = Counter()
        for name in self.accounts:
            self.account_status(name)  # counts again if the resources changed behind its back
            counts = self._status_counts.get(name)
            if counts is not None:
                totals.update(counts)
        if self.paused:
            paused = sum(n for s, n in totals.items() if s not in _FAILING)
            totals = Counter({s: n for s, n in totals.items() if s in _FAILING})
            totals["paused"] = paused
        return totals

    def apply_state(self, state: ResourceState) -> bool:
        key = state.resource.key
        previous = self.states.get(key)
        if len(state.history) > HISTORY_LIMIT:
            state.history = state.history[-HISTORY_LIMIT:]
        self.states[key] = state
        account = state.resource.account
        view = self.accounts.get(account)
        keys = self._listed_keys.setdefault(account, set())
        counts = self._status_counts.setdefault(account, Counter())
        if view is not None and key not in keys:
            view.resources.append(state.resource)
        old_status = self._base_status.get(key) if key in keys else None
        new_status = self._note_status(key)
        if view is not None:
            keys.add(key)
            if old_status != new_status:
                if old_status is not None:
                    counts[old_status] -= 1
                    if counts[old_status] <= 0:
                        del counts[old_status]
                counts[new_status] += 1
        return previous is None or _state_signature(previous) != _state_signature(state)

    def apply_series(self, key: Key, period: Period, series: Series | None) -> bool:
        if series is None:
            return False
        previous = self.series.get((key, period))
        self.series[(key, period)] = series
        return previous != series

    def apply_history_series(self, key: Key, period: Period, series: Series | None) -> bool:
        previous = self.history_series.get((key, period))
        if series is None:
            self.history_series.pop((key, period), None)
        else:
            self.history_series[(key, period)] = series
        return previous != series

    def rates(self, key: Key) -> tuple[float | None, float | None]:
        """(in_bps, out_bps) now: the state's, else the newest point of the day series.

        The poller takes its rates from that same point once the rest of the poll is done;
        showing it as soon as the series arrives puts numbers on screen a request earlier.
        """
        state = self.states.get(key)
        if state is not None and (
            state.in_bps is not None or state.out_bps is not None or state.rate_at is not None
        ):
            return state.in_bps, state.out_bps
        series = self.series.get((key, Period.DAY))
        latest = series.latest if series is not None else None
        if latest is None:
            return (None, None) if state is None else (state.in_bps, state.out_bps)
        return latest.in_bps, latest.out_bps

    def chart_series(self, key: Key, period: Period) -> tuple[Series | None, bool]:
        """The provider's series for the chart, else the one from history; and whether from history."""
        series = self.series.get((key, period))
        if series is not None and series.samples:
            return series, False
        stored = self.history_series.get((key, period))
        if stored is not None:
            return stored, True
        return series, False

    def apply_alert(self, key: Key, alert: Alert | None) -> bool:
        """Set (or clear with None) a resource's threshold mark; True when it changed."""
        previous = self.alerts.get(key)
        if alert is None:
            self.alerts.pop(key, None)
        else:
            self.alerts[key] = alert
        return previous != alert

    def alert_level(self, key: Key) -> str | None:
        alert = self.alerts.get(key)
        return None if alert is None else alert.level

    def apply_rate_limit(self, account: str, rate_limit: RateLimit | None) -> bool:
        view = self.accounts.get(account)
        if view is None:
            return False
        old = view.rate_limit
        view.rate_limit = rate_limit
        return old is None or rate_limit is None or (old.remaining, old.limit) != (
            rate_limit.remaining,
            rate_limit.limit,
        )

    # ----- reading -------------------------------------------------------------------------
    def resources(self, name_filter: str = "") -> list[Resource]:
        """Every known resource, account by account, optionally filtered by name substring."""
        needle = name_filter.casefold().strip()
        out: list[Resource] = []
        for view in self.accounts.values():
            for resource in view.resources:
                if not needle or needle in resource.name.casefold():
                    out.append(resource)
        return out

    def lists_pending(self) -> bool:
        """Whether some account has neither listed its resources nor failed yet (at start-up)."""
        return any(not view.listed and view.error is None for view in self.accounts.values())

    def resource_count(self) -> int:
        return sum(len(view.resources) for view in self.accounts.values())

    def status(self, key: Key) -> str:
        """``pending``, ``ok``, ``stale``, ``paused``, ``rate_limited`` or ``error``."""
        status = self._status_unpaused(key)
        if self.paused and status not in _FAILING:
            return "paused"
        return status

    def _status_unpaused(self, key: Key) -> str:
        """The status as if polling ran (pause shows every non-failing resource as paused)."""
        state = self.states.get(key)
        if state is not None and state.error is not None:
            if state.error.kind == ErrorKind.RATE_LIMITED:
                return "rate_limited"
            if not state.stale or state.updated_at is None:
                return "error"
        if state is None:
            return "pending"
        if state.stale:
            return "stale"
        if state.updated_at is None and state.usage is None and state.out_bps is None:
            return "pending"
        return "ok"

    def account_status(self, name: str) -> str:
        view = self.accounts.get(name)
        if view is None:
            return "pending"
        if view.error:
            return "rate_limited" if view.error_kind == ErrorKind.RATE_LIMITED.value else "error"
        if view.rate_limit is not None and view.rate_limit.remaining == 0:
            return "rate_limited"
        if not view.listed:
            return "paused" if self.paused else "pending"
        counts = self._status_counts.get(name)
        if counts is None or len(self._listed_keys.get(name, ())) != len(view.resources):
            self._recount(name)  # resources changed behind our back: count again
            counts = self._status_counts[name]
        statuses = [s for s, n in counts.items() if n > 0]
        if self.paused:
            statuses = [s if s in _FAILING else "paused" for s in statuses]
        return worst(statuses or ["ok"])

    def summary(self) -> tuple[int, int, int]:
        """(accounts, resources, resources or accounts in error)."""
        failing = sum(1 for v in self.accounts.values() if v.error)
        failing += len(self._failing)
        return len(self.accounts), self.resource_count(), failing


def _state_signature(state: ResourceState) -> tuple[object, ...]:
    error = state.error
    return (
        state.in_bps,
        state.out_bps,
        state.rate_at,
        state.usage,
        None if error is None else (error.kind, error.message, error.status),
        state.updated_at,
        state.stale,
        len(state.history),
        state.history[-1] if state.history else None,
        state.resource,
    )
