"""The collector's layer: headless (no Textual), below the command line, strictly typed; the
one-shot commands stay light when no collector is involved."""

from __future__ import annotations

import subprocess
import sys

import pytest

from test_layers import PACKAGE, ROOT, _all_imports

COLLECTOR_MODULES = sorted(
    "bwtui.collector." + path.stem for path in (PACKAGE / "collector").glob("*.py") if path.stem != "__init__")
STRICT = ("bwtui/collector", "bwtui/web", "bwtui/commands/serve.py", "bwtui/commands/web.py",
          "bwtui/ui/kiosk.py")


def test_the_collector_never_imports_textual_the_ui_or_the_commands() -> None:
    offenders = sorted(
        f"{module} imports {target}"
        for module, targets in _all_imports().items() if module.startswith("bwtui.collector")
        for target in targets if target.startswith(("bwtui.ui", "bwtui.commands", "bwtui.web"))
    )
    assert offenders == []
    code = ("import importlib, sys\n"
            f"for name in {[*COLLECTOR_MODULES, 'bwtui.web.server']!r}:\n"
            "    importlib.import_module(name)\n"
            "assert 'textual' not in sys.modules, 'textual imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_status_without_a_collector_loads_no_server_or_browser_code() -> None:
    code = ("import sys\nfrom bwtui.cli import build_parser\nbuild_parser()\n"
            "import bwtui.commands.status, bwtui.commands.check, bwtui.commands.export\n"
            "heavy = [m for m in ('prometheus_client', 'aiohttp', 'textual_serve', 'uvicorn', 'textual')"
            " if m in sys.modules]\nassert not heavy, heavy\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_the_collector_and_the_wall_screen_type_check_strictly() -> None:
    pytest.importorskip("mypy")
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", *STRICT],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
