"""Start-up stays near the import floor: each command imports only what it uses.

``bwtui --help`` imports no command module; ``status`` and ``check`` never load Textual,
starlette, uvicorn, plotext or httpx's own command-line client (which drags in click, rich and
pygments); the monitor loads plotext only when it draws a chart (not for the overview); clients
share one TLS context and a plain-HTTP one loads no CA bundle. Timings are the bench's job
(``bench/bench_startup.py``), not the tests'.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bwtui.cli import SUBCOMMANDS, build_parser, chosen_command

ROOT = Path(__file__).resolve().parents[1]
NEVER = ("textual", "starlette", "uvicorn", "plotext", "httpx._main", "click", "rich", "pygments")

PROBE = """
import json, sys
from bwtui.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exit:
    code = exit.code
loaded = sorted(name for name, module in sys.modules.items() if module is not None)
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": loaded}, out)
"""


def _run(tmp_path: Path, *argv: str) -> tuple[int, set[str]]:
    """Run ``bwtui argv`` in a fresh interpreter; its exit code and every module it loaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BWTUI_", "XDG_"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_DATA_HOME=str(tmp_path / "data"), PYTHONPATH=str(ROOT),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
               BWTUI_TOKEN_HV="not-a-real-key", BWTUI_TOKEN_VPN="not-a-real-key")
    report = tmp_path / "loaded.json"
    subprocess.run([sys.executable, "-c", PROBE, str(report), *argv], env=env, cwd=tmp_path,
                   capture_output=True, text=True, timeout=120)
    found = json.loads(report.read_text())
    return found["code"], set(found["modules"])


def _leaks(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in NEVER))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """Two accounts on a closed loopback port: every request fails fast, no network."""
    path = tmp_path / "bwtui.toml"
    path.write_text(
        '[[account]]\nname = "hv"\nprovider = "hivelocity"\n'
        'base_url = "http://127.0.0.1:9/hivelocity/api/v2"\n\n'
        '[[account]]\nname = "vpn"\nprovider = "altostrat"\nbase_url = "http://127.0.0.1:9/altostrat"\n'
    )
    return path


def test_help_imports_no_command_and_nothing_heavy(tmp_path: Path) -> None:
    code, modules = _run(tmp_path, "--help")
    assert code == 0
    assert _leaks(modules) == []
    assert sorted(m for m in modules if m.startswith("bwtui.commands.")) == []
    assert "bwtui.config" not in modules and "httpx" not in modules


def test_status_loads_neither_textual_nor_the_simulator_nor_httpx_cli(tmp_path: Path,
                                                                       config: Path) -> None:
    code, modules = _run(tmp_path, "status", "--json", "--config", str(config))
    assert code == 3  # both accounts unreachable: reported, not crashed
    assert "httpx" in modules  # it did make its requests
    assert _leaks(modules) == []
    commands = sorted(m for m in modules if m.startswith("bwtui.commands."))
    assert commands == ["bwtui.commands.common", "bwtui.commands.status"]


def test_check_loads_only_its_own_command(tmp_path: Path, config: Path) -> None:
    code, modules = _run(tmp_path, "check", "--config", str(config))
    assert code in (2, 3)
    assert _leaks(modules) == []
    assert sorted(m for m in modules if m.startswith("bwtui.commands.")) == [
        "bwtui.commands.check", "bwtui.commands.common"]


def test_every_command_is_listed_with_its_own_help_line() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    helps = {action.dest: action.help for action in subparsers._choices_actions}
    assert helps == SUBCOMMANDS


def test_each_command_still_parses_its_own_options() -> None:
    args = build_parser("status", lazy=True).parse_args(["status", "--json"])
    assert args.command == "status" and args.json
    args = build_parser("check", lazy=True).parse_args(
        ["--config", "x.toml", "check", "--warning", "5M"])
    assert args.command == "check" and args.config == "x.toml"


@pytest.mark.parametrize(("argv", "command"), [
    (["status", "--json"], "status"),
    (["--config", "status", "check"], "check"),  # a config file named "status"
    (["--theme", "ansi", "--demo"], None),
    (["--demo-size", "12", "export", "--csv"], "export"),
    (["--ascii"], None),
    (["statsu"], None),  # argparse names the choices
])
def test_the_chosen_command_is_found_past_option_values(argv: list[str], command: str | None) -> None:
    assert chosen_command(argv) == command


def test_https_clients_share_one_tls_context_and_http_ones_load_no_certificates() -> None:
    from bwtui.providers.http import build_async_client

    first, second = build_async_client(5.0), build_async_client(5.0)
    plain = build_async_client(5.0, tls=False)  # nothing is opened: no closing needed
    context = first._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert context is second._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert context.cert_store_stats()["x509_ca"] > 0
    bare = plain._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert bare is not context and bare.cert_store_stats()["x509_ca"] == 0



# What the overview's first frame does without: the chart area and its modules (made when a
# resource's detail is first shown), the help screen, package metadata (read only when a
# plug-in is installed).
CHART_CODE = ("bwtui.ui.chart_panel", "bwtui.ui.chart", "bwtui.ui.chart_plot", "bwtui.charts.data",
              "bwtui.charts.build", "bwtui.charts.window", "bwtui.charts.cursor", "bwtui.p95")
OVERVIEW_UNNEEDED = (*CHART_CODE, "bwtui.ui.help", "importlib.metadata")

MONITOR_PROBE = """
import asyncio, json, sys
from ui_support import fake_app, named_script, settle
UNNEEDED, CHART_CODE = %r

async def main():
    app = fake_app(named_script(services=16, instances=4))  # 20 resources: the overview first
    seen = {}
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot, app)
        await pilot.pause()
        seen["view"] = app.view_mode
        seen["overview"] = "plotext" in sys.modules
        seen["screens"] = sorted(m for m in ("bwtui.ui.add_account", "bwtui.ui.first_run")
                                 if m in sys.modules)
        seen["unneeded"] = sorted(m for m in UNNEEDED if m in sys.modules)
        await pilot.press("enter")  # the highlighted resource's detail: its chart is drawn
        await pilot.pause()
        await pilot.pause()
        seen["detail_view"] = app.view_mode
        seen["drawn"] = app.detail.chart.query_one("#chart").picture is not None
        seen["detail"] = "plotext" in sys.modules
        seen["chart_code"] = sorted(m for m in CHART_CODE if m in sys.modules)
        await pilot.press("a")  # the add-account form: imported when asked for
        await pilot.pause()
        seen["form"] = type(app.screen).__name__
    json.dump(seen, sys.stdout)

asyncio.run(main())
""" % ((OVERVIEW_UNNEEDED, CHART_CODE),)


def test_the_monitor_imports_plotext_only_when_it_draws_a_chart_and_forms_when_shown(
        tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BWTUI_", "XDG_"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_DATA_HOME=str(tmp_path / "data"), PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'tests'}")
    result = subprocess.run([sys.executable, "-c", MONITOR_PROBE], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["view"] == "overview" and seen["overview"] is False  # 20 rows shown, no chart
    assert seen["detail_view"] == "detail" and seen["drawn"] is True
    assert seen["detail"] is True
    assert seen["unneeded"] == []  # the overview's first frame loads no chart code
    assert seen["chart_code"] == sorted(CHART_CODE)  # the detail's chart does
    assert seen["screens"] == []  # neither the add-account form nor the first-run screen
    assert seen["form"] == "AddAccountScreen"
