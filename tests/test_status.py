"""The `bwtui status` contract: output shapes, exit codes, failures isolated, no Textual."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path


from bwtui.cli import main
from bwtui.simulator import Fault, Simulator, SimulatorConfig, serve_in_thread

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ERROR_KINDS = {
    "auth",
    "forbidden",
    "not_found",
    "rate_limited",
    "server",
    "network",
    "timeout",
    "bad_response",
}


def write_config(path: Path, server, sim) -> Path:
    path.write_text(
        "# my accounts\n"
        "[[account]]\n"
        'name = "hv-prod"\n'
        'provider = "hivelocity"\n'
        f'base_url = "{server.base_url}{sim.hivelocity_base_url_path}"\n'
        "\n"
        "[[account]]\n"
        'name = "vpn-main"\n'
        'provider = "altostrat"\n'
        f'base_url = "{server.base_url}{sim.altostrat_base_path}"\n'
    )
    return path


def run_status(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["status", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_status_json_follows_the_contract(tmp_path, simulator, capsys, monkeypatch):
    sim, server = simulator
    config = write_config(tmp_path / "bwtui.toml", server, sim)
    monkeypatch.setenv("BWTUI_TOKEN_HV_PROD", sim.config.hivelocity_token)
    monkeypatch.setenv("BWTUI_TOKEN_VPN_MAIN", sim.config.altostrat_token)

    code, out, _ = run_status(capsys, "--json", "--config", str(config))

    assert code == 0
    document = json.loads(out)
    assert ISO_UTC.match(document["generated_at"])
    assert [(a["name"], a["provider"], a["error"]) for a in document["accounts"]] == [
        ("hv-prod", "hivelocity", None),
        ("vpn-main", "altostrat", None),
    ]
    resources = document["resources"]
    assert sum(r["provider"] == "hivelocity" for r in resources) == 4
    assert sum(r["provider"] == "altostrat" for r in resources) == 2
    for r in resources:
        assert r["kind"] == ("service" if r["provider"] == "hivelocity" else "instance")
        assert isinstance(r["id"], str) and isinstance(r["name"], str)
        assert r["error"] is None
        assert isinstance(r["period_in_bytes"], int) and r["period_in_bytes"] >= 0
        assert isinstance(r["period_out_bytes"], int) and r["period_out_bytes"] >= 0
        assert ISO_UTC.match(r["as_of"])
        if r["provider"] == "hivelocity":
            assert r["in_bps"] > 0 and r["out_bps"] > 0
            assert r["allowance_out_bytes"] == 10 * 10**12
        for key in ("projected_in_bytes", "projected_out_bytes", "projected_overage_cost"):
            assert key in r


def test_one_failing_resource_exits_3_and_the_rest_still_prints(
    tmp_path, simulator, capsys, monkeypatch
):
    sim, server = simulator
    config = write_config(tmp_path / "bwtui.toml", server, sim)
    monkeypatch.setenv("BWTUI_TOKEN_HV_PROD", sim.config.hivelocity_token)
    monkeypatch.setenv("BWTUI_TOKEN_VPN_MAIN", sim.config.altostrat_token)
    victim = sim.hivelocity_service_ids()[0]
    sim.inject("hivelocity", victim, Fault.status(500))

    code, out, _ = run_status(capsys, "--json", "--config", str(config))

    assert code == 3
    resources = {r["id"]: r for r in json.loads(out)["resources"]}
    assert resources[victim]["error"]["kind"] == "server"
    assert resources[victim]["error"]["message"]
    others = [r for rid, r in resources.items() if rid != victim]
    assert others and all(r["error"] is None for r in others)


def test_missing_token_is_an_account_error_naming_both_ways(
    tmp_path, simulator, capsys, monkeypatch
):
    sim, server = simulator
    config = write_config(tmp_path / "bwtui.toml", server, sim)
    monkeypatch.setenv("BWTUI_TOKEN_VPN_MAIN", sim.config.altostrat_token)

    code, out, _ = run_status(capsys, "--json", "--config", str(config))

    assert code == 3
    accounts = {a["name"]: a for a in json.loads(out)["accounts"]}
    error = accounts["hv-prod"]["error"]
    assert error["kind"] == "auth"
    assert "BWTUI_TOKEN_HV_PROD" in error["message"]
    assert "bwtui auth set hv-prod" in error["message"]
    assert accounts["vpn-main"]["error"] is None


def test_wrong_token_is_reported_as_auth_without_echoing_it(
    tmp_path, simulator, capsys, monkeypatch
):
    sim, server = simulator
    config = write_config(tmp_path / "bwtui.toml", server, sim)
    monkeypatch.setenv("BWTUI_TOKEN_HV_PROD", "wrong-secret-123")
    monkeypatch.setenv("BWTUI_TOKEN_VPN_MAIN", sim.config.altostrat_token)

    code, out, err = run_status(capsys, "--config", str(config))

    assert code == 3
    assert "auth" in out
    assert "wrong-secret-123" not in out + err


def test_csv_has_a_header_and_one_row_per_resource(tmp_path, simulator, capsys, monkeypatch):
    sim, server = simulator
    config = write_config(tmp_path / "bwtui.toml", server, sim)
    monkeypatch.setenv("BWTUI_TOKEN_HV_PROD", sim.config.hivelocity_token)
    monkeypatch.setenv("BWTUI_TOKEN_VPN_MAIN", sim.config.altostrat_token)

    code, out, _ = run_status(capsys, "--csv", "--config", str(config))

    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert len(rows) == 6
    assert {"account", "id", "name", "in_bps", "out_bps", "period_out_bytes"} <= set(rows[0])


def test_table_shows_hostile_names_literally(tmp_path, capsys):
    code, out, _ = run_status(capsys, "--demo")
    assert code == 0
    assert "ACCOUNT" in out and "hv-demo" in out and "vpn-demo" in out

    from bwtui.commands.status import AccountStatus, StatusReport, render_table

    record = {
        "account": "a",
        "provider": "hivelocity",
        "kind": "service",
        "id": "1",
        "name": "evil\x1b]0;pwned\x07[bold]x",
        "location": None,
        "in_bps": None,
        "out_bps": 1e6,
        "period_in_bytes": None,
        "period_out_bytes": 10,
        "as_of": None,
        "error": None,
    }
    table = render_table(StatusReport(0, [AccountStatus("a", "hivelocity", None)], [record]))
    assert "\x1b" not in table and "\x07" not in table
    assert "evil\\x1b]0;pwned\\x07[bold]x" in table


def test_config_error_exits_2_naming_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[account]]\nname = "x"\nprovider = "nope"\n')
    code, out, err = run_status(capsys, "--config", str(bad))
    assert code == 2
    assert str(bad) in err and ":3:" in err
    assert "Traceback" not in err


def test_no_accounts_exits_2_with_the_fix(tmp_path, capsys):
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing yet\n")
    code, _, err = run_status(capsys, "--config", str(empty))
    assert code == 2
    assert "bwtui account add" in err and "--demo" in err


def test_status_never_imports_textual(tmp_path):
    script = (
        "import sys\n"
        "from bwtui.cli import main\n"
        "code = main(['status', '--demo', '--json'])\n"
        "assert code == 0, code\n"
        "leaked = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print('LEAKED', leaked)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr
    assert "LEAKED []" in result.stdout


def test_python_dash_m_and_help_work(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bwtui", "status", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "--json" in result.stdout and "--csv" in result.stdout


def test_second_run_reports_altostrat_rates_from_stored_readings(tmp_path, capsys, monkeypatch):
    now = [1_700_000_000.0]
    sim = Simulator(
        SimulatorConfig(seed=5, hivelocity_services=1, altostrat_instances=2, clock=lambda: now[0])
    )
    with serve_in_thread(sim) as server:
        config = write_config(tmp_path / "bwtui.toml", server, sim)
        monkeypatch.setenv("BWTUI_TOKEN_HV_PROD", sim.config.hivelocity_token)
        monkeypatch.setenv("BWTUI_TOKEN_VPN_MAIN", sim.config.altostrat_token)

        _, first, _ = run_status(capsys, "--json", "--config", str(config))
        now[0] += 120  # traffic keeps flowing between the two runs
        _, second, _ = run_status(capsys, "--json", "--config", str(config))

    def vpn(out: str) -> list[dict]:
        return [r for r in json.loads(out)["resources"] if r["provider"] == "altostrat"]

    assert all(r["in_bps"] is None and r["out_bps"] is None for r in vpn(first))
    assert all(r["in_bps"] > 0 and r["out_bps"] > 0 for r in vpn(second))
