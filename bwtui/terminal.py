"""What the terminal can show, decided from the environment (no Textual, no I/O).

Two questions, answered once at start-up and passed to the monitor:

* **Glyphs**: can the terminal draw Unicode (box drawing, braille, ``●``), or only ASCII? A Linux
  console (``TERM=linux``), a VT100 and a non-UTF-8 locale get ASCII. ``--ascii`` / ``--unicode``
  (or ``ascii = true | false`` in the config) force either; ``ascii = "auto"`` is the default.
* **Colours**: how many colours the terminal shows (``none``, ``16``, ``256``, ``truecolor``),
  following the same rules as Rich (which Textual writes through): ``COLORTERM=truecolor`` or
  ``24bit`` gives truecolor, a ``TERM`` ending in ``256color`` gives 256, ``dumb`` none, any other
  ``TERM`` 16. ``NO_COLOR`` (any value, https://no-color.org) turns colour off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

AsciiChoice = Literal["auto", "on", "off"]
ColorDepth = Literal["none", "16", "256", "truecolor"]

# Terminals whose fonts have no box drawing, braille or bullets (or draw them as garbage).
ASCII_TERMS = ("linux", "vt100", "vt102", "vt220", "vt52", "ansi", "cons25", "dumb")
_UTF8_NAMES = ("utf-8", "utf8")


@dataclass(frozen=True, slots=True)
class TerminalProfile:
    """How to draw on this terminal: ASCII only or Unicode, colour depth, NO_COLOR."""

    ascii_only: bool
    colors: ColorDepth
    no_color: bool
    why_ascii: str = ""

    @property
    def few_colors(self) -> bool:
        """True on a 16-colour (or colourless) terminal: truecolour shades would collapse."""
        return self.colors in ("none", "16")


def _term(env: Mapping[str, str]) -> str:
    return env.get("TERM", "").strip().lower()


def locale_encoding(env: Mapping[str, str]) -> str | None:
    """The character set the locale names (``LC_ALL``, else ``LC_CTYPE``, else ``LANG``).

    ``None`` means the C/POSIX locale (or nothing set), which is ASCII.
    """
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = env.get(name, "").strip()
        if value:
            if value in ("C", "POSIX"):
                return None
            _, dot, rest = value.partition(".")
            return rest.partition("@")[0].lower() if dot else ""
    return None


def ascii_reason(env: Mapping[str, str]) -> str:
    """Why this terminal gets ASCII only (empty: Unicode is fine)."""
    term = _term(env)
    if term in ASCII_TERMS or term.startswith(("linux-", "vt100-", "vt220-")):
        return f"TERM={term}"
    encoding = locale_encoding(env)
    if encoding is None:
        return "the locale is C/POSIX (ASCII)"
    if encoding not in _UTF8_NAMES:
        return f"the locale's character set is {encoding or 'unnamed'}, not UTF-8"
    return ""


def color_depth(env: Mapping[str, str]) -> ColorDepth:
    """The colours the terminal shows, as Rich decides them (NO_COLOR is separate)."""
    if env.get("COLORTERM", "").strip().lower() in ("truecolor", "24bit"):
        return "truecolor"
    term = _term(env)
    if term in ("dumb", "unknown"):
        return "none"
    colours = term.rpartition("-")[-1]
    if colours == "256color":
        return "256"
    if colours in ("truecolor", "direct"):
        return "truecolor"
    return "16"


def detect(env: Mapping[str, str], ascii_choice: AsciiChoice = "auto") -> TerminalProfile:
    """The profile for ``env`` (``os.environ``); ``ascii_choice`` forces ASCII on or off."""
    reason = ascii_reason(env) if ascii_choice == "auto" else ""
    if ascii_choice == "on":
        reason = "asked for"
    ascii_only = ascii_choice == "on" or (ascii_choice == "auto" and bool(reason))
    return TerminalProfile(ascii_only=ascii_only, colors=color_depth(env),
                           no_color="NO_COLOR" in env, why_ascii=reason if ascii_only else "")


def ascii_choice(flag: bool | None, config_value: bool | str) -> AsciiChoice:
    """The command line wins (``--ascii`` True, ``--unicode`` False), then the config."""
    if flag is not None:
        return "on" if flag else "off"
    if config_value is True:
        return "on"
    if config_value is False:
        return "off"
    return "auto"
