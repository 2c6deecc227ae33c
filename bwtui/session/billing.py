"""Billing figures for display: per resource, from its usage and its account's config.

:func:`billing_lines` gives the usage panel's billing lines as ``(text, style)`` segments (Rich
style strings), so the text is built and tested here and a view only assembles it. The
projection is always labelled an estimate (vnstat's linear one).
"""

from __future__ import annotations

from bwtui.billing import BillingFigures, billing_for
from bwtui.config import AccountConfig
from bwtui.model import ResourceState
from bwtui.session.format import format_bytes, format_money

Segment = tuple[str, str]  # (text, style); "" means the view's plain style


def figures_for(state: ResourceState, account: AccountConfig | None, now: float) -> BillingFigures | None:
    """The resource's billing period figures (None without its account's config)."""
    if account is None:
        return None
    try:
        return billing_for(state.resource, state.usage, account, now)
    except Exception:  # noqa: BLE001 - billing is an extra; never break a view
        return None


def billing_lines(figures: BillingFigures | None, state: ResourceState) -> list[Segment] | None:
    """The usage panel's billing lines: elapsed and used share, the period-end estimate, and the
    projected overage cost on a line of its own (so a narrow pane never cuts it off)."""
    if figures is None or state.usage is None:
        return None
    out: list[Segment] = [("month   ", "bold"), (f"{figures.elapsed_fraction * 100:.0f}% elapsed", "")]
    if figures.allowance_out_bytes is not None and figures.used_pct is not None:
        out.append((f" · {figures.used_pct:.0f}% of {format_bytes(figures.allowance_out_bytes)} used", ""))
    out.append(("\nest.    ", "bold"))
    if figures.projected_out_bytes is None:
        out.append(("too early in the period to estimate", "dim"))
        return out
    out.append((f"out {format_bytes(figures.projected_out_bytes)}", ""))
    if figures.projected_pct is not None:
        style = "bold red" if figures.projected_pct >= 100 else ""
        out.append((f" ({figures.projected_pct:.0f}%)", style))
    out.append((" at period end", "dim"))
    cost = figures.projected_overage_cost
    if cost is not None and cost > 0:
        out.append(("\ncost    ", "bold"))
        out.append((format_money(cost), "bold red"))
        out.append((" overage by period end (estimate)", ""))
    return out
