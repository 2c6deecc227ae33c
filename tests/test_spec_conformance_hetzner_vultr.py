"""The Hetzner and Vultr clients and simulators against the providers' own OpenAPI descriptions.

Every request the real clients send (as the simulator logged it) is checked against the
description; each is replayed and its answer validated; error answers too. With ../shared/specs
present the full descriptions are used, else the committed subsets (specs/*-subset.json), which
must then match what scripts/extract_spec_subsets.py makes of the full files.
"""

from __future__ import annotations

import subprocess
import sys
from calendar import timegm

import httpx
import pytest

import openapi_check as oc
from bwtui.model import Period
from bwtui.periods import period_bounds
from bwtui.providers import make_client
from bwtui.simulator import Simulator, SimulatorConfig, faults, serve_in_thread

T0 = float(timegm((2026, 3, 20, 12, 0, 0)))
BASES = {"hetzner": "/hetzner/v1", "vultr": "/vultr/v2"}


@pytest.fixture(scope="module")
def served():
    sim = Simulator(SimulatorConfig(seed=4, hivelocity_services=1, altostrat_instances=1, hetzner_servers=5,
                                    vultr_instances=5, hostile_names=True, clock=lambda: T0,
                                    vultr_requests_per_s=10**6))
    with serve_in_thread(sim) as server:
        yield sim, server.base_url


def _token(sim: Simulator, provider: str) -> str:
    return sim.config.hetzner_token if provider == "hetzner" else sim.config.vultr_token


async def _drive(sim: Simulator, root: str, provider: str) -> None:
    client = make_client(provider, "acct", _token(sim, provider), base_url=root + BASES[provider],
                         clock=sim.now, per_page=2)
    try:
        resources = await client.list_resources()
        start = period_bounds(T0)[0]
        for resource in resources[:2]:
            await client.fetch_usage(resource, start, T0)
            for period in Period:
                await client.fetch_series(resource, period)
                if provider == "vultr":
                    client._days.clear()  # read again, so each window's request goes out
    finally:
        await client.aclose()


@pytest.mark.parametrize("provider", ["hetzner", "vultr"])
async def test_every_request_and_answer_of_the_client_conforms(served, provider):
    sim, root = served
    doc = oc.load(provider)
    sim.requests.clear()
    await _drive(sim, root, provider)
    logged = [r for r in sim.requests if r.path.startswith(BASES[provider])]
    assert len(logged) >= 5
    headers = {"Authorization": f"Bearer {_token(sim, provider)}"}
    with httpx.Client(base_url=root + BASES[provider], headers=headers) as http:
        for method, path, query in logged:
            relative = path[len(BASES[provider]):]
            oc.assert_request(doc, method, relative, query, headers)
            answer = http.request(method, relative, params=query)
            assert answer.status_code == 200, answer.text
            oc.assert_response(doc, method, relative, 200, answer.json())


@pytest.mark.parametrize(
    ("provider", "path", "params", "status"),
    [
        ("hetzner", "/servers", {"page": "x"}, 400),
        ("hetzner", "/servers/999", {}, 404),
        ("hetzner", "/servers/{id}/metrics", {"type": "network"}, 400),
        ("vultr", "/instances", {"per_page": "9999"}, 400),
        ("vultr", "/instances/nope/bandwidth", {}, 404),
    ],
)
def test_error_answers_conform(served, provider, path, params, status):
    sim, root = served
    doc = oc.load(provider)
    first = sim.hetzner_server_ids()[0] if provider == "hetzner" else sim.vultr_instance_ids()[0]
    path = path.replace("{id}", first)
    with httpx.Client(base_url=root + BASES[provider],
                      headers={"Authorization": f"Bearer {_token(sim, provider)}"}) as http:
        answer = http.get(path, params=params)
    assert answer.status_code == status
    oc.assert_response(doc, "GET", path, status, answer.json())


def test_hetzner_401_and_429_bodies_conform(served):
    sim, root = served
    doc = oc.load("hetzner")
    with httpx.Client(base_url=root + BASES["hetzner"]) as http:
        assert http.get("/servers").status_code == 401
        oc.assert_response(doc, "GET", "/servers", 401, http.get("/servers").json())
        sim.inject("hetzner", None, faults.status(429, times=1))
        answer = http.get("/servers", headers={"Authorization": f"Bearer {sim.config.hetzner_token}"})
    assert answer.status_code == 429 and answer.headers["RateLimit-Remaining"] == "0"
    oc.assert_response(doc, "GET", "/servers", 429, answer.json())


def test_the_checker_catches_what_the_descriptions_forbid():
    hz, vu = oc.load("hetzner"), oc.load("vultr")
    assert oc.check_request(hz, "GET", "/servers/1/metrics", {"type": "network"}) != []  # no start/end
    assert any("type" in p for p in oc.check_request(hz, "GET", "/servers/1/metrics",
                                                      {"type": "wifi", "start": "a", "end": "b"}))
    assert oc.check_request(hz, "GET", "/servers", {"page": "two"}) != []
    assert oc.check_request(hz, "DELETE", "/servers/1/metrics", {}) != []
    assert oc.check_request(vu, "GET", "/instances", {}, {}) != []  # no bearer token
    assert oc.check_request(vu, "GET", "/instances", {"per_page": "many"}) != []
    assert oc.check_response(hz, "GET", "/servers", 200, {"servers": [{"id": "1"}]}) != []
    assert oc.check_response(hz, "GET", "/servers/1", 200, {"server": {"id": 1}}) != []
    assert oc.check_response(vu, "GET", "/instances", 200, {"instances": [{"allowed_bandwidth": "lots"}]}) != []
    assert oc.check_response(vu, "GET", "/instances/x/bandwidth", 200, {"bandwidth": {}}) == []


@pytest.mark.skipif(oc.full_path("hetzner") is None or oc.full_path("vultr") is None,
                    reason="the full descriptions (../shared/specs) are not in this checkout")
def test_the_committed_subsets_are_what_the_full_descriptions_give():
    script = oc.REPO / "scripts" / "extract_spec_subsets.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
