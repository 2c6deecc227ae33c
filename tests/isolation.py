"""Where a test's (or a child process's) home and XDG directories live: one layout for all.

``tests/conftest.py`` points the test process at it (for every test); ``pty_harness`` builds a
child's environment from it. Nothing ever touches the developer's own config, keyring,
history or tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Environment variable → directory under the test's root.
HOME_LAYOUT: dict[str, str] = {
    "HOME": "home",
    "XDG_CONFIG_HOME": "config",
    "XDG_STATE_HOME": "state",
    "XDG_DATA_HOME": "data",
    "XDG_CACHE_HOME": "cache",
    "XDG_RUNTIME_DIR": "runtime",
}
# keyring's "no keyring here" backend, as on a jump host without D-Bus: get/set/delete raise.
FAIL_KEYRING = "keyring.backends.fail.Keyring"
# Variables that would leak the developer's own setup into a test.
DROPPED_PREFIXES = ("BWTUI_", "XDG_")


def home_dirs(root: Path) -> dict[str, Path]:
    """The layout's directories under ``root`` (not created)."""
    return {var: root / sub for var, sub in HOME_LAYOUT.items()}


@dataclass(frozen=True, slots=True)
class IsolatedHome:
    """The test's own home and XDG directories (created on first use by the code under test)."""

    root: Path
    home: Path
    config: Path
    state: Path
    data: Path
    cache: Path
    runtime: Path

    @classmethod
    def under(cls, root: Path) -> IsolatedHome:
        dirs = home_dirs(root)
        return cls(root, dirs["HOME"], dirs["XDG_CONFIG_HOME"], dirs["XDG_STATE_HOME"],
                   dirs["XDG_DATA_HOME"], dirs["XDG_CACHE_HOME"], dirs["XDG_RUNTIME_DIR"])
