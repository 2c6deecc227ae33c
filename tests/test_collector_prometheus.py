"""The engines users already run: promtool lints a real scrape, a real Prometheus scrapes
``bwtui serve`` on loopback and answers PromQL with the simulator's own figures, and the
alert rules and the Grafana dashboard's queries run against it.

Prometheus and promtool come from Debian's ``prometheus`` package, installed when missing.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bwtui.collector.metrics import SPECS
from bwtui.simulator.world import HOSTILE_NAME, HOSTILE_VARIABLE_NAME
from collector_support import (
    ROOT,
    SIM_TOKENS,
    ServeProcess,
    counted_simulator,
    free_port,
    isolated_env,
    simulator_config_toml,
    start_serve,
    system_tool,
    wait_until,
)

DEPLOY = ROOT / "deploy"
RULES = DEPLOY / "prometheus" / "bwtui-rules.yml"
DASHBOARD = DEPLOY / "grafana" / "bwtui-dashboard.json"


@dataclass
class Stack:
    world: Any
    serve: ServeProcess
    prometheus_url: str

    def query(self, promql: str) -> list[dict[str, Any]]:
        response = httpx.get(self.prometheus_url + "/api/v1/query", params={"query": promql}, timeout=10)
        body = response.json()
        assert body["status"] == "success", (promql, body)
        return body["data"]["result"]


@pytest.fixture(scope="module")
def promtool() -> str:
    return system_tool("promtool", "prometheus")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, promtool: str) -> Iterator[Stack]:
    prometheus = system_tool("prometheus", "prometheus")
    root = tmp_path_factory.mktemp("prometheus-stack")
    with counted_simulator(hivelocity_services=4, altostrat_instances=3, hetzner_servers=3,
                           vultr_instances=0, hostile_names=True) as world:
        config = root / "config.toml"
        config.write_text(simulator_config_toml(world.server, hetzner=True))
        env = isolated_env(root / "env", BWTUI_CONFIG=str(config), **SIM_TOKENS)
        serve = start_serve(env, root)
        port = free_port()
        target = serve.url.removeprefix("http://")
        (root / "prometheus.yml").write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            f"rule_files:\n  - {RULES}\n"
            "scrape_configs:\n  - job_name: bwtui\n    scrape_interval: 1s\n    scrape_timeout: 1s\n"
            f"    static_configs:\n      - targets: ['{target}']\n")
        process = subprocess.Popen(
            [prometheus, f"--config.file={root / 'prometheus.yml'}",
             f"--storage.tsdb.path={root / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
             "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=open(root / "prometheus.log", "w"))  # noqa: SIM115
        url = f"http://127.0.0.1:{port}"
        try:
            built = Stack(world, serve, url)
            wait_until(lambda: _ready(url), timeout=60, what="Prometheus to start")

            def scraped_everything() -> bool:
                data = built.query('count(bwtui_resource_period_bytes{direction="out"})')
                return bool(data) and int(float(data[0]["value"][1])) == 10

            wait_until(scraped_everything, timeout=90, what="every resource's totals in Prometheus")
            yield built
        finally:
            process.terminate()
            process.wait(20)
            serve.stop()


def _ready(url: str) -> bool:
    try:
        return httpx.get(url + "/-/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_promtool_finds_nothing_wrong_in_a_real_scrape_with_hostile_names(stack: Stack, promtool: str) -> None:
    scrape = httpx.get(stack.serve.url + "/metrics", timeout=10).content
    assert HOSTILE_NAME.encode() in scrape  # the API's string, verbatim
    result = subprocess.run([promtool, "check", "metrics"], input=scrape, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert result.stdout.strip() == b"" and result.stderr.strip() == b""


def test_promql_returns_the_simulators_own_figures(stack: Stack) -> None:
    sim = stack.world.sim
    ids = sim.hivelocity_service_ids()
    for sid in ids:
        selector = f'{{account="hv-sim", id="{sid}"}}'
        period_bytes = stack.query(f'bwtui_resource_period_bytes{{account="hv-sim", id="{sid}", direction="out"}}')
        start = stack.query(f"bwtui_resource_billing_period_start_timestamp_seconds{selector}")
        as_of = stack.query(f"bwtui_resource_period_timestamp_seconds{selector}")
        polled = stack.query(f"bwtui_resource_last_success_timestamp_seconds{selector}")
        value, begin, end, last = (float(r[0]["value"][1]) for r in (period_bytes, start, as_of, polled))
        # The API's totals run from the period start to the request (its metadata dates them
        # at the last whole step): between the simulator's integral up to then and up to the
        # moment the collector recorded success.
        low = sim.hivelocity_totals_bits(sid, int(begin), int(end))[1] // 8
        high = sim.hivelocity_totals_bits(sid, int(begin), int(last) + 1)[1] // 8
        assert low <= value <= high
        month = datetime.fromtimestamp(end, UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        assert begin == month.timestamp()
        allowance = stack.query(f'bwtui_resource_allowance_bytes{{account="hv-sim", id="{sid}"}}')
        assert float(allowance[0]["value"][1]) == 10 * 10**12
    from bwtui.simulator.hetzner_api import SERVER_TYPES, TIB

    for server in sim.hz_servers:
        allowance = stack.query(f'bwtui_resource_allowance_bytes{{account="hz-sim", id="{server.id}"}}')
        assert float(allowance[0]["value"][1]) == SERVER_TYPES[server.server_type][4] * TIB
    names = {r["metric"]["name"] for r in stack.query("bwtui_resource_info")}
    assert HOSTILE_NAME in names and HOSTILE_VARIABLE_NAME in names  # verbatim through Prometheus
    counts = {r["metric"]["account"]: int(float(r["value"][1]))
              for r in stack.query("bwtui_account_resources")}
    assert counts == {"hv-sim": 4, "vpn-sim": 3, "hz-sim": 3}
    busiest = stack.query('topk(1, bwtui_resource_projected_period_bytes{account="hv-sim", direction="out"})')
    assert busiest[0]["metric"]["id"] == ids[1]  # the simulator's hot service, heading over 10 TB


def test_the_alert_rules_check_pass_their_unit_tests_and_evaluate_live(stack: Stack, promtool: str) -> None:
    for args in (["check", "rules", str(RULES)],
                 ["test", "rules", str(RULES.with_name("bwtui-rules.test.yml"))],
                 ["check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")]):
        result = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=120,
                                cwd=RULES.parent)
        assert result.returncode == 0, result.stdout + result.stderr
    wait_until(lambda: _rules_evaluated(stack), timeout=30, what="every rule evaluated")
    rules = httpx.get(stack.prometheus_url + "/api/v1/rules", timeout=10).json()["data"]["groups"][0]["rules"]
    assert {rule["name"] for rule in rules} == {
        "BwtuiProjectedOverAllowance", "BwtuiDataStale", "BwtuiProviderErrors", "BwtuiAccountFailing",
        "BwtuiRequestBudgetLow", "BwtuiCollectorDown"}
    assert all(rule["health"] == "ok" for rule in rules), rules
    # The hot service projects past its allowance: the alert is pending (its `for` is an hour).
    over = next(rule for rule in rules if rule["name"] == "BwtuiProjectedOverAllowance")
    ids = {alert["labels"]["id"] for alert in over["alerts"]}
    assert stack.world.sim.hivelocity_service_ids()[1] in ids
    assert all(alert["labels"].get("name") is not None for alert in over["alerts"])


def _rules_evaluated(stack: Stack) -> bool:
    groups = httpx.get(stack.prometheus_url + "/api/v1/rules", timeout=10).json()["data"]["groups"]
    return bool(groups) and all(rule.get("lastEvaluation", "").startswith("2") and
                                not rule["lastEvaluation"].startswith("0001")
                                for rule in groups[0]["rules"])


def test_every_dashboard_query_runs_and_the_main_panels_have_data(stack: Stack) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    with_data = {"Fleet by out rate", "Period usage against allowance", "Projected overage"}
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = target["expr"].replace("$account", ".*")
            result = stack.query(expr)
            if panel["title"] in with_data and target["refId"] == "A":
                assert result, (panel["title"], expr)
    fleet = next(p for p in dashboard["panels"] if p["title"] == "Fleet by out rate")
    rows = stack.query(fleet["targets"][0]["expr"].replace("$account", ".*"))
    assert {r["metric"]["name"] for r in rows} >= {HOSTILE_NAME}


def test_the_dashboard_model_is_one_grafana_loads() -> None:
    """Grafana's dashboard JSON model: the fields it needs, unique panel ids on a 24-column grid,
    a datasource variable every query uses, and only metrics the collector exports."""
    dashboard = json.loads(DASHBOARD.read_text())
    for key in ("title", "uid", "schemaVersion", "panels", "templating", "time", "refresh"):
        assert key in dashboard, key
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", dashboard["uid"])
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert variables["account"]["type"] == "query"
    exported = {spec.name + ("_total" if spec.kind == "counter" else "") for spec in SPECS} | {"up"}
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    known_types = {"stat", "bargauge", "table", "timeseries", "gauge", "row", "text"}
    occupied: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        assert panel["type"] in known_types
        grid = panel["gridPos"]
        assert all(isinstance(grid[k], int) for k in ("x", "y", "w", "h"))
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24 and grid["h"] > 0
        cells = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                 for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not cells & occupied, f"panel {panel['title']} overlaps another"
        occupied |= cells
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        refs = [target["refId"] for target in panel["targets"]]
        assert len(refs) == len(set(refs)) and refs
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"
            metrics = set(re.findall(r"\b(bwtui_[a-z_]+|up)\b", target["expr"]))
            assert metrics and metrics <= exported, metrics - exported
