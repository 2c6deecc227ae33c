"""The main pane for the selected resource: sparklines, the chart area, usage and errors.

Every part keeps the signature of what it last drew and redraws only when that changes. The
chart area (window, time cursor, compare overlay) is :class:`~bwtui.ui.chart_panel.ChartPanel`,
made (and the chart modules imported) the first time a resource is shown here or a chart key
needs it: the overview, a big fleet's first view, never does. The panels themselves (title,
alert, error, rates, usage) are mounted the first time the pane is shown: until then it is one
empty widget, and a start on the overview neither styles nor lays them out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.containers import Horizontal, Vertical
from textual.widget import Widget

from bwtui.model import Period, ResourceState
from bwtui.session.format import format_time, sparkline, stats
from bwtui.session.core import data_step_s
from bwtui.session.detail_text import (
    account_lines,
    account_problem_lines,
    budget_note,
    pool_line,
    pool_of,
    rate_line,
)
from bwtui.session.rows import ResourceRows, data_age_s
from bwtui.session.status import ALERT_MARKS, ALERT_STYLES, STATUS_STYLES, STATUS_WORDS, glyph, marked_glyph
from bwtui.session.store import Key, MonitorStore
from bwtui.session.usage_text import join_lines, usage_lines
from bwtui.text import safe_text
from bwtui.ui.text_panel import TextPanel

if TYPE_CHECKING:
    from bwtui.ui.chart_panel import ChartPanel

__all__ = ["ResourceDetail", "SparkBar", "TextPanel"]


class SparkBar(Widget):
    """A one-line sparkline that shows gaps as gaps and never sees NaN (own renderer)."""

    DEFAULT_CSS = """
    SparkBar { height: 1; width: 1fr; }
    """

    def __init__(self, *, ascii_only: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ascii_only = ascii_only
        self._values: tuple[float | None, ...] = ()

    def set_values(self, values: Sequence[float | None]) -> None:
        new = tuple(values[-512:])
        if new != self._values:
            self._values = new
            self.refresh()

    def render(self) -> Text:
        return Text(sparkline(self._values, self.size.width, ascii_only=self.ascii_only))


class ResourceDetail(Vertical):
    """Everything about one resource; call ``show`` to switch, ``refresh_data`` on updates."""

    def __init__(
        self,
        store: MonitorStore,
        *,
        ascii_only: bool = False,
        now: Callable[[], float],
        billing: Callable[[ResourceState], Text | None] | None = None,
        rows: ResourceRows | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.rows = rows  # the figures views share (the data's age, as the overview shows it)
        self.ascii_only = ascii_only
        self.now = now
        self.billing = billing
        self.key: Key | None = None
        self.account: str | None = None
        self.period = Period.DAY
        self.bytes_mode = False
        self._chart_panel: ChartPanel | None = None
        self._built = False  # the panels are mounted (see _build_parts)

    def _build_parts(self) -> None:
        """Mount the panels, the first time they are needed (each level at once, so they can be
        filled and laid out in the same frame)."""
        if self._built:
            return
        self._built = True
        rates, usage = Vertical(id="rates"), TextPanel(id="usage")
        rates.display = usage.display = False  # shown with a resource (made by a chart key: none yet)
        self.mount(TextPanel(id="detail-title"), TextPanel(id="detail-alert"),
                   TextPanel(id="detail-error"), rates, usage)  # the chart area goes before usage
        for direction in ("in", "out"):
            # On a short terminal the sparkline folds into its stats line (styles/app.tcss).
            row = Horizontal(classes="rate-row")
            rates.mount(row, SparkBar(ascii_only=self.ascii_only, id=f"spark-{direction}",
                                      classes="spark-full"))
            row.mount(TextPanel(id=f"stats-{direction}", classes="rate-stats"),
                      SparkBar(ascii_only=self.ascii_only, id=f"spark-{direction}-inline",
                               classes="spark-inline"))
        for panel in self.query(TextPanel):
            panel.ascii_only = self.ascii_only

    def show(self, key: Key | None, account: str | None = None) -> None:
        """Switch to a resource (or an account's summary when ``key`` is None)."""
        self.key = key
        self.account = account if key is None else key[0]
        self.refresh_data()

    def refresh_data(self) -> None:
        """Redraw the parts whose data changed (nothing while hidden: showing it redraws)."""
        if not self.is_mounted or not self.display:
            return
        self._build_parts()
        if self.key is None:
            self._show_account()
            return
        state = self.store.states.get(self.key)
        if state is None:
            self._show_empty("This resource is no longer listed by its provider.")
            return
        self._set_visible(True)
        self._title(state)
        self._alert(state)
        self._error(state)
        self._rates(state)
        self._chart(state)
        self._usage(state)

    # ----- parts ---------------------------------------------------------------------------
    def _panel(self, widget_id: str) -> TextPanel:
        return self.query_one(f"#{widget_id}", TextPanel)

    def _set_visible(self, resource_parts: bool) -> None:
        for widget in self.query("#rates, #chart-panel, #usage"):
            if widget.display != resource_parts:
                widget.display = resource_parts

    def _glyph(self, status: str) -> str:
        return glyph(status, ascii_only=self.ascii_only)

    def _show_empty(self, message: str | Text) -> None:
        self._set_visible(False)
        self._hide_alert()
        self._panel("detail-title").set_text(Text("No resource selected", style="bold"))
        panel = self._panel("detail-error")
        panel.set_text(message if isinstance(message, Text) else Text(message))
        panel.set_class(isinstance(message, Text), "-accounts")  # failing accounts: room for all
        panel.display = True

    def _show_account(self) -> None:
        self._hide_alert()
        view = self.store.accounts.get(self.account) if self.account else None
        if view is None:
            problems = account_problem_lines(self.store.accounts.values(), glyph_of=self._glyph)
            if problems:  # nothing to select there: say why, and the fix, at once
                self._show_empty(Text.assemble(*problems))
                return
            self._show_empty(
                "Select a resource in the sidebar (arrows or j/k), or press o for the overview."
            )
            return
        self._set_visible(False)
        status = self.store.account_status(view.name)
        title = Text()
        title.append(glyph(status, ascii_only=self.ascii_only) + " ", style=STATUS_STYLES[status])
        title.append(safe_text(view.name), style="bold")
        title.append(f"  {view.provider} account · {len(view.resources)} resources")
        self._panel("detail-title").set_text(title)
        self._panel("detail-error").set_class(False, "-accounts")
        body = Text.assemble(*account_lines(view, now=self.now(), step_s=data_step_s(view.provider)))
        if not body.plain:
            body.append("Select one of its resources to see its traffic.")
        panel = self._panel("detail-error")
        panel.set_text(body)
        panel.display = True

    def _title(self, state: ResourceState) -> None:
        resource = state.resource
        status = self.store.status(resource.key)
        title = Text(no_wrap=True, overflow="ellipsis")
        shape, style = marked_glyph(status, self.store.alert_level(resource.key), ascii_only=self.ascii_only)
        title.append(shape + " ", style=style)
        title.append(safe_text(resource.name), style="bold")
        title.append(f"  {resource.provider} {resource.kind} ", style="dim")
        title.append(safe_text(resource.id), style="dim")
        title.append(" · ", style="dim")
        title.append(safe_text(resource.account), style="dim")
        self._panel("detail-title").set_text(title)

    def _hide_alert(self) -> None:
        panel = self._panel("detail-alert")
        if panel.display:
            panel.display = False

    def _alert(self, state: ResourceState) -> None:
        """The thresholds this resource crossed, and why (reasons are built from data: plain text)."""
        alert = self.store.alerts.get(state.resource.key)
        panel = self._panel("detail-alert")
        if alert is None:
            self._hide_alert()
            return
        text = Text()
        text.append(f"{alert.level.upper()} {ALERT_MARKS[alert.level]}", style=ALERT_STYLES[alert.level])
        text.append("  threshold crossed", style="bold")
        for reason in alert.reasons:
            text.append("\n")
            text.append(safe_text(reason, max_len=200))
        panel.set_text(text)
        for level in ("warning", "critical"):
            panel.set_class(level == alert.level, level)
        if not panel.display:
            panel.display = True

    def _error(self, state: ResourceState) -> None:
        panel = self._panel("detail-error")
        panel.set_class(False, "-accounts")
        error = state.error
        status = self.store.status(state.resource.key)
        if error is None:
            if status == "paused":
                panel.set_text(Text("Polling is paused (p resumes).", style="dim"))
                panel.display = True
            elif panel.display:
                panel.display = False
            return
        text = Text()
        text.append(f"{STATUS_WORDS.get(status, 'error')}: {error.kind.value}", style="bold red")
        if error.status is not None:
            text.append(f" (HTTP {error.status})", style="red")
        text.append("\n")
        text.append(safe_text(error.message, max_len=400))
        if state.updated_at is not None:
            text.append(f"\nShowing the last good data, from {format_time(state.updated_at)}.",
                        style="dim")
        panel.set_text(text)
        if not panel.display:
            panel.display = True

    def _history(self, state: ResourceState) -> tuple[list[float | None], list[float | None]]:
        samples = list(state.history)
        if not samples:
            series = self.store.series.get((state.resource.key, Period.DAY))
            if series is not None:
                samples = list(series.samples)
        return [s.in_bps for s in samples], [s.out_bps for s in samples]

    def _rates(self, state: ResourceState) -> None:
        ins, outs = self._history(state)
        age = data_age_s(self.rows.values(state.resource.key), self.now()) if self.rows else None
        for direction, values, current in (("in", ins, state.in_bps), ("out", outs, state.out_bps)):
            now_value, avg, peak = stats(values)
            if current is not None:
                now_value = current
            text = Text.assemble(*rate_line(direction, now_value, avg, peak,
                                            rate_basis=state.resource.rate_basis, age_s=age,
                                            bytes_mode=self.bytes_mode))
            self._panel(f"stats-{direction}").set_text(text)
            self.query_one(f"#spark-{direction}", SparkBar).set_values(values)
            self.query_one(f"#spark-{direction}-inline", SparkBar).set_values(values)

    @property
    def chart(self) -> ChartPanel:
        """The chart area, made the first time it is asked for (between the rates and usage)."""
        if self._chart_panel is None:
            from bwtui.ui.chart_panel import ChartPanel

            self._build_parts()
            self._chart_panel = ChartPanel(now=self.now, ascii_only=self.ascii_only, id="chart-panel")
            usage = self.query_one("#usage")
            self._chart_panel.display = usage.display  # hidden with it under an account's summary
            self.mount(self._chart_panel, before=usage)
        return self._chart_panel

    def _chart(self, state: ResourceState) -> None:
        self.chart.show(state, bytes_mode=self.bytes_mode)

    def on_chart_panel_changed(self) -> None:
        state = self.store.states.get(self.key) if self.key is not None else None
        if state is not None:
            self._usage(state)

    def _usage(self, state: ResourceState) -> None:
        compact = self.screen.has_class("-short")
        text = Text(no_wrap=True, overflow="ellipsis")  # a long line is cut, never wrapped
        text.append_text(Text.assemble(*join_lines(usage_lines(state, now=self.now(),
                                                               compact=compact))))
        view = self.store.accounts.get(state.resource.account)
        for extra_line in (budget_note(view.budget if view else None, now=self.now(),
                                       step_s=data_step_s(state.resource.provider)),
                           pool_line(pool_of(self.store, state.resource.key))):
            if extra_line:
                text.append("\n")
                text.append_text(Text.assemble(*extra_line))
        if self.billing is not None:
            extra = self.billing(state)
            if extra is not None:
                text.append("\n")
                text.append_text(extra)
        p95 = self._chart_panel.p95 if self._chart_panel is not None else None
        if p95 is not None:  # computed by the chart area, whose modules are loaded by then
            from bwtui.session.p95_lines import p95_lines

            text.append("\n")
            text.append_text(Text.assemble(*p95_lines(p95, bytes_mode=self.bytes_mode)))
        self._panel("usage").set_text(text)

    def on_resize(self) -> None:
        self.refresh_data()  # the usage panel is compact on a short terminal
