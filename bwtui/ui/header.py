"""The one-line header: title, account summary, what the data source is doing, the clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from bwtui.model import Period
from bwtui.session.detail_text import clock
from bwtui.session.format import format_clock
from bwtui.session.status import STATUS_STYLES, glyph
from bwtui.session.store import MonitorStore
from bwtui.ui.text_panel import TextPanel


class ClockLabel(Static):
    """``HH:MM UTC``; wakes once a minute and redraws only when the text changes."""

    def __init__(self, now: Callable[[], float], **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self._now = now
        self._shown = ""

    def on_mount(self) -> None:
        self._tick()

    def _tick(self) -> None:
        now = self._now()
        text = format_clock(now)
        if text != self._shown:
            self._shown = text
            self.update(text)
        self.set_timer(max(1.0, 60.0 - now % 60.0 + 0.05), self._tick)


PROBLEMS = ("failing", "rate-limited", "stale")
COUNT_STYLES = {"failing": STATUS_STYLES["error"], "rate-limited": STATUS_STYLES["rate_limited"],
                "stale": STATUS_STYLES["stale"], "waiting": "dim", "paused": "dim", "ok": STATUS_STYLES["ok"]}


NARROW_HEADER = 100  # below this many columns: no account count, no "all fresh" (the calm colour says it)
ALERT_STYLES = {"critical": STATUS_STYLES["error"], "warning": "yellow"}


def alert_counts(store: MonitorStore) -> dict[str, int]:
    """Resources over a critical or warning threshold (the overage flag included), if any."""
    counts = {level: 0 for level in ALERT_STYLES}
    for alert in store.alerts.values():
        if alert.level in counts:
            counts[alert.level] += 1
    return {level: count for level, count in counts.items() if count}


def header_counts(store: MonitorStore) -> dict[str, int]:
    """Resources (and accounts) by what a glance needs: failing, rate-limited, stale, ok..."""
    statuses = store.status_counts()
    failing_accounts = sum(1 for v in store.accounts.values()
                           if v.error and v.error_kind != "rate_limited")
    limited_accounts = sum(1 for v in store.accounts.values() if v.error_kind == "rate_limited")
    return {
        "failing": statuses["error"] + failing_accounts,
        "rate-limited": statuses["rate_limited"] + limited_accounts,
        "stale": statuses["stale"],
        "waiting": statuses["pending"],
        "paused": statuses["paused"],
        "ok": statuses["ok"],
    }


def budget_mark(store: MonitorStore, now: float) -> tuple[str, str] | None:
    """A 429 block (with its end) or stretched polling, for the header; None when all keep up."""
    blocked = [v.budget.blocked_until for v in store.accounts.values()
               if v.budget is not None and v.budget.blocked_until is not None and v.budget.blocked_until > now]
    if blocked:
        return f"429: requests wait until {clock(max(blocked))}", STATUS_STYLES["rate_limited"]
    stretch = max((v.budget.stretch for v in store.accounts.values() if v.budget is not None), default=1.0)
    if stretch > 1.05:
        return f"budget: polls {stretch:.1f}× apart", "yellow"
    return None


class HeaderBar(Horizontal):
    """Accounts, resources and failures on the left; source state, period and units on the right."""

    def __init__(self, now: Callable[[], float], *, ascii_only: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._now = now
        self.ascii_only = ascii_only

    def compose(self) -> ComposeResult:
        yield Static(Text("bwtui", style="bold"), id="hdr-title")
        yield TextPanel(id="hdr-accounts")
        yield TextPanel(id="hdr-poll")
        yield ClockLabel(self._now, id="hdr-clock")

    def show(self, store: MonitorStore, *, source: str | None, demo: bool, period: Period,
             bytes_mode: bool, history_mark: tuple[str, str] | None = None,
             note: str = "", aside: str = "") -> None:
        """Redraw from the store; ``source`` is the running source's label (None: idle);
        ``history_mark`` is the lasting ``(text, status)`` mark of history not being kept;
        ``note`` says a filter is on (``filter: prim · 1 of 18``: it replaces the resource
        count), ``aside`` anything else for a moment (``sorted by out rate, highest first``)."""
        text = Text()
        counts = header_counts(store)
        accounts = len(store.accounts)
        # (0: before the first layout); a filter's note takes its room from the account count
        # and "all fresh", never from the alert counts
        lead = " · ".join(part for part in (note, aside) if part)
        roomy = self.size.width == 0 or self.size.width >= NARROW_HEADER + (len(lead) + 3 if lead else 0)
        if lead:
            text.append(lead, style="bold reverse")
        if not note:  # the filter's note says how many of how many: no resource count to repeat it
            if lead:
                text.append(" · ")
            if roomy:
                text.append(f"{accounts} account{'s' if accounts != 1 else ''} · ")
            text.append(f"{store.resource_count():,} resources")
        for level, count in alert_counts(store).items():  # over a threshold: what to act on first
            text.append(" · ")
            text.append(f"{count:,} {level}", style=ALERT_STYLES[level])
        problems = any(counts[word] for word in PROBLEMS)
        for word, count in counts.items():
            if count and (problems or word != "ok"):
                text.append(" · ")
                text.append(f"{count:,} {word}", style=COUNT_STYLES[word])
        if not problems and counts["ok"] and roomy:  # the data's health, not the traffic's
            text.append(" · all fresh", style=STATUS_STYLES["ok"])
        budget = budget_mark(store, self._now())
        if budget is not None:
            text.append(f" · {budget[0]}", style=budget[1])
        if history_mark is not None:
            text.append(f" · {history_mark[0]}", style=STATUS_STYLES[history_mark[1]])
        # The header leaves its calm colour while anything is failing, stale or rate-limited.
        self.set_class(bool(counts["failing"]), "-alarm")
        self.set_class(not counts["failing"] and bool(counts["stale"] or counts["rate-limited"]), "-warn")
        self.query_one("#hdr-accounts", TextPanel).set_text(text)
        poll = Text()
        if store.crashed:
            poll.append(glyph("error", ascii_only=self.ascii_only) + " polling stopped",
                        style=STATUS_STYLES["error"])
        elif store.paused:
            poll.append(glyph("paused", ascii_only=self.ascii_only) + " PAUSED (p)", style="bold yellow")
        elif source is not None:
            poll.append(glyph("ok", ascii_only=self.ascii_only) + f" {source}", style=STATUS_STYLES["ok"])
        else:
            poll.append("idle", style="dim")
        if demo:
            poll.append("  DEMO", style="bold reverse")
        poll.append(f"  {period.value}", style="dim")
        poll.append(f"  {'B/s' if bytes_mode else 'bit/s'}", style="dim")
        self.query_one("#hdr-poll", TextPanel).set_text(poll)
