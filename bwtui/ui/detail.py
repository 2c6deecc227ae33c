"""The main pane for the selected resource: sparklines, the period chart, usage and errors.

Every part keeps the signature of what it last drew and redraws only when that changes; the
plotext chart is rebuilt only when its series, period, units or size change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static
from textual_plotext import PlotextPlot

from bwtui.hints import fix_hint
from bwtui.model import Period, ResourceState, Series
from bwtui.text import safe_text
from bwtui.session.format import compact_rate, format_bytes, format_rate, format_time, sparkline, stats
from bwtui.session.status import ALERT_MARKS, ALERT_STYLES, STATUS_STYLES, STATUS_WORDS, glyph
from bwtui.session.store import Key, MonitorStore

PERIOD_TITLES = {Period.DAY: "last 24 hours", Period.WEEK: "last 7 days", Period.MONTH: "last 30 days"}
_PERIOD_X = {Period.DAY: (3600.0, "hours ago"), Period.WEEK: (86400.0, "days ago"),
             Period.MONTH: (86400.0, "days ago")}


class TextPanel(Static):
    """A Static that ignores updates whose text and styles are unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signature: str | None = None

    def set_text(self, text: Text) -> bool:
        signature = text.plain + "\x00" + repr(text.spans)
        if signature == self._signature:
            return False
        self._signature = signature
        self.update(text)
        return True


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


class RateChart(PlotextPlot):
    """The selected period's in/out chart with the provider's 95th-percentile lines.

    One plotext figure for the widget's lifetime: new data clears its data, never the figure
    (re-creating figures made memory climb), and the built chart is kept until its data, size
    or theme changes, so a repaint for any other reason does not run plotext again.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._signature: tuple[object, ...] | None = None
        self._rendered: tuple[tuple[object, ...], Any] | None = None

    def render(self) -> Any:
        key = (self._signature, self.size.width, self.size.height, self.app.theme, self.theme)
        if self._rendered is not None and self._rendered[0] == key:
            return self._rendered[1]
        rendered = super().render()
        self._rendered = (key, rendered)
        return rendered

    def show_series(
        self, series: Series | None, period: Period, *, bytes_mode: bool, ascii_only: bool
    ) -> None:
        signature = (id(series), series, period, bytes_mode, ascii_only)
        if signature == self._signature:
            return
        self._signature = signature
        plt = self.plt
        plt.clear_data()
        if series is None or not series.samples:
            self.refresh()
            return
        divisor = 8.0 if bytes_mode else 1.0
        finite = [
            v / divisor
            for s in series.samples
            for v in (s.in_bps, s.out_bps)
            if v is not None
        ]
        top = max(finite, default=0.0)
        scale, unit = _scale(top, "B/s" if bytes_mode else "bit/s")
        x_unit_s, x_label = _PERIOD_X[period]
        newest = series.samples[-1].t
        markers = ("*", "+") if ascii_only else ("braille", "braille")
        for index, (direction, colour) in enumerate((("in", "cyan"), ("out", "magenta"))):
            labelled = False
            for xs, ys in _segments(series, direction, newest, x_unit_s, divisor * scale):
                plt.plot(
                    xs,
                    ys,
                    marker=markers[index],
                    color=colour,
                    label=None if labelled else direction,
                )
                labelled = True
        for value, colour in ((series.in_95th_bps, "cyan"), (series.out_95th_bps, "red")):
            if value is not None:
                plt.hline(value / divisor / scale, colour)
        plt.xlabel(x_label)
        plt.ylabel(unit)
        self.refresh()


def _step_text(step_s: int) -> str:
    return f"{step_s}-s" if step_s < 60 else f"{step_s // 60}-min"


def _scale(top: float, unit: str) -> tuple[float, str]:
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if top >= factor:
            return factor, prefix + unit
    return 1.0, unit


def _segments(
    series: Series, direction: str, newest: float, x_unit_s: float, divisor: float
) -> list[tuple[list[float], list[float]]]:
    """Runs of consecutive non-gap points (gaps break the line, they are not drawn as zero)."""
    runs: list[tuple[list[float], list[float]]] = []
    xs: list[float] = []
    ys: list[float] = []
    for sample in series.samples:
        value = sample.in_bps if direction == "in" else sample.out_bps
        if value is None:
            if xs:
                runs.append((xs, ys))
                xs, ys = [], []
            continue
        xs.append((sample.t - newest) / x_unit_s)
        ys.append(value / divisor)
    if xs:
        runs.append((xs, ys))
    return runs


class ResourceDetail(Vertical):
    """Everything about one resource; call ``show`` to switch, ``refresh_data`` on updates."""

    def __init__(
        self,
        store: MonitorStore,
        *,
        ascii_only: bool = False,
        now: Callable[[], float],
        billing: Callable[[ResourceState], Text | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.ascii_only = ascii_only
        self.now = now
        self.billing = billing
        self.key: Key | None = None
        self.account: str | None = None
        self.period = Period.DAY
        self.bytes_mode = False

    def compose(self) -> ComposeResult:
        yield TextPanel(id="detail-title")
        yield TextPanel(id="detail-alert")
        yield TextPanel(id="detail-error")
        yield TextPanel(id="stats-in", classes="rate-stats")
        yield SparkBar(ascii_only=self.ascii_only, id="spark-in")
        yield TextPanel(id="stats-out", classes="rate-stats")
        yield SparkBar(ascii_only=self.ascii_only, id="spark-out")
        yield TextPanel(id="chart-caption")
        yield RateChart(id="chart")
        yield TextPanel(id="usage")

    def on_mount(self) -> None:
        self.refresh_data()

    def show(self, key: Key | None, account: str | None = None) -> None:
        """Switch to a resource (or an account's summary when ``key`` is None)."""
        self.key = key
        self.account = account if key is None else key[0]
        self.refresh_data()

    def refresh_data(self) -> None:
        """Redraw the parts whose data changed."""
        if not self.is_mounted:
            return
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
        for selector in ("#stats-in", "#spark-in", "#stats-out", "#spark-out", "#chart-caption",
                         "#usage"):
            widget = self.query_one(selector)
            if widget.display != resource_parts:
                widget.display = resource_parts

    def _show_empty(self, message: str) -> None:
        self._set_visible(False)
        self._hide_alert()
        self.query_one("#chart").display = False
        self._panel("detail-title").set_text(Text("No resource selected", style="bold"))
        panel = self._panel("detail-error")
        panel.set_text(Text(message))
        panel.display = True

    def _show_account(self) -> None:
        self._hide_alert()
        view = self.store.accounts.get(self.account) if self.account else None
        if view is None:
            self._show_empty(
                "Select a resource in the sidebar (arrows or j/k), or press o for the overview."
            )
            return
        self._set_visible(False)
        self.query_one("#chart").display = False
        status = self.store.account_status(view.name)
        title = Text()
        title.append(glyph(status, ascii_only=self.ascii_only) + " ", style=STATUS_STYLES[status])
        title.append(safe_text(view.name), style="bold")
        title.append(f"  {view.provider} account · {len(view.resources)} resources")
        self._panel("detail-title").set_text(title)
        body = Text()
        if view.error:
            body.append(f"{(view.error_kind or 'error').replace('_', '-')}: ", style="bold red")
            body.append(safe_text(view.error))
            body.append("\n")
            hint = fix_hint(view.error_kind, view.provider, view.name, view.error)
            if hint:
                body.append(hint + "\n", style="italic")
        if view.rate_limit is not None:
            limit = view.rate_limit
            body.append(
                f"API budget: {_or_dash(limit.remaining)} of {_or_dash(limit.limit)} requests left"
            )
            if limit.reset_s is not None:
                body.append(f", resets {format_time(limit.observed_at + limit.reset_s)}")
            body.append("\n")
        if not body.plain:
            body.append("Select one of its resources to see its traffic.")
        panel = self._panel("detail-error")
        panel.set_text(body)
        panel.display = True

    def _title(self, state: ResourceState) -> None:
        resource = state.resource
        status = self.store.status(resource.key)
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(glyph(status, ascii_only=self.ascii_only) + " ", style=STATUS_STYLES[status])
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
        for direction, values, current in (("in", ins, state.in_bps), ("out", outs, state.out_bps)):
            now_value, avg, peak = stats(values)
            if current is not None:
                now_value = current
            text = Text()
            text.append(f"{direction:<4}", style="bold cyan" if direction == "in" else "bold magenta")
            text.append(f"now {format_rate(now_value, bytes_mode=self.bytes_mode)}", style="bold")
            text.append(f"  avg {compact_rate(avg, bytes_mode=self.bytes_mode)}")
            text.append(f"  max {compact_rate(peak, bytes_mode=self.bytes_mode)}")
            self._panel(f"stats-{direction}").set_text(text)
            self.query_one(f"#spark-{direction}", SparkBar).set_values(values)

    def _chart(self, state: ResourceState) -> None:
        chart = self.query_one("#chart", RateChart)
        series, from_history = self.store.chart_series(state.resource.key, self.period)
        caption = Text()
        caption.append(f"{PERIOD_TITLES[self.period]}", style="bold")
        if series is None:
            if state.resource.provider == "altostrat":
                caption.append("  · totals only: rates come from successive readings", style="dim")
            else:
                caption.append("  · waiting for data…", style="dim")
        else:
            caption.append(f"  · {_step_text(series.step_s)} points", style="dim")
            if from_history:
                caption.append(" from local history", style="dim")
            if series.out_95th_bps is not None or series.in_95th_bps is not None:
                caption.append("  · 95th ")
                caption.append(f"in {compact_rate(series.in_95th_bps, bytes_mode=self.bytes_mode)}",
                               style="cyan")
                caption.append(f" out {compact_rate(series.out_95th_bps, bytes_mode=self.bytes_mode)}",
                               style="red")
        self._panel("chart-caption").set_text(caption)
        has_points = series is not None and bool(series.samples)
        if chart.display != has_points:
            chart.display = has_points
        chart.show_series(series, self.period, bytes_mode=self.bytes_mode,
                          ascii_only=self.ascii_only)

    def _usage(self, state: ResourceState) -> None:
        resource = state.resource
        usage = state.usage
        text = Text()
        text.append("period  ", style="bold")
        if usage is not None:
            text.append("in ")
            text.append(format_bytes(usage.period_in_bytes), style="cyan")
            text.append("  out ")
            text.append(format_bytes(usage.period_out_bytes), style="magenta")
            text.append("\nas of   ", style="bold")
            text.append(format_time(usage.as_of))
            if usage.source:
                text.append(" · ", style="dim")
                text.append(safe_text(usage.source), style="dim")
        else:
            text.append("waiting for the first reading…", style="dim")
        text.append("\nwhere   ", style="bold")
        where = [safe_text(x) for x in (resource.location, resource.hostname) if x]
        text.append(" · ".join(where) if where else "-")
        if self.billing is not None:
            extra = self.billing(state)
            if extra is not None:
                text.append("\n")
                text.append_text(extra)
        self._panel("usage").set_text(text)


def _or_dash(value: object) -> str:
    return "-" if value is None else str(value)
