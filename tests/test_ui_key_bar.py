"""The key bar shows the keys Textual's Footer shows, as one widget: the same line, cell for cell;
whole keys only when the line is short; the filter box's keys while it has focus; clicks press
keys; remapped keys show their new key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.segment import Segment
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input

from bwtui.ui.key_bar import KeyBar
from bwtui.ui.theme_defs import THEME_DEFS
from ui_support import FakeClock, fake_app, screen_text, settle, standard_script

MONITOR_KEYS = ("/ Filter  q Quit  ? Help  o Overview  r Refresh  p Pause  b Bits/Bytes  1 Day  "
                "2 Week  3 Period")


class Keys(App[None]):
    """Bindings of every kind the footer draws: shown, hidden, disabled (dimmed), two keys for
    one action (the first shown), a control key, a key with its own display, untrusted text."""

    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("o", "pressed('o')", "Overview"),
        Binding("x", "pressed('x')", "Hidden", show=False),
        Binding("l", "locked", "Locked"),
        Binding("ctrl+r", "pressed('r')", "Refresh"),
        Binding("f5", "pressed('r')", "Refresh again"),
        Binding("question_mark", "pressed('?')", "[b]Help[/b]", key_display="?!"),
    ]

    def __init__(self, bar: type[Footer] | type[KeyBar], *, theme: str = "default") -> None:
        super().__init__()
        self.register_theme(THEME_DEFS[theme])
        self.bar = bar
        self.pressed: list[str] = []
        self.bells = 0
        self.theme = theme

    def compose(self) -> ComposeResult:
        yield Input()
        yield self.bar()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "locked" else True

    def action_pressed(self, key: str) -> None:
        self.pressed.append(key)

    def bell(self) -> None:
        self.bells += 1


def bottom_line(app: App[Any]) -> list[Segment]:
    """The screen's last line as composed (text and style of each cell run)."""
    return list(app.screen._compositor.render_strips()[-1])


def cells(segments: list[Segment]) -> list[tuple[str, str]]:
    return [(char, str(segment.style)) for segment in segments for char in segment.text]


def bottom_text(app: App[Any]) -> str:
    return screen_text(app).splitlines()[-1]


async def _line(bar: type[Footer] | type[KeyBar], theme: str, width: int, focus_input: bool) -> list[tuple[str, str]]:
    app = Keys(bar, theme=theme)
    async with app.run_test(size=(width, 5)) as pilot:
        if not focus_input:
            app.set_focus(None)
        await pilot.pause()
        await pilot.pause()
        return cells(bottom_line(app))


@pytest.mark.parametrize("theme", sorted(THEME_DEFS))
@pytest.mark.parametrize("focus_input", [False, True], ids=["keys", "input focused"])
async def test_the_line_is_textuals_footer_cell_for_cell(theme: str, focus_input: bool) -> None:
    ours = await _line(KeyBar, theme, 100, focus_input)
    assert ours == await _line(Footer, theme, 100, focus_input)
    text = "".join(char for char, _ in ours)
    if focus_input:  # the letters are the box's: only the control keys and the palette are left
        assert text.split() == ["^r", "Refresh", "▏^p", "palette"]
    else:
        assert text.split() == ["q", "Quit", "o", "Overview", "l", "Locked", "^r", "Refresh",
                                "?!", "[b]Help[/b]", "▏^p", "palette"]
        locked = text.index(" l ")
        assert all("dim" in style for _, style in ours[locked:locked + len(" l Locked ")])
        assert not any("dim" in style for _, style in ours[:locked])


async def test_after_a_theme_change_the_line_is_the_new_themes() -> None:
    app = Keys(KeyBar)
    async with app.run_test(size=(100, 5)) as pilot:
        app.set_focus(None)
        await pilot.pause()
        before = cells(bottom_line(app))
        app.register_theme(THEME_DEFS["light"])
        app.theme = "light"
        await pilot.pause()
        await pilot.pause()
        after = cells(bottom_line(app))
    assert after != before
    assert after == await _line(Footer, "light", 100, focus_input=False)


async def test_a_key_that_does_not_fit_is_left_out_whole() -> None:
    app = Keys(KeyBar)
    async with app.run_test(size=(40, 5)) as pilot:
        app.set_focus(None)
        await pilot.pause()
        await pilot.pause()
        line = bottom_text(app)
        assert line == " q Quit  o Overview         ▏^p palette "  # " l Locked " needs 30
    app = Keys(KeyBar)
    async with app.run_test(size=(11, 5)) as pilot:  # no room for the palette's key (12 cells)
        app.set_focus(None)
        await pilot.pause()
        await pilot.pause()
        assert bottom_text(app) == " q Quit    "


async def test_the_mouse_wheel_brings_in_the_keys_left_out() -> None:
    app = Keys(KeyBar)
    async with app.run_test(size=(40, 5)) as pilot:
        app.set_focus(None)
        await pilot.pause()
        bar = app.query_one(KeyBar)

        async def wheel(event: type[events.MouseEvent]) -> list[str]:
            bar.post_message(event(bar, 1, 0, 0, 0, 0, False, False, False))
            await pilot.pause()
            return bottom_text(app).split()[:-2]  # the palette's key stays

        assert await wheel(events.MouseScrollDown) == ["o", "Overview", "l", "Locked"]
        assert await wheel(events.MouseScrollRight) == ["l", "Locked", "^r", "Refresh"]
        assert await wheel(events.MouseScrollDown) == ["^r", "Refresh", "?!", "[b]Help[/b]"]
        assert await wheel(events.MouseScrollDown) == ["^r", "Refresh", "?!", "[b]Help[/b]"]  # the last
        await pilot.click(KeyBar, offset=(2, 0))
        assert app.pressed == ["r"]
        assert await wheel(events.MouseScrollUp) == ["l", "Locked", "^r", "Refresh"]
        await wheel(events.MouseScrollLeft)
        await wheel(events.MouseScrollUp)
        assert await wheel(events.MouseScrollUp) == ["q", "Quit", "o", "Overview"]


async def test_a_click_presses_the_key_under_it_and_a_disabled_key_rings() -> None:
    app = Keys(KeyBar)
    async with app.run_test(size=(100, 5)) as pilot:
        app.set_focus(None)
        await pilot.pause()
        await pilot.pause()
        line = bottom_text(app)
        await pilot.click(KeyBar, offset=(line.index("Overview"), 0))
        await pilot.click(KeyBar, offset=(line.index(" ^r "), 0))
        await pilot.click(KeyBar, offset=(line.index("Help"), 0))
        await pilot.pause()
        assert app.pressed == ["o", "r", "?"]
        await pilot.click(KeyBar, offset=(line.index("Locked"), 0))
        await pilot.click(KeyBar, offset=(line.index("▏") - 2, 0))  # the gap: nothing
        await pilot.pause()
        assert app.pressed == ["o", "r", "?"] and app.bells == 1
        await pilot.click(KeyBar, offset=(line.index("palette"), 0))
        await pilot.pause()
        from textual.command import CommandPalette

        assert isinstance(app.screen, CommandPalette)


async def test_hovering_a_key_highlights_it_and_gives_its_tooltip() -> None:
    app = Keys(KeyBar)
    async with app.run_test(size=(100, 5)) as pilot:
        app.set_focus(None)
        await pilot.pause()
        await pilot.pause()
        before = cells(bottom_line(app))
        line = bottom_text(app)
        bar = app.query_one(KeyBar)
        await pilot.hover(KeyBar, offset=(line.index("palette"), 0))
        await pilot.pause()
        after = cells(bottom_line(app))
        changed = [x for x, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
        assert changed and min(changed) >= line.index("▏") and [c for c, _ in after] == [c for c, _ in before]
        assert bar.tooltip == "Open the command palette"
        await pilot.hover(KeyBar, offset=(line.index("Quit"), 0))
        await pilot.pause()
        assert bar.tooltip is None
        changed = [x for x, (old, new) in enumerate(zip(before, cells(bottom_line(app)), strict=True)) if old != new]
        assert changed and max(changed) < line.index(" o ")


# ----- the monitor's screens ----------------------------------------------------------------------


async def test_the_monitor_shows_its_keys_the_filter_boxs_then_its_own_again() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        bar = app.query_one(KeyBar)
        assert bottom_text(app).startswith(f" {MONITOR_KEYS} ")
        assert bottom_text(app).endswith("▏^p palette ")
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.focused, Input)
        assert bottom_text(app).split() == ["▏^p", "palette"]  # the letters go to the box
        await pilot.press("m")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.focused, Input)
        assert bottom_text(app).startswith(f" {MONITOR_KEYS} ")
        assert app.query_one(KeyBar) is bar and not bar.children  # redrawn, not rebuilt


async def test_a_focus_change_that_keeps_the_keys_does_not_redraw_the_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        bar = app.query_one(KeyBar)
        shown = bar.shown
        redraws: list[object] = []
        original = KeyBar.refresh
        monkeypatch.setattr(KeyBar, "refresh", lambda self, *a, **k: (redraws.append(a), original(self, *a, **k))[1])
        app.screen.refresh_bindings()  # what every focus change announces
        await pilot.pause()
        assert bar.shown == shown and redraws == []


async def test_a_click_on_the_monitors_bar_runs_the_action() -> None:
    app = fake_app(standard_script())
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        bytes_mode = app.bytes_mode
        await pilot.click(KeyBar, offset=(bottom_text(app).index("Bits/Bytes"), 0))
        await pilot.pause()
        assert app.bytes_mode is not bytes_mode


async def test_a_remapped_key_shows_its_new_key_and_a_click_presses_it() -> None:
    app = fake_app(standard_script(), keymap={"units": "u", "command-palette": "ctrl+k"})
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        line = bottom_text(app)
        assert " u Bits/Bytes " in line and " b " not in line and line.endswith("▏^k palette ")
        await pilot.click(KeyBar, offset=(line.index("Bits/Bytes"), 0))
        await pilot.pause()
        assert app.bytes_mode is True


async def test_the_first_run_screen_shows_only_its_own_keys() -> None:
    """Not the monitor's (refresh, pause, periods...): nothing for them to act on there."""
    from bwtui.ui.app import BwtuiApp

    app = BwtuiApp([], first_run=True, demo_factory=lambda: None, clock=FakeClock())
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        await pilot.pause()
        line = bottom_text(app)
        assert line.startswith(" d Start the demo  a Add account  q Quit  ? Help  ")
        assert line.endswith("▏^p palette ")
        assert line.split("▏")[0].split() == "d Start the demo a Add account q Quit ? Help".split()


async def test_the_add_account_form_shows_save_and_cancel(tmp_path: Path) -> None:
    from bwtui.ui.add_account import AddAccountScreen

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(AddAccountScreen(tmp_path / "config.toml", []))

    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert bottom_text(app).split() == ["^s", "Check", "and", "save", "esc", "Cancel"]
        await pilot.press("tab")
        await pilot.pause()
        assert bottom_text(app).split() == ["^s", "Check", "and", "save", "esc", "Cancel"]
