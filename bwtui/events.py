"""What the poller tells its listener (the TUI, tests): small immutable event records."""

from __future__ import annotations

from dataclasses import dataclass

from bwtui.config import AccountConfig
from bwtui.model import ProviderError, RateLimit, Resource, ResourceState, Series, SkippedItem
from bwtui.model import Period

ResourceKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class AccountListed:
    """An account's resources were listed (first time, or the list changed)."""

    account: str
    provider: str
    resources: tuple[Resource, ...]
    # What the listing held that bwtui does not watch, and why (Hivelocity devices without a plan).
    skipped: tuple[SkippedItem, ...] = ()


@dataclass(frozen=True, slots=True)
class AccountFailed:
    """Listing or authenticating an account failed; ``error`` carries the provider's message."""

    account: str
    error: ProviderError


@dataclass(frozen=True, slots=True)
class ResourceUpdated:
    """Something about a resource changed; ``state`` is a snapshot nobody else mutates."""

    state: ResourceState

    @property
    def key(self) -> ResourceKey:
        return self.state.resource.key


@dataclass(frozen=True, slots=True)
class SeriesUpdated:
    """A chart series for a resource and period arrived."""

    key: ResourceKey
    period: Period
    series: Series


@dataclass(frozen=True, slots=True)
class RateLimitUpdated:
    """The provider's request budget as last seen for an account (throttled, not per request)."""

    account: str
    rate_limit: RateLimit


@dataclass(frozen=True, slots=True)
class BudgetUpdated:
    """A request budget group's state: the provider's figures, the pace, any 429 block.

    Emitted when the stretch, the reason or a block changes (throttled otherwise). Times are
    epoch seconds. ``stretch`` > 1 means unselected resources are polled that much less often
    than their data changes (``effective_interval_s`` for a 5-minute series), and ``reason``
    says why in words; ``blocked_until`` is set while a 429 stops every request of the group.
    """

    group: str
    accounts: tuple[str, ...]
    limit: int | None
    remaining: int | None
    reset_at: float | None
    blocked_until: float | None
    stretch: float
    rate_rps: float
    reason: str
    rejected: int
    at: float

    def effective_interval_s(self, natural_s: float) -> float:
        """What a resource polled every ``natural_s`` seconds gets under this budget."""
        return natural_s * self.stretch


@dataclass(frozen=True, slots=True)
class PollerPaused:
    """Polling was paused (True) or resumed (False)."""

    paused: bool


@dataclass(frozen=True, slots=True)
class SourceChanged:
    """The data source changed how it gets its data (attached to a collector, polling directly,
    lost its collector). Sent by the source itself, never by a poller or over a feed.

    ``accounts``: the accounts it serves from now on (their configs: billing and thresholds);
    ``note``: what to tell the user once; ``severity``: ``information``, ``warning`` or ``error``.
    """

    note: str
    accounts: tuple[AccountConfig, ...] = ()
    severity: str = "information"


PollEvent = (
    AccountListed | AccountFailed | ResourceUpdated | SeriesUpdated | RateLimitUpdated | BudgetUpdated
    | PollerPaused | SourceChanged
)
