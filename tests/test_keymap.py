"""Keys can be remapped: every binding has an id, the config's [keys] table remaps it through
App.set_keymap, and a bad id or key name is a config error with the file and line."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import string

import pytest
from textual.binding import Binding
from textual.keys import Keys, _character_to_key

import bwtui.ui
from bwtui.config import ConfigError, parse_config_text
from bwtui.keymap import BINDING_IDS, CHARACTER_NAMES, NAMED_KEYS, key_problem
from ui_support import fake_app, screen_text, settle, standard_script


def _ui_bindings() -> list[tuple[str, Binding]]:
    found = []
    for info in pkgutil.iter_modules(bwtui.ui.__path__):
        module = importlib.import_module(f"bwtui.ui.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            for binding in cls.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding):
                    found.append((f"{cls.__name__}", binding))
    return found


def test_every_binding_has_a_registered_id_and_its_documented_default() -> None:
    bindings = _ui_bindings()
    assert len(bindings) >= 30
    for owner, binding in bindings:
        assert binding.id, f"{owner}: {binding.key} -> {binding.action} has no id"
        assert binding.id in BINDING_IDS, f"{owner}: id {binding.id!r} missing from bwtui.keymap"
        assert BINDING_IDS[binding.id][0] == binding.key, binding.id
    ids = [binding.id for _, binding in bindings]
    assert len(ids) == len(set(ids)), "two bindings share an id"


def test_the_key_names_bwtui_accepts_are_textuals() -> None:
    textual_names = {key.value for key in Keys} | {_character_to_key(c) for c in string.printable if c.strip()}
    assert CHARACTER_NAMES <= textual_names
    assert NAMED_KEYS - {"return", "newline", "at", "space", "enter"} <= textual_names | {f"f{n}" for n in range(1, 25)}
    for name in ("q", "Q", "?", "/", "question_mark", "slash", "ctrl+q", "shift+tab", "f12", "pageup",
                 "ctrl+shift+left", "alt+enter", "escape", "comma"):
        assert key_problem(name) is None, name
    for name in ("", "qq", "ctrl+", "crtl+q", "pgup", "question mark", "f25", " "):
        assert key_problem(name) is not None, name


def test_keys_table_parses_strings_lists_and_commas() -> None:
    config = parse_config_text('[keys]\nquit = "ctrl+q"\nhelp = ["h", "question_mark"]\nrefresh = "r, f5"\n')
    assert dict(config.keys) == {"quit": "ctrl+q", "help": "h,question_mark", "refresh": "r,f5"}


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ('theme = "ansi"\n\n[keys]\nquitt = "q"\n', 4, "unknown key binding id 'quitt'"),
        ('[keys]\nquit = "q"\nhelp = "ctrl+hlp"\n', 3, "'ctrl+hlp' is not a key name"),
        ('[keys]\nrefresh = "crtl+r"\n', 2, "'crtl' in 'crtl+r' is not a modifier"),
        ('[keys]\nquit = 7\n', 2, "must be a key name or a list"),
        ('[keys]\nquit = []\n', 2, "must be a key name or a list"),
    ],
)
def test_a_bad_key_is_a_config_error_with_file_and_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config_text(text, "/home/ops/.config/bwtui/config.toml")
    error = caught.value
    assert error.line == line and problem in str(error)
    assert str(error).startswith(f"/home/ops/.config/bwtui/config.toml:{line}: ")
    assert "Fix:" in str(error)


async def test_a_remapped_key_runs_the_action_and_the_old_one_does_not() -> None:
    app = fake_app(standard_script(), keymap={"units": "u", "help": "h", "command-palette": "ctrl+k"})
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("b")
        assert app.bytes_mode is False
        await pilot.press("u")
        assert app.bytes_mode is True
        assert "u Bits/Bytes" in screen_text(app)  # the footer shows the new key
        await pilot.press("h")
        from bwtui.ui.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        await pilot.press("ctrl+k")
        await pilot.pause()
        from textual.command import CommandPalette

        assert isinstance(app.screen, CommandPalette)
