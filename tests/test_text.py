"""Untrusted text is shown literally: one helper for every screen and command."""

from __future__ import annotations

from bwtui.text import printable, safe_text


def test_terminal_controls_become_visible_escapes() -> None:
    assert printable("evil\x1b]0;pwned\x07title\x9b") == "evil\\x1b]0;pwned\\x07title\\x9b"


def test_bidi_overrides_and_zero_width_characters_are_escaped() -> None:
    assert printable("admin\u202egnp.exe") == "admin\\u202egnp.exe"
    assert printable("a\u200bb") == "a\\u200bb"
    assert printable("café ☃ 東京") == "café ☃ 東京"  # printable non-ASCII stays as it is


def test_safe_text_caps_the_length_with_an_ellipsis() -> None:
    assert safe_text("x" * 10, max_len=5) == "xxxx…"
    assert safe_text(None) == ""
    assert safe_text(42) == "42"
