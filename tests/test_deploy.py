"""``deploy/bwtui.service``: a hardened systemd unit that systemd accepts, and a collector that
runs the way the unit starts it (credentials, state, config and runtime directories)."""

from __future__ import annotations

import configparser
import json
import shutil
import subprocess
from pathlib import Path

import httpx

from collector_support import ROOT, counted_simulator, isolated_env, simulator_config_toml, system_tool, wait_until

UNIT = ROOT / "deploy" / "bwtui.service"


def _unit() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser


def test_the_unit_is_hardened_and_serves_on_loopback() -> None:
    service = _unit()["Service"]
    expected = {
        "DynamicUser": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "NoNewPrivileges": "yes",
        "PrivateTmp": "yes", "PrivateDevices": "yes", "StateDirectory": "bwtui", "RuntimeDirectory": "bwtui",
        "ConfigurationDirectory": "bwtui", "RestrictSUIDSGID": "yes", "CapabilityBoundingSet": "",
        "KillSignal": "SIGTERM", "Restart": "on-failure", "UMask": "0077",
    }
    for key, value in expected.items():
        assert service.get(key) == value, key
    assert service["ExecStart"].split()[1:] == ["serve", "--listen", "127.0.0.1:9848"]
    assert "LoadCredential" in service and service["LoadCredential"].startswith("BWTUI_TOKEN_")
    assert "token" not in service.get("Environment", "").lower()


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = system_tool("systemd-analyze", "systemd")
    bwtui = shutil.which("bwtui", path=str(ROOT / ".venv" / "bin")) or shutil.which("bwtui")
    assert bwtui is not None
    unit = tmp_path / "bwtui.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/bwtui", bwtui))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bwtui.service" not in result.stderr, result.stderr


def test_the_collector_runs_as_the_unit_starts_it(tmp_path: Path) -> None:
    """Config in /etc/bwtui, a token from a systemd credential, history in /var/lib/bwtui and
    the discovery file in /run/bwtui, all through the variables the unit and systemd set."""
    with counted_simulator(hivelocity_services=2, altostrat_instances=1, hetzner_servers=0,
                           vultr_instances=0) as world:
        etc, lib, run, creds = (tmp_path / name for name in ("etc", "var-lib", "run-bwtui", "creds"))
        (etc / "bwtui").mkdir(parents=True)
        (etc / "bwtui" / "config.toml").write_text(simulator_config_toml(world.server))
        creds.mkdir(mode=0o700)
        (creds / "BWTUI_TOKEN_HV_SIM").write_text("demo-hv-key\n")
        (creds / "BWTUI_TOKEN_VPN_SIM").write_text("alto_sk_demo")
        env = isolated_env(tmp_path / "env", XDG_CONFIG_HOME=str(etc), XDG_STATE_HOME=str(lib),
                           RUNTIME_DIRECTORY=str(run), CREDENTIALS_DIRECTORY=str(creds),
                           JOURNAL_STREAM="8:1234")
        import sys

        process = subprocess.Popen([sys.executable, "-m", "bwtui", "serve", "--listen", "127.0.0.1:0"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            discovery = run / "collector.json"
            wait_until(discovery.exists, what="the discovery file in $RUNTIME_DIRECTORY")
            url = json.loads(discovery.read_text())["url"]
            wait_until(lambda: httpx.get(url + "/readyz").status_code == 200, what="ready")
            metrics = httpx.get(url + "/metrics").text
            assert 'bwtui_account_up{account="hv-sim",provider="hivelocity"} 1.0' in metrics
            assert 'bwtui_account_up{account="vpn-sim",provider="altostrat"} 1.0' in metrics
        finally:
            process.terminate()
            _, stderr = process.communicate(timeout=20)
        assert process.returncode == 0, stderr
        assert (lib / "bwtui" / "history.sqlite3").exists()
        assert not discovery.exists()
        assert "demo-hv-key" not in stderr and "alto_sk_demo" not in stderr
        first = stderr.splitlines()[0]
        assert first.startswith("INFO bwtui serve")  # under journald: no second timestamp
