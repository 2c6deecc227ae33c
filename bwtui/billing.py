"""Billing-period figures: the period and where it came from, usage so far, the period-end
projection, allowance and overage cost.

**The period** (see :func:`bwtui.periods.resolve_period`): a per-resource ``billing_day`` in the
config; else the provider's own statement (Hivelocity ``GET /service/`` ``lastRenew``/
``renewDate``); else a counter reset seen in history (Altostrat: the new period starts at the
reset, halfway between the two readings around it, and repeats monthly); else the account's
``billing_day`` (``config``), which by default is the calendar month (``calendar``).

**Allowance and price**: a per-resource setting, else the account's setting, else what the
provider's API states (Hivelocity ``bandwidthBilling``, Hetzner, Vultr), else the provider's
declared default (Hivelocity: 10 TB outbound per service per month at $0.01 per GB; inbound is
free; Altostrat: none). A price stated in another currency is never converted.

**The projection** is vnstat's linear estimate: usage so far ÷ time elapsed in the period × the
period's length, labelled an estimate wherever it is shown. It needs :data:`MIN_PROJECTION_ELAPSED_S`
(6 hours) of the period behind it, or half the period if that is shorter: before that it is
"too early" (``projection == "too_early"``) and None, because a burst in the first minutes would
project to petabytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import TYPE_CHECKING

from bwtui.config import DEFAULT_OVERAGE_USD_PER_GB, AccountConfig
from bwtui.model import DataWarning, Resource, Usage
from bwtui.periods import BillingPeriod, iso_utc, resolve_period

if TYPE_CHECKING:
    from bwtui.providers.base import BillingRules

MIN_PROJECTION_ELAPSED_S = 6 * 3600.0
BYTES_PER_GB = 10**9
PERIOD_MISMATCH_S = 120.0

# What ``BillingFigures.projection`` says about the projected figures.
ESTIMATE = "estimate"  # a linear estimate for the period's end
FINAL = "final"  # the period is over: the usage is the figure
TOO_EARLY = "too_early"  # not enough of the period has passed to extrapolate
NO_USAGE = "no_usage"  # no totals to project from


@dataclass(frozen=True, slots=True)
class BillingFigures:
    """One resource's billing period as of ``as_of`` (the usage's time, else "now").

    ``projected_*`` are None unless ``projection`` is ``estimate`` or ``final``;
    ``allowance_out_bytes`` and the cost are None where no allowance applies; percentages are of
    the outbound allowance. ``period_source`` is ``provider``, ``config``, ``observed_reset`` or
    ``calendar``; ``allowance_source`` is ``config``, ``provider`` or ``default`` (None without an
    allowance). ``notes`` say where a figure is not what the provider stated, and why.
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
    period_source: str = "calendar"
    projection: str = ESTIMATE
    projection_after_s: float = MIN_PROJECTION_ELAPSED_S
    allowance_source: str | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[DataWarning, ...] = ()

    @property
    def period_length_s(self) -> float:
        return self.period_end - self.period_start

    @property
    def is_estimate(self) -> bool:
        """Projections are linear estimates (vnstat-style) until the period has ended."""
        return self.elapsed_fraction < 1.0

    @property
    def too_early(self) -> bool:
        """True while too little of the period has passed for a projection."""
        return self.projection == TOO_EARLY

    @property
    def projection_text(self) -> str:
        """What a person reads where the projection would be: never a wild number."""
        if self.projection == TOO_EARLY:
            hours = self.projection_after_s / 3600
            return f"too early (after {hours:g} h of the period)"
        if self.projection == NO_USAGE:
            return "no usage yet"
        return "estimate" if self.projection == ESTIMATE else "final"


def _override(resource: Resource, account: AccountConfig):  # noqa: ANN202 - ResourceOverride | None
    return account.resources.get(resource.id)


def allowance_for(resource: Resource, account: AccountConfig) -> int | None:
    """Outbound allowance in bytes: resource override, else account, else the provider default."""
    return allowance_with_source(resource, account)[0]


def _declared(resource: Resource) -> BillingRules | None:
    """The provider's declared billing rules (None if it is unknown or failed to load)."""
    from bwtui.providers.registry import registry

    spec = registry().try_spec(resource.provider)
    return spec.billing if spec is not None else None


def allowance_with_source(resource: Resource, account: AccountConfig) -> tuple[int | None, str | None]:
    """(allowance, source): the resource's setting, the account's, what the provider's API
    stated (``Resource.billing``), then the provider's declared default; source is ``config``,
    ``provider`` or ``default`` (None without an allowance)."""
    override = _override(resource, account)
    if override is not None and override.allowance_out_bytes is not None:
        return override.allowance_out_bytes, "config"
    if account.allowance_out_bytes is not None:
        return account.allowance_out_bytes, "config"
    if resource.billing is not None and resource.billing.allowance_out_bytes is not None:
        return resource.billing.allowance_out_bytes, "provider"
    rules = _declared(resource)
    if rules is not None and rules.default_allowance_out_bytes is not None:
        return rules.default_allowance_out_bytes, "default"
    return None, None


def price_for(resource: Resource, account: AccountConfig) -> float | None:
    """USD per GB beyond the allowance: the resource's setting, the account's, the API's USD
    price, the declared default, the project default. None when the API states a price in
    another currency (Hetzner's EUR) and the config gives no USD price: never a guessed
    conversion."""
    override = _override(resource, account)
    if override is not None and getattr(override, "overage_usd_per_gb", None) is not None:
        return override.overage_usd_per_gb
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


def period_for(
    resource: Resource, account: AccountConfig, at: float, *, observed_reset_at: float | None = None
) -> BillingPeriod:
    """The billing period containing ``at`` for this resource, and where it came from.

    ``observed_reset_at`` is when history saw the counters drop (Altostrat); see
    :func:`bwtui.periods.last_reset`.
    """
    override = _override(resource, account)
    terms = resource.billing
    return resolve_period(
        at,
        account_billing_day=account.billing_day,
        resource_billing_day=getattr(override, "billing_day", None) if override else None,
        provider_start=terms.period_start if terms is not None else None,
        provider_end=terms.period_end if terms is not None else None,
        observed_reset_at=observed_reset_at,
    )


def usage_window_start(
    resource: Resource, account: AccountConfig, now: float, *, observed_reset_at: float | None = None
) -> float:
    """Where a provider's totals should start for this resource (for callers asking for totals)."""
    return period_for(resource, account, now, observed_reset_at=observed_reset_at).start


def min_projection_elapsed_s(period_s: float) -> float:
    """How much of a period must have passed before projecting: 6 h, or half a shorter period."""
    return min(MIN_PROJECTION_ELAPSED_S, period_s / 2)


def project(used_bytes: int | None, elapsed_s: float, period_s: float) -> int | None:
    """Linear period-end estimate; None without usage or before the minimum elapsed time."""
    if used_bytes is None or period_s <= 0 or elapsed_s < min_projection_elapsed_s(period_s):
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
    resource: Resource,
    usage: Usage | None,
    account: AccountConfig,
    now: float,
    *,
    observed_reset_at: float | None = None,
) -> BillingFigures:
    """Billing figures for a resource; the period is the one containing the usage's ``as_of``.

    Using the data's own time (not the wall clock) keeps the projection honest when the data
    is stale: elapsed time is measured to when the totals were true.
    """
    as_of = usage.as_of if usage is not None and usage.as_of is not None else now
    at = as_of
    if usage is not None and usage.period_start is not None and usage.period_start > as_of:
        at = usage.period_start  # totals asked for just after a boundary: the new period
    period = period_for(resource, account, at, observed_reset_at=observed_reset_at)
    start, end = period.start, period.end
    period_s = end - start
    elapsed_s = min(max(as_of - start, 0.0), period_s)
    used_in = usage.period_in_bytes if usage is not None else None
    used_out = usage.period_out_bytes if usage is not None else None
    notes = list(resource.billing.notes if resource.billing is not None else ())
    notes.extend(period.notes)
    warnings: list[DataWarning] = []
    if usage is not None and usage.period_start is not None and abs(usage.period_start - start) > PERIOD_MISMATCH_S:
        warnings.append(
            DataWarning(
                "period",
                f"the totals count from {iso_utc(usage.period_start)} but the billing period "
                f"starts {iso_utc(start)} ({period.source}): usage and projection cover another window",
            )
        )
    projected_in = project(used_in, elapsed_s, period_s)
    projected_out = project(used_out, elapsed_s, period_s)
    if used_in is None and used_out is None:
        projection = NO_USAGE
    elif elapsed_s < min_projection_elapsed_s(period_s):
        projection = TOO_EARLY
    elif elapsed_s >= period_s:
        projection = FINAL
    else:
        projection = ESTIMATE
    allowance, allowance_source = allowance_with_source(resource, account)
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
        period_source=period.source,
        projection=projection,
        projection_after_s=min_projection_elapsed_s(period_s),
        allowance_source=allowance_source,
        notes=tuple(notes),
        warnings=tuple(warnings),
    )


def billing_json(fig: BillingFigures | None) -> dict[str, object]:
    """The ``status --json`` billing fields (null where not applicable); cost rounded to cents."""
    if fig is None:
        return {
            "projected_in_bytes": None,
            "projected_out_bytes": None,
            "allowance_out_bytes": None,
            "projected_overage_cost": None,
            "period_start": None,
            "period_end": None,
            "period_source": None,
            "projection": NO_USAGE,
        }
    cost = fig.projected_overage_cost
    return {
        "projected_in_bytes": fig.projected_in_bytes,
        "projected_out_bytes": fig.projected_out_bytes,
        "allowance_out_bytes": fig.allowance_out_bytes,
        "projected_overage_cost": None if cost is None else round(cost, 2),
        "period_start": iso_utc(fig.period_start),
        "period_end": iso_utc(fig.period_end),
        "period_source": fig.period_source,
        "projection": fig.projection,
    }
