"""The simulated Hivelocity API against Hivelocity's own Swagger 2.0 description.

Every operation the simulator serves is called over loopback; the request as the server saw it
and the response are checked against the spec (path and method exist, required parameters
present and enum-valid, 200 bodies match the response schema). A property test then checks
that the simulator refuses exactly the requests the spec makes invalid.
"""

from __future__ import annotations

from calendar import timegm

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import swagger_check
from bwtui.simulator import Simulator, SimulatorConfig, serve_in_thread

pytestmark = pytest.mark.skipif(not swagger_check.spec_available(),
                                reason="hivelocity-v2-swagger.yaml not found")

BASE = "/hivelocity/api/v2"
HEADERS = {"X-API-KEY": "demo-hv-key"}
T0 = float(timegm((2026, 3, 20, 12, 0, 0)))


@pytest.fixture(scope="module")
def served():
    sim = Simulator(SimulatorConfig(seed=5, hivelocity_services=4, altostrat_instances=1,
                                    clock=lambda: T0, rate_limit_per_hour=10**9))
    with serve_in_thread(sim) as server, httpx.Client(
        base_url=server.base_url + BASE, headers=HEADERS, verify=False, timeout=10
    ) as client:
        yield sim, client


def call(served, method: str, path: str, params: dict | None = None) -> httpx.Response:
    """Make the call, then check the request the server logged and the response."""
    sim, client = served
    response = client.request(method, path, params=params)
    logged_method, logged_path, logged_query = sim.requests[-1]
    assert logged_path.startswith(BASE)
    swagger_check.assert_request(logged_method, logged_path[len(BASE):], logged_query, HEADERS)
    body = response.json()
    swagger_check.assert_response(method, path, response.status_code, body)
    return response


def test_get_device_resource(served):
    response = call(served, "GET", "/device/")
    assert response.status_code == 200 and len(response.json()) == 4
    assert call(served, "GET", "/device/", {"rack_id": 0}).status_code == 200


def test_get_device_id_resource(served):
    sim, _ = served
    for device_id in sim.hivelocity_device_ids():
        assert call(served, "GET", f"/device/{device_id}").status_code == 200


@pytest.mark.parametrize("status", ["all", "active"])
def test_get_service_resource(served, status):
    assert call(served, "GET", "/service/", {"status": status}).status_code == 200


@pytest.mark.parametrize("kind", ["service", "device"])
@pytest.mark.parametrize("period", ["day", "week", "month", "custom"])
@pytest.mark.parametrize("interface", ["public", "private", "eth0", "eth1", "all"])
def test_bandwidth_data(served, kind, period, interface):
    sim, _ = served
    rid = (sim.hivelocity_service_ids() if kind == "service" else sim.hivelocity_device_ids())[1]
    params = {"period": period, "interface": interface, "step": 300}
    if period == "custom":
        params |= {"start": int(T0) - 3 * 86400, "end": int(T0) - 86400}
    if kind == "device":
        params["historical"] = "false"
    response = call(served, "POST", f"/bandwidth/{kind}/{rid}", params)
    assert response.status_code == 200
    elements = response.json()
    if interface == "all":  # one element per interface, as a switch reports its ports
        assert [e["interface"] for e in elements] == ["eth0", "eth1"]
        assert all(e["bandwidthData"] for e in elements)
        return
    [bandwidth] = elements
    assert bandwidth["interface"] == interface and bandwidth["bandwidthData"]


@pytest.mark.parametrize("kind", ["service", "device"])
@pytest.mark.parametrize("period", ["day", "week", "month", "custom"])
def test_bandwidth_image(served, kind, period):
    sim, _ = served
    rid = (sim.hivelocity_service_ids() if kind == "service" else sim.hivelocity_device_ids())[0]
    params = {"period": period, "interface": "public"}
    if period == "custom":
        params |= {"start": int(T0) - 86400, "end": int(T0)}
    response = call(served, "POST", f"/bandwidth/{kind}/{rid}/image", params)
    assert response.status_code == 200
    assert response.json()[0]["graphImage"].startswith("iVBORw0KGgo")


def test_the_checker_catches_what_the_spec_forbids():
    assert swagger_check.check_request("GET", "/bandwidth/service/1", {}) != []
    problems = swagger_check.check_request("POST", "/bandwidth/service/x", {"period": "year"})
    assert any("serviceId" in p for p in problems)
    assert any("period" in p for p in problems)
    assert any("interface" in p and "missing" in p for p in problems)
    assert swagger_check.check_request("GET", "/device/", {}, {}) != []  # no X-API-KEY
    assert swagger_check.check_request("POST", "/bandwidth/service/1/image",
                                       {"period": "day", "interface": "all", "step": 300}) != []
    assert swagger_check.check_response("GET", "/device/", 200, [{"deviceId": 1}]) != []
    assert swagger_check.check_response("GET", "/device/", 200, [{"name": "", "deviceId": "1"}]) != []
    assert swagger_check.check_response("GET", "/device/", 200, [{"name": ""}]) == []
    assert swagger_check.check_response("GET", "/nowhere", 200, {}) != []


_values = {
    "period": st.sampled_from(["day", "week", "month", "custom", "year", "", "DAY"]),
    "interface": st.sampled_from(["public", "private", "all", "eth0", "eth1", "wlan0", ""]),
    "step": st.sampled_from(["300", "3600", "7200", "abc", "1.5", ""]),
    "start": st.sampled_from([str(int(T0) - 86400 * 2), "0", "soon"]),
    "end": st.sampled_from([str(int(T0) - 3600), str(int(T0)), "later"]),
    "historical": st.sampled_from(["true", "false", "maybe"]),
}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["service", "device"]),
    image=st.booleans(),
    method=st.sampled_from(["POST", "POST", "POST", "GET"]),
    query=st.fixed_dictionaries({}, optional=_values),
)
def test_simulator_refuses_exactly_what_the_spec_forbids(served, kind, image, method, query):
    sim, client = served
    query = {k: v for k, v in query.items() if v != ""}
    rid = (sim.hivelocity_service_ids() if kind == "service" else sim.hivelocity_device_ids())[0]
    path = f"/bandwidth/{kind}/{rid}" + ("/image" if image else "")
    problems = swagger_check.check_request(method, path, query, allow_unknown_query=True)
    response = client.request(method, path, params=query)
    swagger_check.assert_response(method, path, response.status_code, response.json())
    if method == "GET":
        assert response.status_code == 405
    elif problems:
        assert response.status_code == 400, (problems, response.json())
        assert response.json()["code"] == 400
    elif (query.get("period") == "custom" and "start" in query and "end" in query
          and int(query["start"]) >= int(query["end"])):
        assert response.status_code == 400
    else:
        assert response.status_code == 200, response.json()


async def test_the_hivelocity_client_sends_only_what_the_spec_allows():
    """The project's own client, end to end against the simulator: every request it makes is
    checked against the spec as the server received it."""
    module = pytest.importorskip("bwtui.providers.hivelocity")
    from bwtui.periods import period_bounds
    from bwtui.model import Period

    sim = Simulator(SimulatorConfig(seed=9, hivelocity_services=3, altostrat_instances=1,
                                    clock=lambda: T0))
    with serve_in_thread(sim) as server:
        client = module.HivelocityClient("hv", sim.config.hivelocity_token,
                                         base_url=server.base_url + BASE, clock=sim.now)
        try:
            resources = await client.list_resources()
            assert [r.id for r in resources] == sim.hivelocity_service_ids()
            start, _ = period_bounds(T0)
            usage = await client.fetch_usage(resources[0], start, T0)
            assert usage.period_out_bytes == sim.hivelocity_totals_bits(resources[0].id, start, T0)[1] // 8
            for period in Period:
                await client.fetch_series(resources[1], period)
                await client.fetch_image(resources[2], period)
        finally:
            await client.aclose()
    logged = list(sim.requests)
    assert len(logged) == 2 + 1 + 2 * len(Period)  # /service/ and /device/, usage, series + images
    for method, path, query in logged:
        swagger_check.assert_request(method, path, query)
