"""Threshold evaluation (OK/WARNING/CRITICAL/UNKNOWN) and a latch that reports each crossing once.

A rate alerts when it is strictly above its threshold (the monitoring-plugins convention: a
threshold of ``800M`` alerts at 800,000,001 bit/s). Thresholds apply to the in and out rates
(bits/s) and to the projected percentage of the outbound allowance, which alerts at or above its
threshold (100 % of the allowance is where overage starts); before a projection exists (the
first 6 hours of a period) the used percentage stands in, as it can only grow.

**The overage flag is on by default**: with no percent thresholds configured, a resource projected
at or above 90 % of its allowance by the period's end is WARNING, at or above 100 % CRITICAL
(:data:`DEFAULT_WARN_PROJECTED_PCT`, :data:`DEFAULT_CRIT_PROJECTED_PCT`). Configured percent
thresholds replace these; ``flag_overage = false`` turns the default off. A default flag stays
silent where there is no allowance or no usage yet (a configured one says UNKNOWN).

Missing data where a threshold is set is UNKNOWN, and so is a resource whose last poll failed or
whose figures carry a ``units`` or ``period`` warning (they may be 8× off, or cover another window).
When levels are combined, the worst wins in the order critical > unknown > warning > ok.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, fields, replace
from enum import StrEnum

from bwtui.billing import BillingFigures, billing_for
from bwtui.config import AccountConfig, Thresholds
from bwtui.model import ResourceState
from bwtui.units import format_rate


class Level(StrEnum):
    """A state in the monitoring-plugins sense; ``exit_code`` is the plugin's exit status."""

    OK = "OK"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"
    UNKNOWN = "UNKNOWN"

    @property
    def exit_code(self) -> int:
        return _EXIT[self]

    @property
    def rank(self) -> int:
        """Severity for "worst wins": critical > unknown > warning > ok."""
        return _RANK[self]


_EXIT = {Level.OK: 0, Level.WARNING: 1, Level.CRITICAL: 2, Level.UNKNOWN: 3}
_RANK = {Level.OK: 0, Level.WARNING: 1, Level.UNKNOWN: 2, Level.CRITICAL: 3}


def worst(levels: Iterable[Level]) -> Level:
    """The most severe level (OK for none)."""
    return max(levels, key=lambda level: level.rank, default=Level.OK)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A level with the human reasons behind it (empty for OK).

    ``overage`` is the level of the allowance check alone (the projected share of the
    allowance), so a view can mark overage with its own shape beside the overall level.
    """

    level: Level
    reasons: tuple[str, ...] = ()
    overage: Level = Level.OK


DEFAULT_WARN_PROJECTED_PCT = 90.0
DEFAULT_CRIT_PROJECTED_PCT = 100.0
UNTRUSTED_WARNING_KINDS = ("units", "period")


def overage_levels(thresholds: Thresholds) -> tuple[float | None, float | None, bool]:
    """(warn %, crit %, configured) for the allowance check; (None, None, False) when off.

    Configured percent thresholds are used as set (a missing one is filled from the default
    unless ``flag_overage`` is false); with none configured the default flag applies.
    """
    warn, crit = thresholds.warn_projected_pct, thresholds.crit_projected_pct
    configured = warn is not None or crit is not None
    if thresholds.flag_overage is False:
        return (warn, crit, True) if configured else (None, None, False)
    if crit is None:
        crit = max(DEFAULT_CRIT_PROJECTED_PCT, warn) if warn is not None else DEFAULT_CRIT_PROJECTED_PCT
    if warn is None:
        warn = min(DEFAULT_WARN_PROJECTED_PCT, crit)
    return warn, crit, configured


def merge_thresholds(base: Thresholds, override: Thresholds | None) -> Thresholds:
    """Field by field: every value the override sets wins over the base."""
    if override is None:
        return base
    changes = {
        f.name: getattr(override, f.name)
        for f in fields(Thresholds)
        if getattr(override, f.name) is not None
    }
    return replace(base, **changes)


def effective_thresholds(account: AccountConfig, resource_id: str) -> Thresholds:
    """The account's thresholds with the resource's override on top."""
    override = account.resources.get(resource_id)
    return merge_thresholds(account.thresholds, override.thresholds if override else None)


def has_thresholds(thresholds: Thresholds) -> bool:
    """Whether anything is configured (the default overage flag does not count)."""
    return any(
        getattr(thresholds, f.name) is not None for f in fields(Thresholds) if f.name != "flag_overage"
    )


def _at_least(label: str, value: float | None, warn: float | None, crit: float | None, fmt) -> Evaluation:
    """Like :func:`_check`, but alerting at the threshold too (percent of the allowance)."""
    if value is None:
        return Evaluation(Level.UNKNOWN, (f"{label}: no data yet",))
    for level, limit, name in ((Level.CRITICAL, crit, "critical"), (Level.WARNING, warn, "warning")):
        if limit is not None and value >= limit:
            sign = ">" if value > limit else "≥"
            return Evaluation(level, (f"{label} {fmt(value)} {sign} {name} {fmt(limit)}",))
    return Evaluation(Level.OK)


def _check(
    label: str,
    value: float | None,
    warn: float | None,
    crit: float | None,
    fmt,
) -> Evaluation:
    if warn is None and crit is None:
        return Evaluation(Level.OK)
    if value is None:
        return Evaluation(Level.UNKNOWN, (f"{label}: no data yet",))
    if crit is not None and value > crit:
        return Evaluation(Level.CRITICAL, (f"{label} {fmt(value)} > critical {fmt(crit)}",))
    if warn is not None and value > warn:
        return Evaluation(Level.WARNING, (f"{label} {fmt(value)} > warning {fmt(warn)}",))
    return Evaluation(Level.OK)


def _pct_text(value: float) -> str:
    return f"{value:.0f}%" if value >= 10 else f"{value:.1f}%"


def evaluate(
    state: ResourceState, billing: BillingFigures | None, thresholds: Thresholds
) -> Evaluation:
    """The resource's level against its effective thresholds, with reasons.

    A failed last poll adds UNKNOWN (with the error); the last good data is still checked, and
    the worst level wins. Percent thresholds are skipped where no allowance applies.
    """
    checks = [
        _check("out", state.out_bps, thresholds.warn_out_bps, thresholds.crit_out_bps, format_rate),
        _check("in", state.in_bps, thresholds.warn_in_bps, thresholds.crit_in_bps, format_rate),
    ]
    overage = Level.OK
    warn_pct, crit_pct, configured = overage_levels(thresholds)
    if warn_pct is not None or crit_pct is not None:
        if billing is None or billing.allowance_out_bytes is None:
            if billing is None and configured:
                checks.append(Evaluation(Level.UNKNOWN, ("allowance: no usage data yet",)))
        elif configured or billing.used_pct is not None:
            pct = billing.projected_pct if billing.projected_pct is not None else billing.used_pct
            label = "projected" if billing.projected_pct is not None else "used"
            result = _at_least(f"{label} out", pct, warn_pct, crit_pct, _pct_text)
            overage = result.level
            checks.append(result)
    for warning in state.warnings:
        if warning.kind in UNTRUSTED_WARNING_KINDS:
            checks.append(Evaluation(Level.UNKNOWN, (f"{warning.kind}: {warning.message}",)))
    if billing is not None:
        for warning in billing.warnings:
            if warning.kind in UNTRUSTED_WARNING_KINDS:
                checks.append(Evaluation(Level.UNKNOWN, (f"{warning.kind}: {warning.message}",)))
    if state.error is not None:
        checks.append(
            Evaluation(Level.UNKNOWN, (f"{state.error.kind.value}: {state.error.message}",))
        )
    level = worst(check.level for check in checks)
    reasons = tuple(
        reason
        for check in sorted(checks, key=lambda c: -c.level.rank)
        if check.level is not Level.OK
        for reason in check.reasons
    )
    return Evaluation(level, reasons, overage)


def evaluate_for(
    state: ResourceState, account: AccountConfig, now: float, *, observed_reset_at: float | None = None
) -> Evaluation:
    """Convenience for the UI: billing figures and effective thresholds worked out here."""
    billing = (
        billing_for(state.resource, state.usage, account, now, observed_reset_at=observed_reset_at)
        if state.usage is not None
        else None
    )
    return evaluate(state, billing, effective_thresholds(account, state.resource.id))


@dataclass(frozen=True, slots=True)
class Crossing:
    """A change of alert level worth telling the user about once."""

    key: Hashable
    previous: Level
    level: Level
    reasons: tuple[str, ...] = ()

    @property
    def escalated(self) -> bool:
        """True for ok→warning, ok→critical, warning→critical: notify and ring the bell."""
        return self.level.rank > self.previous.rank


class ThresholdLatch:
    """Remembers each resource's alert level so a crossing is reported once, not every poll.

    ``update`` returns a :class:`Crossing` when the level rises (ok→warning, ok/warning→critical)
    and when it returns to OK (a recovery, ``escalated`` False), which re-arms the latch.
    Falling from critical to warning is remembered silently, so rising again notifies again.
    UNKNOWN (no data, a failed poll) changes nothing: a blip does not re-announce an alert.
    """

    def __init__(self) -> None:
        self._levels: dict[Hashable, Level] = {}

    def level(self, key: Hashable) -> Level:
        return self._levels.get(key, Level.OK)

    def update(self, key: Hashable, evaluation: Evaluation | Level) -> Crossing | None:
        if isinstance(evaluation, Level):
            evaluation = Evaluation(evaluation)
        new = evaluation.level
        if new is Level.UNKNOWN:
            return None
        old = self._levels.get(key, Level.OK)
        self._levels[key] = new
        if new.rank > old.rank or (new is Level.OK and old is not Level.OK):
            return Crossing(key, old, new, evaluation.reasons)
        return None

    def forget(self, key: Hashable) -> None:
        """Drop a resource that no longer exists."""
        self._levels.pop(key, None)
