"""Themes: which ones a terminal gets, that each draws every screen, ``t`` and the palette."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bwtui.themes import MONO, THEMES, next_theme, offered, resolve
from ui_support import FakeClock, fake_app, settle, standard_script


def test_a_16_colour_terminal_gets_the_ansi_themes() -> None:
    assert resolve("default", "16", False) == "ansi"
    assert resolve("light", "16", False) == "ansi-light"
    assert resolve("ansi-light", "256", False) == "ansi-light"
    assert resolve("light", "truecolor", False) == "light"
    assert resolve("nonsense", "256", False) == "default"
    assert offered("16", False) == ("ansi", "ansi-light")


def test_no_color_has_one_theme() -> None:
    assert resolve("light", "truecolor", True) == MONO
    assert offered("256", True) == (MONO,)


def test_the_theme_key_cycles_through_what_the_terminal_offers() -> None:
    assert next_theme("default", "256", False) == "light"
    assert next_theme("ansi-light", "256", False) == "default"
    assert next_theme("default", "16", False) == "ansi"


@pytest.mark.parametrize("theme", [*THEMES, MONO])
async def test_every_theme_draws_every_screen(theme: str) -> None:
    from bwtui.ui.add_account import AddAccountScreen
    from bwtui.ui.help import HelpScreen

    app = fake_app(standard_script(), no_color=theme == MONO, theme=theme)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        assert app.theme == theme
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        app.push_screen(AddAccountScreen(Path("config.toml"), []))
        await pilot.pause()
        assert isinstance(app.screen, AddAccountScreen)


async def test_the_palette_offers_only_bwtui_themes() -> None:
    app = fake_app(standard_script(), colors="256")
    async with app.run_test() as pilot:
        await settle(pilot, app)
        assert set(app.available_themes) == set(THEMES)
    app = fake_app(standard_script(), colors="16")
    async with app.run_test() as pilot:
        await settle(pilot, app)
        assert set(app.available_themes) == {"ansi", "ansi-light"}
        assert app.theme == "ansi"


async def test_shift_t_switches_the_theme_and_says_so() -> None:
    notes: list[Any] = []
    app = fake_app(standard_script())
    async with app.run_test() as pilot:
        await settle(pilot, app)
        app.notify = lambda message, **kw: notes.append(message)  # type: ignore[method-assign]
        await pilot.press("T")
        assert app.theme == "light"
        assert notes == ["Theme: light"]


async def test_first_run_draws_in_mono() -> None:
    from bwtui.ui.app import BwtuiApp
    from bwtui.ui.first_run import FirstRunScreen

    app = BwtuiApp([], first_run=True, demo_factory=lambda: None, clock=FakeClock(), no_color=True)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FirstRunScreen) and app.theme == MONO


@pytest.mark.parametrize(("theme", "palette"), [("default", "DARK_NAMED"), ("light", "LIGHT_NAMED")])
async def test_ansi_colours_map_through_bwtuis_terminal_palettes_without_a_restyle(
        theme: str, palette: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """ANSI colours in drawn text map through bwtui's own palette for the theme's brightness,
    and choosing the theme and the palettes at start restyles nothing: the first stylesheet
    parse already reads the chosen theme (each restyle parsed the whole stylesheet again)."""
    from textual.app import App
    from textual.filter import ANSIToTruecolor

    from bwtui.ui import theming

    refreshes: list[int] = []
    refresh = App.refresh_css
    monkeypatch.setattr(App, "refresh_css", lambda self, *a, **k: (refreshes.append(1), refresh(self, *a, **k))[1])
    app = fake_app(standard_script(), theme=theme)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        assert refreshes == []
        assert app.theme == theme and app.has_class(f"-theme-{theme}")
        assert app.ansi_theme is getattr(theming, palette)
        truecolor = [f for f in app._filters if isinstance(f, ANSIToTruecolor)]
        assert truecolor and all(f._terminal_theme is getattr(theming, palette) for f in truecolor)


async def test_starting_styles_each_header_widget_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen's first resume does not restyle what was styled as it mounted (Textual's
    resume restyled every widget again before the first frame)."""
    from textual.css.stylesheet import Stylesheet

    from bwtui.ui.header import HeaderBar

    styled: list[Any] = []
    apply = Stylesheet.apply
    monkeypatch.setattr(Stylesheet, "apply", lambda self, node, *a, **k: (
        styled.append(node), apply(self, node, *a, **k))[1])
    app = fake_app(standard_script())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        header = app.query_one(HeaderBar)
        parts = [header, *header.query("*")]
        assert len(parts) > 3 and all(styled.count(part) == 1 for part in parts)
