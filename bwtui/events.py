"""What the poller tells its listener (the TUI, tests): small immutable event records."""

from __future__ import annotations

from dataclasses import dataclass

from bwtui.model import ProviderError, RateLimit, Resource, ResourceState, Series
from bwtui.model import Period

ResourceKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class AccountListed:
    """An account's resources were listed (first time, or the list changed)."""

    account: str
    provider: str
    resources: tuple[Resource, ...]


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
class PollerPaused:
    """Polling was paused (True) or resumed (False)."""

    paused: bool


PollEvent = AccountListed | AccountFailed | ResourceUpdated | SeriesUpdated | RateLimitUpdated | PollerPaused
