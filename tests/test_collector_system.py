"""The whole thing, as users run it: a real ``bwtui serve`` against the simulator on loopback,
viewers of every kind attached to it, and the provider's own count of what it was asked."""

from __future__ import annotations

import json
import signal
import sqlite3
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from collector_support import (
    SIM_TOKENS,
    bwtui,
    counted_simulator,
    isolated_env,
    simulator_config_toml,
    start_serve,
    wait_until,
)
from pty_harness import spawn


def _collector_requests(url: str) -> int:
    """Every request the collector counts as sent (answered or not), from its /metrics."""
    text = httpx.get(url + "/metrics", timeout=5).text
    total = 0.0
    for family in text_string_to_metric_families(text):
        if family.name in ("bwtui_api_requests", "bwtui_api_request_failures"):
            total += sum(sample.value for sample in family.samples if sample.name.endswith("_total"))
    return int(total)


def _ready(url: str) -> bool:
    try:
        return httpx.get(url + "/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_collector_and_five_viewers_against_the_simulator_provider_saw_exactly_the_collectors_requests(
        tmp_path: Path) -> None:
    with counted_simulator(hivelocity_services=4, altostrat_instances=2, hetzner_servers=2,
                           vultr_instances=0) as world:
        config = tmp_path / "config.toml"
        config.write_text(simulator_config_toml(world.server, hetzner=True))
        # Every process has the accounts' tokens: a viewer could poll the providers, and must not.
        env = isolated_env(tmp_path / "env", BWTUI_CONFIG=str(config), **SIM_TOKENS)
        serve = start_serve(env, tmp_path)
        monitors = []
        try:
            wait_until(lambda: _ready(serve.url), what="the collector's first listing")
            shared = {key: env[key] for key in ("BWTUI_CONFIG", "XDG_RUNTIME_DIR", *SIM_TOKENS)}
            # Viewers 1 and 2: the monitor in real terminals, found through the discovery file.
            for _ in range(2):
                monitor = spawn([sys.executable, "-m", "bwtui"], cols=130, rows=34, env=shared)
                monitors.append(monitor)
            port = serve.url.rsplit(":", 1)[1]
            for monitor in monitors:
                monitor.wait_for_text(f"via collector 127.0.0.1:{port}", timeout=30)
                monitor.wait_for_text("Backup target", timeout=30)
            # Viewer 3: status --json says where its figures came from.
            status = bwtui(env, "status", "--json")
            document = json.loads(status.stdout)
            assert document["via"] == "collector" and document["collector"] == serve.url
            names = {r["name"] for r in document["resources"]}
            assert {"Backup target"} <= names
            assert {r["account"] for r in document["resources"]} == {"hv-sim", "vpn-sim", "hz-sim"}
            # Viewer 4: the monitoring plugin (Altostrat rates need two readings a minute
            # apart, so its instances may still be UNKNOWN: exit 3 is a fair answer here).
            check = bwtui(env, "check", "--warning", "1G", "--critical", "2G")
            assert check.returncode in (0, 1, 2, 3), check.stdout + check.stderr
            assert check.stdout.startswith("BWTUI ") and "'hz-sim/" in check.stdout
            # Viewer 5: the history export, from the collector's store.
            wait_until(lambda: _exported(env) > 0, timeout=30, what="history in the collector's store")

            # The provider saw exactly the requests the collector made: equal at a quiet moment
            # (no request in flight), while every viewer is still attached.
            def equal_and_quiet() -> bool:
                before = world.requests
                counted = _collector_requests(serve.url)
                return before == counted == world.requests

            wait_until(equal_and_quiet, timeout=20, what="the simulator's count to equal the collector's")
            assert world.requests > 0
            for monitor in monitors:
                assert monitor.process.poll() is None
                assert "polling directly" not in monitor.screen_text()
        finally:
            for monitor in monitors:
                monitor.send_keys("q")
                monitor.wait_exit(15)
                monitor.close()
            code, log = serve.stop()
        assert code == 0, log
        assert "stopped;" in log and "provider requests made" in log and "history flushed" in log
        assert not serve.discovery.exists()  # a stopped collector is not found any more
        history = Path(env["XDG_STATE_HOME"]) / "bwtui" / "history.sqlite3"
        with sqlite3.connect(history) as db:
            assert db.execute("SELECT COUNT(*) FROM samples").fetchone()[0] > 0


def _exported(env: dict[str, str]) -> int:
    result = bwtui(env, "export", "--json")
    assert result.returncode == 0, result.stderr
    return len(json.loads(result.stdout)["records"])


def test_sigint_stops_the_collector_cleanly_too_and_a_second_one_cannot_take_its_port(tmp_path: Path) -> None:
    with counted_simulator(hivelocity_services=1, altostrat_instances=1, hetzner_servers=0,
                           vultr_instances=0) as world:
        config = tmp_path / "config.toml"
        config.write_text(simulator_config_toml(world.server))
        env = isolated_env(tmp_path / "env", BWTUI_CONFIG=str(config), **SIM_TOKENS)
        serve = start_serve(env, tmp_path)
        try:
            port = serve.url.rsplit(":", 1)[1]
            second = bwtui(env, "serve", "--listen", f"127.0.0.1:{port}", timeout=30)
            assert second.returncode == 3
            assert "address already in use" in second.stderr.lower() or "in use" in second.stderr
            assert "Traceback" not in second.stderr
        finally:
            serve.process.send_signal(signal.SIGINT)
            code, log = serve.stop()
        assert code == 0 and "stopped;" in log


def test_serve_refuses_a_remote_address_without_flag_and_token(tmp_path: Path) -> None:
    env = isolated_env(tmp_path / "env")
    result = bwtui(env, "serve", "--demo", "--listen", "0.0.0.0:0")
    assert result.returncode == 2 and "--allow-remote" in result.stderr
    result = bwtui(env, "serve", "--demo", "--listen", "0.0.0.0:0", "--allow-remote")
    assert result.returncode == 2 and "token" in result.stderr
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    result = bwtui(dict(env, BWTUI_CONFIG=str(empty)), "serve")
    assert result.returncode == 2 and "no accounts configured" in result.stderr
    for text in (result.stderr,):
        assert "Traceback" not in text
