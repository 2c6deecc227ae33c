"""What the user chose in the monitor, kept for the next start (no Textual).

``prefs.json`` in the state dir holds the theme, the units (bits or bytes), the view (overview
or detail) and the overview's sort. It is a convenience, never a requirement: a missing,
unreadable or malformed file gives the defaults, and a write that fails is reported once and
otherwise ignored. Nothing secret is ever in it.

Precedence for the theme: ``--theme`` on the command line, then the theme last chosen in the
monitor (``T`` or the command palette), then the config's ``theme``. A choice made in the
monitor remembers the config's theme at that moment; once the config's theme is edited, the
config wins again.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

PREFS_FILE_NAME = "prefs.json"
VIEWS = ("overview", "detail")


@dataclass(frozen=True, slots=True)
class Prefs:
    """The remembered choices; None means "not chosen": the usual default applies."""

    theme: str | None = None
    theme_config: str | None = None  # the config's theme when ``theme`` was chosen
    bytes_mode: bool | None = None
    view: str | None = None
    sort: str | None = None
    sort_descending: bool | None = None

    def theme_for(self, config_theme: str) -> str:
        """The theme to start with, given the config's (the command line is the caller's)."""
        if self.theme is not None and self.theme_config == config_theme:
            return self.theme
        return config_theme

    def with_theme(self, theme: str, config_theme: str) -> Prefs:
        return replace(self, theme=theme, theme_config=config_theme)


def prefs_file() -> Path:
    """``<state dir>/prefs.json``."""
    from bwtui.paths import state_dir

    return state_dir() / PREFS_FILE_NAME


def _clean(raw: Any) -> Prefs:
    if not isinstance(raw, dict):
        return Prefs()
    known = {f.name for f in fields(Prefs)}
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in known:
            continue
        if name in ("bytes_mode", "sort_descending"):
            if isinstance(value, bool):
                values[name] = value
        elif isinstance(value, str) and len(value) <= 64:
            values[name] = value
    if values.get("view") not in (None, *VIEWS):
        del values["view"]
    return Prefs(**values)


def load_prefs(path: Path | None = None) -> Prefs:
    """The remembered choices (the defaults when there are none or they cannot be read)."""
    path = path if path is not None else prefs_file()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Prefs()
    return _clean(raw)


def save_prefs(prefs: Prefs, path: Path | None = None) -> str | None:
    """Write the choices (atomically, mode 0600); returns why it failed, or None."""
    path = path if path is not None else prefs_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = json.dumps({k: v for k, v in asdict(prefs).items() if v is not None}, indent=1)
        fd, tmp = tempfile.mkstemp(prefix=".prefs-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data + "\n")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as error:
        return f"cannot remember your choices in {path}: {error.strerror or type(error).__name__}"
    return None


class PrefsKeeper:
    """The monitor's remembered choices: read once, written on each change (never raising)."""

    def __init__(self, prefs: Prefs | None = None, path: Path | None = None, *,
                 config_theme: str = "default") -> None:
        self.prefs = prefs if prefs is not None else Prefs()
        self.path = path  # None: remember nothing (tests, the kiosk)
        self.config_theme = config_theme
        self._failed = False

    def remember(self, **changes: Any) -> str | None:
        """Record a change (``theme=``, ``bytes_mode=``, ``view=``, ``sort=``...) and save it.

        Returns why saving failed the first time it does (to tell the user once), else None.
        """
        theme = changes.pop("theme", None)
        prefs = replace(self.prefs, **changes)
        if theme is not None:
            prefs = prefs.with_theme(theme, self.config_theme)
        if prefs == self.prefs:
            return None
        self.prefs = prefs
        if self.path is None:
            return None
        problem = save_prefs(prefs, self.path)
        if problem is None or self._failed:
            return None
        self._failed = True
        return problem
