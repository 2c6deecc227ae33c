"""Remapping keys: every binding's id, and checking key names (no Textual).

The config's ``[keys]`` table maps a binding id to the keys that should run it instead of its
default (``quit = "ctrl+q"``, ``help = ["question_mark", "h"]`` or ``"?,h"``); the monitor hands
it to Textual's ``App.set_keymap``. An unknown id or a key name Textual would not recognise is
a config error with the file and line, so a typo never silently leaves a key unbound.

Key names are Textual's: a printable character (``q``, ``Q``, ``?``, ``/``), a named key
(``enter``, ``escape``, ``f1``, ``pageup``, ``question_mark``...), optionally after modifiers
(``ctrl+``, ``shift+``, ``alt+``...). Several keys are separated by commas.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

# id -> (default keys, what it does). A test checks this against every Binding in bwtui/ui.
BINDING_IDS: dict[str, tuple[str, str]] = {
    "quit": ("q", "quit"),
    "help": ("question_mark", "help"),
    "help-f1": ("f1", "help"),
    "overview": ("o", "overview of every resource / detail of one"),
    "add-account": ("a", "add an account"),
    "refresh": ("r", "refresh the selected resource"),
    "refresh-all": ("R", "refresh everything"),
    "pause": ("p", "pause / resume polling"),
    "units": ("b", "bits / bytes"),
    "period-day": ("1", "chart: day"),
    "period-week": ("2", "chart: week"),
    "period-month": ("3", "chart: billing period"),
    "filter": ("slash", "filter by name"),
    "sort": ("s", "overview: next sort"),
    "cursor-left": ("left", "chart: earlier"),
    "cursor-right": ("right", "chart: later"),
    "cursor-left-h": ("h", "chart: earlier"),
    "cursor-right-l": ("l", "chart: later"),
    "cursor-left-far": ("H", "chart: much earlier"),
    "cursor-right-far": ("L", "chart: much later"),
    "cursor-home": ("home", "chart: oldest"),
    "cursor-end": ("end", "chart: newest"),
    "cursor-peak": ("m", "chart: peak"),
    "cursor-clear": ("x", "chart: hide cursor"),
    "zoom-1h": ("4", "chart: 1 h"),
    "zoom-6h": ("5", "chart: 6 h"),
    "zoom-in": ("plus,equals_sign", "chart: zoom in"),
    "zoom-out": ("minus", "chart: zoom out"),
    "zoom-window": ("z", "chart: window"),
    "compare": ("c", "chart: compare"),
    "period-tables": ("t", "chart: tables"),
    "provider-image": ("i", "chart: provider graph"),
    "clear-filter": ("escape", "clear filter"),
    "theme": ("T", "next theme"),
    "command-palette": ("ctrl+p", "command palette"),
    "first-run-demo": ("d", "first run: start the demo"),
    "first-run-add-account": ("a", "first run: add an account"),
    "first-run-quit": ("q", "first run: quit"),
    "first-run-help": ("question_mark", "first run: help"),
    "add-account-save": ("ctrl+s", "add account: check and save"),
    "add-account-cancel": ("escape", "add account: cancel"),
    "add-account-cancel-q": ("q", "add account: cancel"),
    "help-close": ("question_mark", "help: close"),
    "help-close-f1": ("f1", "help: close"),
    "help-close-q": ("q", "help: close"),
    "help-close-enter": ("enter", "help: close"),
    "help-close-escape": ("escape", "help: close"),
    "overview-down": ("j,down", "overview: down"),
    "overview-up": ("k,up", "overview: up"),
    "overview-page-down": ("pagedown", "overview: page down"),
    "overview-page-up": ("pageup", "overview: page up"),
    "overview-top": ("home", "overview: top"),
    "overview-bottom": ("end", "overview: bottom"),
    "overview-open": ("enter", "overview: open"),
    "tables-close": ("escape", "period tables: close"),
    "tables-close-q": ("q", "period tables: close"),
    "tables-close-t": ("t", "period tables: close"),
    "tables-hourly": ("h", "period tables: hours"),
    "tables-daily": ("d", "period tables: days"),
    "tables-monthly": ("n", "period tables: months"),
    "tables-periods": ("p", "period tables: billing periods"),
    "image-close": ("escape", "provider graph: close"),
    "image-close-q": ("q", "provider graph: close"),
    "image-close-i": ("i", "provider graph: close"),
    "image-day": ("1", "provider graph: day"),
    "image-week": ("2", "provider graph: week"),
    "image-month": ("3", "provider graph: month"),
    "image-interface": ("f", "provider graph: interface"),
    "image-save": ("s", "provider graph: save PNG"),
    "tree-down": ("j,down", "sidebar: down"),
    "tree-up": ("k,up", "sidebar: up"),
    "tree-page-down": ("pagedown", "sidebar: page down"),
    "tree-page-up": ("pageup", "sidebar: page up"),
    "tree-top": ("home", "sidebar: top"),
    "tree-bottom": ("end", "sidebar: bottom"),
    "tree-open": ("enter", "sidebar: open"),
    "tree-fold": ("space", "sidebar: fold"),
    "too-small-quit": ("q", "terminal too small: quit"),
    "window-cancel": ("escape", "window prompt: cancel"),
}

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
NAMED_KEYS = frozenset(
    {"escape", "enter", "return", "tab", "space", "backspace", "delete", "insert", "home", "end",
     "pageup", "pagedown", "up", "down", "left", "right", "newline", "at"}
    | {f"f{n}" for n in range(1, 25)}
)
_REPLACED = {"solidus": "slash", "reverse_solidus": "backslash", "commercial_at": "at",
             "hyphen_minus": "minus", "plus_sign": "plus", "low_line": "underscore"}


def _character_name(char: str) -> str:
    """Textual's name for a printable ASCII character that is not a letter or digit."""
    name = unicodedata.name(char).lower().replace("-", "_").replace(" ", "_")
    return _REPLACED.get(name, name)


CHARACTER_NAMES = frozenset(_character_name(chr(c)) for c in range(0x21, 0x7F)
                            if not chr(c).isalnum())


def key_problem(key: str) -> str | None:
    """Why ``key`` (one key, with modifiers) is not a key name Textual knows; None if it is."""
    if not key:
        return "an empty key name"
    if len(key) == 1:
        return None if key.isprintable() and not key.isspace() else f"{key!r} is not a printable key"
    *modifiers, base = key.split("+")
    unknown = [m for m in modifiers if m not in MODIFIERS]
    if unknown:
        return f"{unknown[0]!r} in {key!r} is not a modifier (use ctrl, shift, alt, meta, super, hyper)"
    if len(base) == 1 and base.isprintable() and not base.isspace():
        return None
    if base in NAMED_KEYS or base in CHARACTER_NAMES:
        return None
    return f"{key!r} is not a key name"


def split_keys(value: str | Iterable[str]) -> list[str]:
    """A ``[keys]`` value (``"q,ctrl+q"`` or ``["q", "ctrl+q"]``) as a list of keys."""
    parts = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    return [part.strip() for part in parts]
