"""The key bar: the screen's shown key bindings on one line, drawn by one widget.

It shows what Textual's ``Footer`` shows (the same keys in the same order, each ``key label``
in the theme's ``$footer-*`` colours, disabled keys dimmed, the command palette's key on the
right after a thin rule), but as one line of text rather than a container with a widget per
key. Textual's footer rebuilds all its key widgets (each styled, laid out and mounted) when the
shown keys change, as they do when the filter box takes or gives up focus; this bar redraws one
line, and only when what it shows has changed.

A key that does not fit is left out whole (Textual's footer cut the last one in half); the
mouse wheel over the bar brings the left-out keys in, a key at a time, as it scrolled the
footer. A click on a key presses it (a disabled key rings the bell), as in the footer; hovering
a key highlights it and shows the binding's tooltip. Texts are drawn as given, never as markup.
Binding groups (which bwtui does not use) show as separate keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.app import App
from textual.color import Color
from textual.css.styles import StylesBase
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget


@dataclass(frozen=True, slots=True)
class ShownKey:
    """One key as the bar shows it."""

    key: str  # what a click presses
    display: str  # how the key is written (remapped keys included)
    description: str
    enabled: bool
    tooltip: str


@dataclass(frozen=True, slots=True)
class ShownKeys:
    """Everything the bar shows: the keys from the left, and the palette's key on the right."""

    keys: tuple[ShownKey, ...] = ()
    palette: ShownKey | None = None


def shown_keys(screen: Screen[object], app: App[object]) -> ShownKeys:
    """What Textual's footer would show for ``screen``: each action's first shown binding in
    the screen's order, then the command palette's key (if the app has the palette)."""
    active = screen.active_bindings
    keys: list[ShownKey] = []
    actions: set[str] = set()
    for _node, binding, enabled, tooltip in active.values():
        if binding.show and binding.action not in actions:
            actions.add(binding.action)
            keys.append(ShownKey(binding.key, app.get_key_display(binding), binding.description,
                                 bool(enabled), tooltip or ""))
    palette = None
    found = active.get(app.COMMAND_PALETTE_BINDING) if app.ENABLE_COMMAND_PALETTE else None
    if found is not None:
        _node, binding, enabled, _tooltip = found
        palette = ShownKey(binding.key, app.get_key_display(binding), binding.description,
                           bool(enabled), binding.tooltip or binding.description)
    return ShownKeys(tuple(keys), palette)


def key_width(key: ShownKey) -> int:
    """Cells of a key on the left: `` k label `` (a bare key when it has no label)."""
    if not key.description:
        return cell_len(key.display)
    return cell_len(key.display) + cell_len(key.description) + 3


def palette_width(key: ShownKey) -> int:
    """Cells of the palette's key: the rule, ``k label`` and one cell of padding."""
    label = 1 + cell_len(key.description) if key.description else 0
    return 1 + cell_len(key.display) + label + 1


@dataclass(frozen=True, slots=True)
class Span:
    """Where one shown key sits on the line (``start`` inclusive, ``end`` exclusive)."""

    start: int
    end: int
    key: ShownKey
    palette: bool = False


def arrange(shown: ShownKeys, width: int, skip: int = 0) -> tuple[list[Span], bool]:
    """The keys that fit in ``width`` cells, whole, from the left (after the first ``skip``)
    until the next would not fit, then the palette's key at the right end; and whether some
    were left out at the right."""
    palette = shown.palette if shown.palette is not None and palette_width(shown.palette) <= width else None
    room = width - palette_width(palette) if palette is not None else width
    spans: list[Span] = []
    x = 0
    for key in shown.keys[skip:]:
        if x + key_width(key) > room:
            break
        spans.append(Span(x, x + key_width(key), key))
        x += key_width(key)
    cut = len(spans) < len(shown.keys[skip:])
    if palette is not None:
        spans.append(Span(room, width, palette, palette=True))
    return spans, cut


def cascade(chain: Iterable[StylesBase]) -> Style:
    """The Rich style of the last of ``chain`` (outermost first), each laid over the ones
    before it as Textual lays a widget over its ancestors (``DOMNode.rich_style``):
    backgrounds blend, the last colour wins, text styles add up."""
    background = Color(0, 0, 0, 0)
    color = Color(255, 255, 255, 0)
    style = Style()
    opacity = 1.0
    for styles in chain:
        opacity *= styles.opacity
        text_background = background
        if styles.has_rule("background"):
            tinted = styles.background.tint(styles.background_tint)
            text_background = background + tinted
            background += tinted.multiply_alpha(opacity)
        if styles.has_rule("color"):
            color = styles.color
        style += styles.text_style
        if styles.has_rule("auto_color") and styles.auto_color:
            color = text_background.get_contrast_text(color.a)
    return style + Style.from_color(
        (background + color).rich_color if (background.a or color.a) else None,
        background.rich_color if background.a else None,
    )


class KeyBar(Widget, can_focus=False):
    """The screen's keys on the bottom line (in place of Textual's ``Footer``)."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "footer-key--key",
        "footer-key--description",
        "key-bar--item",
        "key-bar--hover",
        "key-bar--disabled",
        "key-bar--rule",
    }
    # The rules of Textual's Footer and FooterKey, as layers: each key is an item (or a hovered
    # item), maybe disabled, and its key and label are drawn over it.
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-bar--item { background: $footer-item-background; }
        & > .key-bar--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        & > .key-bar--disabled { text-style: dim; }
        & > .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-bar--rule { color: $foreground 20%; }
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._shown = ShownKeys()
        self._update_due = False
        self._hover: ShownKey | None = None
        self._skip = 0  # keys scrolled out at the left
        self._spans: tuple[tuple[ShownKeys, int, int], tuple[list[Span], bool]] | None = None
        self._line: tuple[tuple[object, ...], Strip] | None = None
        self._styles: dict[tuple[str, ...], Style] = {}

    @property
    def shown(self) -> ShownKeys:
        """What the bar shows (nothing until the screen first reports its bindings)."""
        return self._shown

    def key_at(self, x: int) -> ShownKey | None:
        """The key drawn at cell ``x`` (as last drawn), if any."""
        for span in self._arranged()[0]:
            if span.start <= x < span.end:
                return span.key
        return None

    # ----- keeping up with the screen ------------------------------------------------------
    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        # As Textual's footer: while the terminal has no focus the keys stay as they were.
        if not screen.app.app_focus or self._update_due:
            return
        if self.is_attached and screen is self.screen:
            # Read the bindings once the change that announced itself is complete.
            self._update_due = True
            self.call_next(self._update)

    def _update(self) -> None:
        self._update_due = False
        if not self.is_attached:
            return
        shown = shown_keys(self.screen, self.app)
        if shown != self._shown:
            self._shown = shown
            self._skip = 0
            self.refresh()

    def notify_style_update(self) -> None:
        self._styles.clear()
        self._line = None
        super().notify_style_update()

    # ----- drawing ---------------------------------------------------------------------------
    def _arranged(self) -> tuple[list[Span], bool]:
        """The spans of the keys as drawn at the bar's width, and whether some were cut."""
        fitted = (self._shown, self.size.width, self._skip)
        if self._spans is None or self._spans[0] != fitted:
            self._spans = (fitted, arrange(*fitted))
        return self._spans[1]

    def _style(self, *layers: str) -> Style:
        style = self._styles.get(layers)
        if style is None:
            chain: list[StylesBase] = [node.styles for node in reversed(self.ancestors_with_self)]
            chain += [self.get_component_styles(layer) for layer in layers]
            style = self._styles[layers] = cascade(chain)
        return style

    def _blank_style(self, *layers: str) -> Style:
        """Blank cells: the background only (as Textual fills a widget's padding)."""
        return Style(bgcolor=self._style(*layers).bgcolor)

    def _rule_style(self, item: str) -> Style:
        """The palette's rule: a left border in ``key-bar--rule``'s colour on the item."""
        style = self._styles.get(("rule", item))
        if style is None:
            bar = self.background_colors[1]
            rule = bar + self.get_component_styles("key-bar--rule").color
            background = self._style(item).bgcolor
            style = self._styles[("rule", item)] = Style(color=rule.rich_color, bgcolor=background)
        return style

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        signature = (self._shown, width, self._skip, id(self._hover))
        if self._line is not None and self._line[0] == signature:
            return self._line[1]
        spans, _cut = self._arranged()
        segments: list[Segment] = []
        x = 0
        for span in spans:
            if span.start > x:
                segments.append(Segment(" " * (span.start - x), self._blank_style()))
            segments += self._key_segments(span)
            x = span.end
        strip = Strip(segments, x)
        self._line = (signature, strip)
        return strip

    def _key_segments(self, span: Span) -> Sequence[Segment]:
        key = span.key
        item = "key-bar--hover" if key is self._hover else "key-bar--item"
        layers = (item,) if key.enabled else (item, "key-bar--disabled")
        key_style = self._style(*layers, "footer-key--key")
        label_style = self._style(*layers, "footer-key--description")
        if span.palette:  # Textual's compact key: no padding around the key, one before the label
            segments = [Segment("▏", self._rule_style(item)), Segment(key.display, key_style)]
            if key.description:
                segments.append(Segment(f" {key.description}", label_style))
            segments.append(Segment(" ", self._blank_style(item)))
            return segments
        if not key.description:
            return [Segment(key.display, key_style)]
        return [Segment(f" {key.display} ", key_style), Segment(f"{key.description} ", label_style)]

    # ----- the mouse -------------------------------------------------------------------------
    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self.key_at(event.x)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover_over(self.key_at(event.x))

    def on_leave(self, event: events.Leave) -> None:
        self._hover_over(None)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._scroll(1, event)

    def on_mouse_scroll_right(self, event: events.MouseScrollRight) -> None:
        self._scroll(1, event)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._scroll(-1, event)

    def on_mouse_scroll_left(self, event: events.MouseScrollLeft) -> None:
        self._scroll(-1, event)

    def _scroll(self, step: int, event: events.MouseEvent) -> None:
        """Bring in the next left-out key (``step`` 1) or the previous one (-1)."""
        if (step > 0 and self._arranged()[1]) or (step < 0 and self._skip > 0):
            self._skip += step
            self._hover = None
            self.refresh()
            event.stop()
            event.prevent_default()

    def on_resize(self, event: events.Resize) -> None:
        self._skip = 0

    def _hover_over(self, key: ShownKey | None) -> None:
        if key is self._hover:
            return
        self._hover = key
        self.styles.pointer = "default" if key is None else "pointer"
        self.tooltip = (key.tooltip or None) if key is not None else None
        self.refresh()
