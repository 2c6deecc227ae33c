"""The key bar: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer recomposes (every key a new widget, styled and laid out again) whenever the
screen says its bindings may have changed, which it says on every focus change: opening the
filter and ``Esc`` each paid for a new footer showing the same keys. This one compares what
it would show first.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer

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
    """A :class:`~textual.widgets.Footer` that skips rebuilds which would show the same keys."""

    _shown: Shown | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen and self.app.app_focus:
            shown = shown_keys(screen)
            if shown == self._shown and self._bindings_ready:
                return
            self._shown = shown
        super().bindings_changed(screen)
