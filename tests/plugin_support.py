"""Install a provider plug-in for a test without pip: its package plus a ``.dist-info`` with the
entry point, in a directory put first on ``sys.path`` (and on ``PYTHONPATH`` for subprocesses).

This is what ``pip install`` leaves behind that ``importlib.metadata`` reads, so bwtui finds the
plug-in exactly as it would a real installed one; it works on a clean clone without a network.
"""

from __future__ import annotations

import os
import shutil
import sys
import tomllib
from pathlib import Path

import pytest

from bwtui.providers import reset_registry

EXAMPLE = Path(__file__).resolve().parent / "plugin_example"


def install_plugin(
    site: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    dist: str,
    version: str,
    entry_points: dict[str, str],
    packages: dict[str, Path] | None = None,
    modules: dict[str, str] | None = None,
) -> Path:
    """Make ``dist`` importable from ``site`` with ``entry_points`` in group bwtui.providers."""
    site.mkdir(parents=True, exist_ok=True)
    for name, source in (packages or {}).items():
        shutil.copytree(source, site / name, dirs_exist_ok=True)
    for name, text in (modules or {}).items():
        (site / f"{name}.py").write_text(text)
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = ["[bwtui.providers]", *(f"{k} = {v}" for k, v in entry_points.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    reset_registry()
    return site


def install_example(site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example plug-in of ``tests/plugin_example``, as its pyproject declares it."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    return install_plugin(
        site, monkeypatch, dist=project["name"], version=project["version"],
        entry_points=project["entry-points"]["bwtui.providers"],
        packages={"bwtui_example": EXAMPLE / "bwtui_example"},
    )


def forget_plugins() -> None:
    """Drop cached plug-in modules and the registry (after a test uninstalls them)."""
    for name in [m for m in sys.modules if m.startswith(("bwtui_example", "bwtui_broken"))]:
        del sys.modules[name]
    reset_registry()
