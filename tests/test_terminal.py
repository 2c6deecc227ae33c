"""What the terminal can show: ASCII on a Linux console, a VT100 or a non-UTF-8 locale (with a way
to force either), colour depth as Rich decides it, NO_COLOR; and ASCII that keeps every cell."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from bwtui.ascii_text import to_ascii
from bwtui.terminal import ascii_choice, color_depth, detect

UTF8 = {"LANG": "en_US.UTF-8"}


@pytest.mark.parametrize(
    ("env", "ascii_only"),
    [
        ({"TERM": "xterm-256color", **UTF8}, False),
        ({"TERM": "linux", **UTF8}, True),
        ({"TERM": "vt100", **UTF8}, True),
        ({"TERM": "xterm", "LANG": "C"}, True),
        ({"TERM": "xterm"}, True),
        ({"TERM": "xterm", "LANG": "de_DE.ISO-8859-1"}, True),
        ({"TERM": "xterm", "LANG": "C", "LC_ALL": "C.UTF-8"}, False),
        ({"TERM": "xterm", "LANG": "C.UTF-8", "LC_CTYPE": "POSIX"}, True),
        ({"TERM": "screen", "LANG": "fr_FR.utf8@euro"}, False),
    ],
)
def test_ascii_is_chosen_for_consoles_and_non_utf8_locales(env: dict[str, str], ascii_only: bool) -> None:
    profile = detect(env)
    assert profile.ascii_only is ascii_only
    assert bool(profile.why_ascii) is ascii_only


def test_either_way_can_be_forced() -> None:
    assert detect({"TERM": "linux"}, ascii_choice(False, "auto")).ascii_only is False
    assert detect({"TERM": "xterm-256color", **UTF8}, ascii_choice(True, "auto")).ascii_only is True
    assert detect({"TERM": "linux"}, ascii_choice(None, False)).ascii_only is False
    assert detect({"TERM": "xterm-256color", **UTF8}, ascii_choice(None, True)).ascii_only is True
    # the command line wins over the config
    assert ascii_choice(False, True) == "off" and ascii_choice(None, "auto") == "auto"


@pytest.mark.parametrize(
    ("env", "depth"),
    [
        ({"TERM": "xterm"}, "16"),
        ({"TERM": "linux"}, "16"),
        ({"TERM": "xterm-256color"}, "256"),
        ({"TERM": "tmux-256color", "COLORTERM": "truecolor"}, "truecolor"),
        ({"TERM": "dumb"}, "none"),
        ({}, "16"),
    ],
)
def test_colour_depth_follows_term_and_colorterm(env: dict[str, str], depth: str) -> None:
    assert color_depth(env) == depth


def test_no_color_is_seen() -> None:
    assert detect({"TERM": "xterm-256color", "NO_COLOR": ""}).no_color is True
    assert detect({"TERM": "xterm-256color"}).no_color is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("├─ ● web-01 …", "+- o web-01 ~"),
        ("┌──┐│└┘╭╮╰╯", "+--+|++++++"),
        ("▁▂▃▄▅▆▇█", "_.-:=+*#"),
        ("▕▔▏", "|-|"),
        ("⠀⠁⣿⢕", " .#:"),
        ("Zürich · 3×", "Zurich . 3x"),
        ("in ⇄ out → ok", "in = out > ok"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_ascii_spelling(text: str, expected: str) -> None:
    assert to_ascii(text) == expected


@pytest.mark.parametrize("text", ["東京 edge", "e\u0301t\u00e9", "🔥 hot", "a\u200bb", "名前[b]x[/b]"])
def test_ascii_keeps_every_cell(text: str) -> None:
    out = to_ascii(text)
    assert out.isascii()
    assert len(out) == cell_len(text)
