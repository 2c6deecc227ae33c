"""The provider's own graph: `bwtui image` saves a PNG that decodes; the terminal protocol is
chosen without asking the terminal; textual-image is imported without its terminal probe."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from PIL import Image

from bwtui.cli import main
from bwtui.images import has_image
from bwtui.ui.graphics import _terminal_probe_off, choose_protocol


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var, sub in (("XDG_CONFIG_HOME", "cfg"), ("XDG_STATE_HOME", "state"), ("XDG_DATA_HOME", "data")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    return tmp_path


def test_image_command_writes_a_png_that_decodes(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = isolated / "ticket.png"
    code = main(["image", "152080", "--demo", "--period", "week", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0
    picture = Image.open(io.BytesIO(out.read_bytes()))
    picture.load()
    assert picture.format == "PNG" and picture.size == (320, 100)
    assert "1 request to hv-demo" in err and "left this hour" in err  # what it cost, what is left


def test_image_by_name_for_a_custom_window_costs_a_listing_too(isolated: Path, capsys) -> None:
    out = isolated / "window.png"
    code = main(["image", "Backup target", "--demo", "--period", "custom", "--window", "6h..now",
                 "--interface", "private", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0 and out.read_bytes().startswith(b"\x89PNG")
    assert "2 requests to hv-demo" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "custom"], "needs --window"),
        (["--window", "6h..now"], "goes with --period custom"),
        (["--period", "custom", "--window", "later..sooner"], "is not a time"),
    ],
)
def test_image_usage_errors_say_what_to_do(isolated: Path, capsys, args: list[str], message: str) -> None:
    code = main(["image", "152080", "--demo", "-o", str(isolated / "x.png"), *args])
    assert code == 2 and message in capsys.readouterr().err


def test_image_of_an_unknown_service_exits_3_with_the_providers_word(isolated: Path, capsys) -> None:
    code = main(["image", "999", "--demo", "-o", str(isolated / "x.png")])
    assert code == 3 and "not_found" in capsys.readouterr().err
    assert not (isolated / "x.png").exists()


def test_only_providers_that_declare_an_image_have_one() -> None:
    assert has_image("hivelocity")
    assert not has_image("altostrat") and not has_image("no-such-provider")


@pytest.mark.parametrize(
    ("env", "protocol"),
    [
        ({"TERM": "xterm-kitty"}, "kitty"),
        ({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"}, "kitty"),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}, "sixel"),
        ({"TERM": "foot"}, "sixel"),
        ({"TERM": "xterm-256color"}, "halfcell"),
        ({"TERM": "screen-256color", "TMUX": "/tmp/x", "TERM_PROGRAM": "WezTerm"}, "halfcell"),
        ({"TERM": "xterm", "BWTUI_GRAPHICS": "sixel"}, "sixel"),
        ({"TERM": "xterm-kitty", "BWTUI_GRAPHICS": "halfcell"}, "halfcell"),
    ],
)
def test_protocol_comes_from_the_environment(env: dict[str, str], protocol: str) -> None:
    assert choose_protocol(env) == protocol


def test_textual_image_is_imported_without_probing_the_terminal() -> None:
    real = sys.__stdout__
    with _terminal_probe_off():
        assert not sys.__stdout__.isatty()
    assert sys.__stdout__ is real
