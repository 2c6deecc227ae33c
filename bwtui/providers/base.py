"""The provider plug-in seam: what every provider client offers the poller and ``status``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bwtui.model import Period, RateLimit, Resource, Series, Usage


@dataclass(frozen=True, slots=True)
class ProviderTraits:
    """How often a provider's data changes and what it can give."""

    series_step_s: int | None  # new series point every N seconds; None: no series (totals only)
    usage_interval_s: int  # how often billing totals are worth re-reading
    has_image: bool = False
    # Which requests share one rate-limit budget: "host" (per client IP and API host, e.g.
    # Hivelocity's 3,600/h per IP) or "token" (per API token / project, e.g. Hetzner Cloud).
    budget_scope: str = "host"


@runtime_checkable
class ProviderClient(Protocol):
    """One account's client. Raises only ``bwtui.model.ProviderError``."""

    provider: str
    account: str
    traits: ProviderTraits

    @property
    def rate_limit(self) -> RateLimit | None:
        """The last ``X-RateLimit-*`` figures seen, if the provider sends them."""

    async def list_resources(self) -> list[Resource]:
        """Every resource of the account."""

    async def fetch_usage(self, resource: Resource, period_start: float, now: float) -> Usage:
        """Billing-period totals from ``period_start`` to ``now``."""

    async def fetch_series(self, resource: Resource, period: Period) -> Series | None:
        """Rate series for the window; None when the provider has none (totals only)."""

    async def aclose(self) -> None:
        """Release the HTTP client."""
