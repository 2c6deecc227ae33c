"""Where bwtui keeps its files: config, state (history), data, and the opt-in token file.

platformdirs decides, except that ``$XDG_CONFIG_HOME``/``$XDG_STATE_HOME``/``$XDG_DATA_HOME`` are
honoured on every platform when set (tests and dotfile users rely on that), and ``--config`` /
``$BWTUI_CONFIG`` name the config file directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs

APP_NAME = "bwtui"
CONFIG_ENV_VAR = "BWTUI_CONFIG"
CONFIG_FILE_NAME = "config.toml"
TOKEN_FILE_NAME = "tokens.json"

ConfigSource = Literal["--config", "$BWTUI_CONFIG", "default"]


def _xdg(var: str) -> Path | None:
    value = os.environ.get(var, "").strip()
    # The XDG spec says relative paths are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value) / APP_NAME
    return None


def config_dir() -> Path:
    """The user config directory (``~/.config/bwtui`` on Linux)."""
    return _xdg("XDG_CONFIG_HOME") or platformdirs.user_config_path(APP_NAME, appauthor=False)


def state_dir() -> Path:
    """The user state directory, for history (``~/.local/state/bwtui`` on Linux)."""
    return _xdg("XDG_STATE_HOME") or platformdirs.user_state_path(APP_NAME, appauthor=False)


def demo_history_file() -> Path:
    """The demo's own history file, so simulated data never mixes with real accounts'."""
    return state_dir() / "demo-history.sqlite3"


def data_dir() -> Path:
    """The user data directory (``~/.local/share/bwtui`` on Linux)."""
    return _xdg("XDG_DATA_HOME") or platformdirs.user_data_path(APP_NAME, appauthor=False)


def default_config_file() -> Path:
    """``<config dir>/config.toml``."""
    return config_dir() / CONFIG_FILE_NAME


def token_file() -> Path:
    """The opt-in plain-text token store (only used after ``auth set --insecure-file``)."""
    return config_dir() / TOKEN_FILE_NAME


@dataclass(frozen=True, slots=True)
class ConfigLocation:
    """Which config file is in use and why; ``explicit`` files must exist."""

    path: Path
    source: ConfigSource

    @property
    def explicit(self) -> bool:
        return self.source != "default"


def locate_config(cli_path: str | os.PathLike[str] | None = None) -> ConfigLocation:
    """``--config PATH``, else ``$BWTUI_CONFIG``, else the default file in the config dir."""
    if cli_path is not None and str(cli_path) != "":
        return ConfigLocation(Path(cli_path).expanduser(), "--config")
    env = os.environ.get(CONFIG_ENV_VAR, "").strip()
    if env:
        return ConfigLocation(Path(env).expanduser(), "$BWTUI_CONFIG")
    return ConfigLocation(default_config_file(), "default")
