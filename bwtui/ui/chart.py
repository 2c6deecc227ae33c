"""The rate chart widget: a textual-plotext plot of a :class:`~bwtui.charts.spec.ChartSpec`.

Drawing is :func:`bwtui.ui.chart_plot.draw_chart` (plotext); this widget maps the roles it
tags to styles. Every role is a component class styled with theme variables, so the chart
follows the theme (``textual-dark``, ``ansi-dark``, ``ansi-light``...) and NO_COLOR like the rest
of the screen. plotext draws only when the spec, the size or the theme changes; a repaint for
any other reason reuses the drawn text. A click on the plot posts :class:`RateChart.Clicked`
with the time under the mouse.

plotext (about 4 MB and 30 ms to import) is imported when the first chart is drawn, not when the
monitor starts: a screen that shows no chart (the overview, a fleet) never loads it. The widget
is therefore a plain ``Widget`` holding a textual-plotext ``Plot`` figure, not textual-plotext's
``PlotextPlot`` widget, whose only other work (registering an "auto" plotext theme) the drawing
replaces with its own colours.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.style import Style
from rich.text import Span, Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from bwtui.charts.spec import ChartSpec
from bwtui.ui.chart_plot import ROLES, ChartPicture, draw_chart, role_style


class RateChart(Widget):
    """In/out rates over a window, with levels, a compare overlay and a time cursor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {role_style(role) for role in ROLES}

    DEFAULT_CSS = """
    RateChart { width: 1fr; height: 1fr; min-height: 5; }
    RateChart > .chart--in { color: $text-primary; }
    RateChart > .chart--out { color: $text-accent; text-style: bold; }
    RateChart > .chart--in-cmp { color: $text-primary; text-style: dim; }
    RateChart > .chart--out-cmp { color: $text-accent; text-style: dim; }
    RateChart > .chart--p95 { color: $text-error; }
    RateChart > .chart--commit { color: $text-warning; }
    RateChart > .chart--cursor { color: $foreground; text-style: bold; }
    RateChart > .chart--axis { color: $foreground; }
    RateChart > .chart--label { color: $foreground; }
    RateChart > .chart--unit { color: $foreground; text-style: bold; }
    """

    class Clicked(Message):
        """The user clicked the plot at time ``t``."""

        def __init__(self, t: float) -> None:
            super().__init__()
            self.t = t

    def __init__(self, *, ascii_only: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ascii_only = ascii_only
        self._spec: ChartSpec | None = None
        self._picture: ChartPicture | None = None
        self._rendered: tuple[tuple[object, ...], Text] | None = None
        self._plot: Any = None

    @property
    def plt(self) -> Any:
        """The plotext figure the chart is drawn on (textual-plotext's ``Plot``), made on first use."""
        if self._plot is None:
            from textual_plotext.plot import Plot  # imports plotext: only once a chart is drawn

            self._plot = Plot()
        return self._plot

    @property
    def picture(self) -> ChartPicture | None:
        """What was drawn last (None before the first draw)."""
        return self._picture

    def show(self, spec: ChartSpec | None) -> None:
        """Draw ``spec`` (None: an empty chart); nothing happens when it is unchanged."""
        if spec == self._spec:
            return
        self._spec = spec
        self.refresh()

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        key = (id(self._spec), width, height, self.app.theme, self.ascii_only)
        if self._rendered is not None and self._rendered[0] == key:
            return self._rendered[1]
        self._picture = None if self._spec is None else draw_chart(
            self.plt, self._spec, width, height, ascii_only=self.ascii_only)
        text = Text() if self._picture is None else self._styled(self._picture.text)
        self._rendered = (key, text)
        return text

    def _styled(self, drawn: Text) -> Text:
        styles: dict[str, Style] = {
            role_style(role): self.get_component_rich_style(role_style(role), partial=True) for role in ROLES
        }
        text = drawn.copy()
        text.spans = [Span(span.start, span.end, styles.get(str(span.style), Style())) for span in drawn.spans]
        return text

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._rendered = None

    def on_click(self, event: events.Click) -> None:
        if self._picture is None:
            return
        t = self._picture.area.time_at(event.x)
        if t is not None:
            event.stop()
            self.post_message(self.Clicked(t))
