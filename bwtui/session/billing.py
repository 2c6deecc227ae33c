"""Billing figures for display: per resource, from its usage and its account's config.

:func:`billing_lines` gives the usage panel's billing lines as ``(text, style)`` segments (Rich
style strings), so the text is built and tested here and a view only assembles it. The
projection is always labelled an estimate (vnstat's linear one).
"""

from __future__ import annotations

from datetime import UTC, datetime

from bwtui.billing import BillingFigures, billing_for
from bwtui.config import AccountConfig
from bwtui.model import ResourceState
from bwtui.session.format import format_bytes, format_money
from bwtui.text import safe_text

Segment = tuple[str, str]  # (text, style); "" means the view's plain style


def figures_for(
    state: ResourceState, account: AccountConfig | None, now: float, *, observed_reset_at: float | None = None
) -> BillingFigures | None:
    """The resource's billing period figures (None without its account's config); a counter reset
    the monitor saw (``observed_reset_at``) starts a totals-only provider's period."""
    if account is None:
        return None
    try:
        return billing_for(state.resource, state.usage, account, now, observed_reset_at=observed_reset_at)
    except Exception:  # noqa: BLE001 - billing is an extra; never break a view
        return None


# Where a billing period came from, as the usage panel says it.
PERIOD_SOURCES = {
    "provider": "the provider's cycle",
    "config": "billing_day in the config",
    "observed_reset": "from a counter reset",
    "calendar": "calendar month",
}
ALLOWANCE_SOURCES = {"provider": "stated by the provider", "config": "from the config",
                     "default": "the provider's usual"}
_LABEL = 8


def _label(name: str) -> Segment:
    return (f"{name:<{_LABEL}}", "bold")


def _day(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%d %b").lstrip("0")


def billing_lines(figures: BillingFigures | None, state: ResourceState) -> list[Segment] | None:
    """The usage panel's billing lines, one figure a line so a narrow pane never cuts one off:
    the period and where it came from, the allowance used, the period-end estimate (or why there
    is none yet), the projected overage cost, a price that is not in dollars, the notes and the
    warnings about these figures."""
    if figures is None or state.usage is None:
        return None
    lines: list[list[Segment]] = []
    source = PERIOD_SOURCES.get(figures.period_source, figures.period_source)
    lines.append([_label("billing"), (f"{_day(figures.period_start)} to {_day(figures.period_end)}", ""),
                  (f" ({source})", "dim"), (f" · {figures.elapsed_fraction * 100:.0f}% elapsed", "")])
    if figures.allowance_out_bytes is not None and figures.used_pct is not None:
        where = ALLOWANCE_SOURCES.get(figures.allowance_source or "", "")
        lines.append([_label("used"), (f"{figures.used_pct:.0f}% of {format_bytes(figures.allowance_out_bytes)}", ""),
                      (f" out ({where})" if where else " out", "dim")])
    if figures.projected_out_bytes is None:
        lines.append([_label("est."), (figures.projection_text, "dim")])
    else:
        est: list[Segment] = [_label("est."), (f"out {format_bytes(figures.projected_out_bytes)}", "")]
        if figures.projected_pct is not None:
            style = "bold red" if figures.projected_pct >= 100 else ""
            est.append((f" ({figures.projected_pct:.0f}%)", style))
        est.append((" at period end" + (" (estimate)" if figures.is_estimate else ""), "dim"))
        lines.append(est)
    cost = figures.projected_overage_cost
    if cost is not None and cost > 0:
        lines.append([_label("cost"), (format_money(cost), "bold red"),
                      (" overage by period end" + (" (estimate)" if figures.is_estimate else ""), "")])
    terms = state.resource.billing
    if terms is not None and terms.overage_price_per_gb is not None and terms.currency \
            and figures.overage_usd_per_gb is None:
        lines.append([_label("price"),
                      (f"{terms.overage_price_per_gb * 1000:.2f} {safe_text(terms.currency)} per TB over", ""),
                      (" (never converted: overage_usd_per_gb in the config gives a cost)", "dim")])
    for note in figures.notes:
        lines.append([_label("note"), (safe_text(note, max_len=200), "dim")])
    seen = set()
    for warning in (*state.warnings, *figures.warnings):
        if warning.message in seen:
            continue
        seen.add(warning.message)
        lines.append([_label("warning"), (f"{warning.kind}: ", "bold yellow"),
                      (safe_text(warning.message, max_len=300), "yellow")])
    out: list[Segment] = []
    for index, line in enumerate(lines):
        if index:
            out.append(("\n", ""))
        out.extend(line)
    return out
