"""The rate chart widget: draws a :class:`~bwtui.charts.render.ChartSpec` in the theme's colours.

Drawing is :func:`bwtui.charts.render.render_chart` (plain Python); this widget only maps its
roles to styles. Every role is a component class styled with theme variables, so the chart
follows the theme (``textual-dark``, ``ansi-dark``, ``ansi-light``...) and NO_COLOR like the rest
of the screen. The drawn picture is kept until the spec, the size or the theme changes, so a
repaint for any other reason costs nothing. A click on the plot posts :class:`RateChart.Clicked`
with the time under the mouse.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from bwtui.charts.render import ChartPicture, ChartSpec, render_chart

ROLES = ("in", "out", "in_cmp", "out_cmp", "p95", "commit", "cursor", "cursor_hit", "axis", "label",
         "unit", "blank")


class RateChart(Widget):
    """In/out rates over a window, with levels, a compare overlay and a time cursor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"chart--{role.replace('_', '-')}" for role in ROLES}

    DEFAULT_CSS = """
    RateChart { height: 1fr; min-height: 5; }
    RateChart > .chart--in { color: $text-primary; }
    RateChart > .chart--out { color: $text-accent; text-style: bold; }
    RateChart > .chart--in-cmp { color: $text-primary; text-style: dim; }
    RateChart > .chart--out-cmp { color: $text-accent; text-style: dim; }
    RateChart > .chart--p95 { color: $text-error; }
    RateChart > .chart--commit { color: $text-warning; }
    RateChart > .chart--cursor { color: $foreground; text-style: bold; }
    RateChart > .chart--cursor-hit { text-style: bold reverse; }
    RateChart > .chart--axis { color: $foreground; }
    RateChart > .chart--label { color: $foreground; }
    RateChart > .chart--unit { color: $foreground; text-style: bold; }
    RateChart > .chart--blank { }
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
        if self._spec is None or width <= 4 or height <= 2:
            self._picture = None
            text = Text()
        else:
            self._picture = render_chart(self._spec, width, height, ascii_only=self.ascii_only)
            text = self._styled(self._picture)
        self._rendered = (key, text)
        return text

    def _styled(self, picture: ChartPicture) -> Text:
        styles: dict[str, Style] = {
            role: self.get_component_rich_style(f"chart--{role.replace('_', '-')}", partial=True)
            for role in ROLES
        }
        text = Text(no_wrap=True, overflow="crop")
        for index, row in enumerate(picture.rows):
            if index:
                text.append("\n")
            for chunk, role in row:
                text.append(chunk, styles.get(role))
        return text

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._rendered = None

    def on_click(self, event: events.Click) -> None:
        if self._picture is None:
            return
        t = self._picture.time_at(event.x)
        if t is not None:
            event.stop()
            self.post_message(self.Clicked(t))
