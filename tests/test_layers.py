"""The layers hold: who may import whom, what never imports Textual, what type-checks strictly.

The session (``bwtui/session``) and the polling engine run without a screen (the monitor today,
a collector tomorrow), so they never import Textual. ``bwtui/ui`` never reaches up into
``bwtui/commands`` and nothing below the command line does; the four packages form no cycle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bwtui"
LAYERS = ("commands", "ui", "session", "polling")
STRICT_TYPED = ("bwtui/session", "bwtui/polling/control.py")


def _imports(path: Path) -> set[str]:
    """Every ``bwtui.*`` module a file imports, at the top or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "bwtui" or name.startswith("bwtui.")}


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def _all_imports() -> dict[str, set[str]]:
    return {_module_of(path): _imports(path) for path in PACKAGE.rglob("*.py")}


def test_nothing_below_the_command_line_imports_it() -> None:
    offenders = sorted(
        f"{module} imports {target}"
        for module, targets in _all_imports().items()
        if _layer(module) != "commands" and module != "bwtui.cli"
        for target in targets
        if _layer(target) == "commands"
    )
    assert offenders == []


def test_no_import_cycle_between_commands_ui_session_and_polling() -> None:
    edges: dict[str, set[str]] = {layer: set() for layer in LAYERS}
    for module, targets in _all_imports().items():
        source = _layer(module)
        for target in targets:
            layer = _layer(target)
            if source is not None and layer is not None and layer != source:
                edges[source].add(layer)

    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in edges[start])

    cycles = sorted(layer for layer in LAYERS if reaches(layer, layer))
    assert cycles == [], f"layers in a cycle: {cycles}; edges: {edges}"


def test_the_session_and_the_poller_control_never_import_textual() -> None:
    modules = sorted(
        _module_of(path)
        for path in [*(PACKAGE / "session").rglob("*.py"), PACKAGE / "polling" / "control.py"]
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "assert 'textual' not in sys.modules, 'textual imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_the_session_package_type_checks_strictly() -> None:
    pytest.importorskip("mypy")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", *STRICT_TYPED],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
