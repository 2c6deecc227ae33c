"""The monitor remembers what the user chose (theme, units, view, sort) in the state dir; a
broken or unwritable file never stops it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bwtui.prefs import Prefs, PrefsKeeper, load_prefs, prefs_file, save_prefs
from ui_support import fake_app, settle, standard_script


def test_prefs_live_in_the_state_dir() -> None:
    assert prefs_file().parent.name == "bwtui"
    assert prefs_file().name == "prefs.json"
    assert "state" in str(prefs_file())


def test_round_trip_and_private_file(tmp_path: Path) -> None:
    path = tmp_path / "bwtui" / "prefs.json"
    prefs = Prefs(theme="light", theme_config="default", bytes_mode=True, view="overview", sort="in")
    assert save_prefs(prefs, path) is None
    assert load_prefs(path) == prefs
    assert os.stat(path).st_mode & 0o777 == 0o600


@pytest.mark.parametrize("content", ["", "{not json", "[1, 2]", '{"view": "sideways", "bytes_mode": "yes"}',
                                     '{"theme": 7, "unknown": 1}'])
def test_a_damaged_file_gives_the_defaults(tmp_path: Path, content: str) -> None:
    path = tmp_path / "prefs.json"
    path.write_text(content)
    assert load_prefs(path) == Prefs()
    assert load_prefs(tmp_path / "missing.json") == Prefs()


def test_an_unwritable_state_dir_is_reported_once(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    keeper = PrefsKeeper(Prefs(), blocker / "prefs.json")
    first = keeper.remember(bytes_mode=True)
    assert first is not None and "cannot remember your choices" in first
    assert keeper.remember(bytes_mode=False) is None  # once
    assert keeper.prefs.bytes_mode is False


def test_the_config_theme_wins_once_it_is_edited() -> None:
    chosen = Prefs().with_theme("light", config_theme="ansi")
    assert chosen.theme_for("ansi") == "light"
    assert chosen.theme_for("default") == "default"  # the config was edited since
    assert Prefs().theme_for("ansi") == "ansi"


async def test_choices_made_in_the_monitor_come_back_at_the_next_start(tmp_path: Path) -> None:
    path = tmp_path / "prefs.json"
    app = fake_app(standard_script(), prefs=PrefsKeeper(load_prefs(path), path))
    async with app.run_test() as pilot:
        await settle(pilot, app)
        await pilot.press("T", "b", "o", "s")
    saved = json.loads(path.read_text())
    assert saved == {"theme": "light", "theme_config": "default", "bytes_mode": True,
                     "view": "overview", "sort": "in", "sort_descending": True}

    prefs = load_prefs(path)
    again = fake_app(standard_script(), prefs=PrefsKeeper(prefs, path), theme=prefs.theme_for("default"))
    async with again.run_test() as pilot:
        await settle(pilot, again)
        assert again.theme == "light"
        assert again.bytes_mode is True and again.detail.bytes_mode is True
        assert again.view_mode == "overview"
        assert (again.session.rows.sort_column, again.session.rows.descending) == ("in", True)


async def test_without_a_prefs_file_nothing_is_written(tmp_path: Path) -> None:
    app = fake_app(standard_script())
    async with app.run_test() as pilot:
        await settle(pilot, app)
        await pilot.press("b")
    assert not prefs_file().exists()
