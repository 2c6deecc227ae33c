"""Billing-period figures: usage so far, month-end projection, allowance and overage cost.

The projection is vnstat's linear estimate: usage so far ÷ time elapsed in the period × the
period's length. It is labelled an estimate wherever it is shown. Within the first
:data:`MIN_PROJECTION_ELAPSED_S` of a period there is too little data to extrapolate (a burst in
the first minutes would project to petabytes), so the projection is None then.

Hivelocity includes 10 TB of outbound transfer per service per month (configurable per account
and per resource) and charges $0.01 per GB (10^9 bytes) beyond it; inbound is free. Altostrat
publishes no allowance, so its allowance and cost are None unless the config sets an allowance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bwtui.config import DEFAULT_OVERAGE_USD_PER_GB, AccountConfig
from bwtui.model import Resource, Usage
from bwtui.periods import period_bounds

if TYPE_CHECKING:
    from bwtui.providers.base import BillingRules

MIN_PROJECTION_ELAPSED_S = 3600.0
BYTES_PER_GB = 10**9


@dataclass(frozen=True, slots=True)
class BillingFigures:
    """One resource's billing period as of ``as_of`` (the usage's time, else "now").

    ``projected_*`` are None until :data:`MIN_PROJECTION_ELAPSED_S` of the period has passed or
    when there is no usage; ``allowance_out_bytes`` and the cost are None where no allowance
    applies; percentages are of the outbound allowance.
    """

    period_start: float
    period_end: float
    as_of: float
    elapsed_fraction: float
    used_in_bytes: int | None
    used_out_bytes: int | None
    projected_in_bytes: int | None
    projected_out_bytes: int | None
    allowance_out_bytes: int | None
    overage_usd_per_gb: float | None
    projected_overage_cost: float | None
    used_pct: float | None
    projected_pct: float | None

    @property
    def period_length_s(self) -> float:
        return self.period_end - self.period_start

    @property
    def is_estimate(self) -> bool:
        """Projections are linear estimates (vnstat-style) until the period has ended."""
        return self.elapsed_fraction < 1.0


def _declared(resource: Resource) -> BillingRules | None:
    """The provider's declared billing rules (None if it is unknown or failed to load)."""
    from bwtui.providers.registry import registry

    spec = registry().try_spec(resource.provider)
    return spec.billing if spec is not None else None


def allowance_for(resource: Resource, account: AccountConfig) -> int | None:
    """Outbound allowance in bytes: resource override, else account, else what the provider's
    API stated for the resource (``Resource.billing``), else the provider's declared default."""
    override = account.resources.get(resource.id)
    if override is not None and override.allowance_out_bytes is not None:
        return override.allowance_out_bytes
    if account.allowance_out_bytes is not None:
        return account.allowance_out_bytes
    if resource.billing is not None and resource.billing.allowance_out_bytes is not None:
        return resource.billing.allowance_out_bytes
    rules = _declared(resource)
    return rules.default_allowance_out_bytes if rules is not None else None


def price_for(resource: Resource, account: AccountConfig) -> float | None:
    """USD per GB beyond the allowance: config, else the API's USD price, else the declared
    default, else the project default. None when the API states a price in another currency
    (Hetzner's EUR) and the config gives no USD price: never a guessed conversion."""
    if account.overage_usd_per_gb is not None:
        return account.overage_usd_per_gb
    terms = resource.billing
    if terms is not None and terms.overage_usd_per_gb is not None:
        return terms.overage_usd_per_gb
    if terms is not None and terms.overage_price_per_gb is not None:
        return None  # stated in terms.currency, not USD
    rules = _declared(resource)
    if rules is not None and rules.default_overage_usd_per_gb is not None:
        return rules.default_overage_usd_per_gb
    return DEFAULT_OVERAGE_USD_PER_GB


def project(used_bytes: int | None, elapsed_s: float, period_s: float) -> int | None:
    """Linear month-end estimate; None without usage or before the minimum elapsed time."""
    if used_bytes is None or elapsed_s < MIN_PROJECTION_ELAPSED_S or period_s <= 0:
        return None
    if elapsed_s >= period_s:
        return used_bytes
    return round(used_bytes / elapsed_s * period_s)


def overage_cost(
    out_bytes: int | None, allowance_out_bytes: int | None, usd_per_gb: float | None
) -> float | None:
    """USD for the outbound bytes beyond the allowance (never negative); None if not applicable."""
    if out_bytes is None or allowance_out_bytes is None or usd_per_gb is None:
        return None
    return max(0, out_bytes - allowance_out_bytes) / BYTES_PER_GB * usd_per_gb


def _pct(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return part / whole * 100.0


def billing_for(
    resource: Resource, usage: Usage | None, account: AccountConfig, now: float
) -> BillingFigures:
    """Billing figures for a resource; the period is the one containing the usage's ``as_of``.

    Using the data's own time (not the wall clock) keeps the projection honest when the data
    is stale: elapsed time is measured to when the totals were true.
    """
    as_of = usage.as_of if usage is not None and usage.as_of is not None else now
    start, end = period_bounds(as_of, account.billing_day)
    period_s = end - start
    elapsed_s = min(max(as_of - start, 0.0), period_s)
    used_in = usage.period_in_bytes if usage is not None else None
    used_out = usage.period_out_bytes if usage is not None else None
    projected_in = project(used_in, elapsed_s, period_s)
    projected_out = project(used_out, elapsed_s, period_s)
    allowance = allowance_for(resource, account)
    usd_per_gb = price_for(resource, account) if allowance is not None else None
    return BillingFigures(
        period_start=start,
        period_end=end,
        as_of=as_of,
        elapsed_fraction=elapsed_s / period_s,
        used_in_bytes=used_in,
        used_out_bytes=used_out,
        projected_in_bytes=projected_in,
        projected_out_bytes=projected_out,
        allowance_out_bytes=allowance,
        overage_usd_per_gb=usd_per_gb,
        projected_overage_cost=overage_cost(projected_out, allowance, usd_per_gb),
        used_pct=_pct(used_out, allowance),
        projected_pct=_pct(projected_out, allowance),
    )


def billing_json(fig: BillingFigures | None) -> dict[str, object]:
    """The ``status --json`` billing fields (null where not applicable); cost rounded to cents."""
    if fig is None:
        return {
            "projected_in_bytes": None,
            "projected_out_bytes": None,
            "allowance_out_bytes": None,
            "projected_overage_cost": None,
        }
    cost = fig.projected_overage_cost
    return {
        "projected_in_bytes": fig.projected_in_bytes,
        "projected_out_bytes": fig.projected_out_bytes,
        "allowance_out_bytes": fig.allowance_out_bytes,
        "projected_overage_cost": None if cost is None else round(cost, 2),
    }
