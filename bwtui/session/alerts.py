"""Thresholds as the monitor uses them: mark a resource, announce each crossing once.

Each poll of a resource is evaluated (rates, projected share of the allowance: the default
overage flag applies with no thresholds configured, and marks quietly, without a toast or bell);
the store keeps the mark (``warning``/``critical`` with reasons) for every view, and a
:class:`~bwtui.thresholds.ThresholdLatch` makes sure a crossing is announced once, with the bell
when it rises, quietly when it recovers.
"""

from __future__ import annotations

from bwtui.config import AccountConfig
from bwtui.model import ResourceState
from bwtui.session.changes import Announcement
from bwtui.session.store import Alert, MonitorStore
from bwtui.text import safe_text
from bwtui.thresholds import (
    Level,
    ThresholdLatch,
    effective_thresholds,
    evaluate_for,
    has_thresholds,
    overage_levels,
)

NAME_MAX = 60
REASON_MAX = 120
CROSSED_TIMEOUT_S = 15.0
RECOVERED_TIMEOUT_S = 8.0


class ThresholdAlerts:
    """Evaluates thresholds after each poll; marks the store, returns what to announce."""

    def __init__(self, store: MonitorStore) -> None:
        self._store = store
        self._latch = ThresholdLatch()

    def check(
        self, state: ResourceState, account: AccountConfig | None, now: float, *,
        observed_reset_at: float | None = None,
    ) -> Announcement | None:
        """Mark ``state``'s resource over (or back within) its thresholds; an announcement per crossing."""
        if account is None:
            return None
        thresholds = effective_thresholds(account, state.resource.id)
        configured = has_thresholds(thresholds)
        if not configured and overage_levels(thresholds)[1] is None:
            return None  # nothing configured and the default overage flag turned off
        try:
            evaluation = evaluate_for(state, account, now, observed_reset_at=observed_reset_at)
        except Exception:  # noqa: BLE001 - a threshold bug must not break the monitor
            return None
        key = state.resource.key
        crossing = self._latch.update(key, evaluation)
        level = self._latch.level(key)
        if level in (Level.WARNING, Level.CRITICAL):
            previous = self._store.alerts.get(key)
            reasons = evaluation.reasons if evaluation.level is level else (
                previous.reasons if previous is not None else ())
            self._store.apply_alert(key, Alert(level.value.lower(), reasons))
        else:
            self._store.apply_alert(key, None)
        if crossing is None or not configured:
            return None  # the default overage flag marks quietly: no toast storm at start
        name = safe_text(state.resource.name, max_len=NAME_MAX)
        if not crossing.escalated:
            return Announcement(f"{name}: back within thresholds", title="recovered",
                                timeout_s=RECOVERED_TIMEOUT_S)
        why = "; ".join(safe_text(r, max_len=REASON_MAX) for r in crossing.reasons)
        return Announcement(
            f"{name}: {crossing.level.value}" + (f" - {why}" if why else ""),
            title="threshold crossed",
            severity="error" if crossing.level is Level.CRITICAL else "warning",
            timeout_s=CROSSED_TIMEOUT_S,
            bell=True,
        )
