"""The monitor's footer shows what Textual's own Footer shows, and styles each key once."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from bwtui.ui.footer import KeyFooter


def _app(footer: type[Footer]) -> App[None]:
    class Keys(App[None]):
        BINDINGS = [Binding("q", "quit", "Quit"), Binding("o", "noop", "Overview"),
                    Binding("x", "noop", "Hidden", show=False)]

        def compose(self) -> ComposeResult:
            yield footer()

    return Keys()


async def _keys(footer: type[Footer]) -> list[tuple[str, str, bool, bool]]:
    app = _app(footer)
    async with app.run_test(size=(80, 5)) as pilot:
        await pilot.pause()
        return [(key.key, key.description, key.compact, key.has_class("-compact"))
                for key in app.query(FooterKey)]


async def test_the_keys_look_as_in_textuals_footer() -> None:
    ours = await _keys(KeyFooter)
    assert ours == await _keys(Footer)
    assert [key for key, *_ in ours] == ["q", "o", "ctrl+p"]


async def test_mounting_the_footer_restyles_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each flip of a key's ``-compact`` class restyles the key (and re-applies the stylesheet)."""
    flips: list[Any] = []
    original = FooterKey._watch_compact

    def watched(self: FooterKey, compact: bool) -> None:
        before = self.has_class("-compact")
        original(self, compact)
        if self.has_class("-compact") != before:
            flips.append((self.key, compact))

    monkeypatch.setattr(FooterKey, "_watch_compact", watched)
    await _keys(Footer)
    assert flips  # Textual's own footer flips each key's class at mount (the cost avoided)
    flips.clear()
    await _keys(KeyFooter)
    assert flips == []
