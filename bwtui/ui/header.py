"""The one-line header: title, account summary, what the data source is doing, the clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from bwtui.model import Period
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
             note: str = "") -> None:
        """Redraw from the store; ``source`` is the running source's label (None: idle);
        ``history_mark`` is the lasting ``(text, status)`` mark of history not being kept;
        ``note`` says a filter is on (``filter: prim · 1 of 18``)."""
        accounts, resources, failing = store.summary()
        text = Text()
        if note:
            text.append(note, style="bold reverse")
            text.append(" · ")
        text.append(f"{accounts} account{'s' if accounts != 1 else ''} · {resources} resources")
        if failing:
            text.append(f" · {failing} failing", style=STATUS_STYLES["error"])
        if any(v.rate_limit and v.rate_limit.remaining == 0 for v in store.accounts.values()):
            text.append(" · rate-limited", style=STATUS_STYLES["rate_limited"])
        if history_mark is not None:
            text.append(f" · {history_mark[0]}", style=STATUS_STYLES[history_mark[1]])
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
