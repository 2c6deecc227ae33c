"""The key bar: Textual's Footer, rebuilt only when the keys it shows change, each key styled once.

Textual's Footer recomposes (every key a new widget, styled and laid out again) whenever the
screen says its bindings may have changed, which it says on every focus change: opening the
filter and ``Esc`` each paid for a new footer showing the same keys. This one compares what
it would show first.

Textual's ``FooterKey`` also starts compact (its reactive's default) and is data-bound to the
footer's ``compact`` (False): mounting a key added the ``-compact`` class, restyling the key,
and the binding then removed it, restyling it again (at start-up about a tenth of the work
before the first full frame). Here each key is given its final ``compact`` value and class
before it is mounted, so the mount styles it once and neither the watcher nor the binding
changes anything. What the footer shows is unchanged.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

Shown = tuple[tuple[str, str, str, bool, str], ...]


def shown_keys(screen: Screen[object]) -> Shown:
    """What the footer shows for ``screen``: each shown binding's key, label, action, whether
    it is enabled and its tooltip, in order (the palette key included)."""
    return tuple(
        (binding.key, binding.description, binding.action, bool(enabled), tooltip or "")
        for (_node, binding, enabled, tooltip) in screen.active_bindings.values()
        if binding.show or binding.action == "command_palette"
    )


class KeyFooter(Footer):
    """A :class:`~textual.widgets.Footer` that skips rebuilds which would show the same keys,
    and whose keys start with their final compact style."""

    _shown: Shown | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen and self.app.app_focus:
            shown = shown_keys(screen)
            if shown == self._shown and self._bindings_ready:
                return
            self._shown = shown
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # The command-palette key is not bound to the footer: it keeps FooterKey's default.
                compact = True if widget.has_class("-command-palette") else self.compact
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget
