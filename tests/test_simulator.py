"""The simulated provider APIs, over real HTTP on 127.0.0.1 (and once in process)."""

from __future__ import annotations

import base64
import json
import math
import struct
import zlib
from calendar import timegm

import httpx
import pytest

from bwtui.periods import period_bounds
from bwtui.simulator import Fault, Simulator, SimulatorConfig, faults, serve_in_thread

HV = "/hivelocity/api/v2"
ALTO = "/altostrat/vpn"
HV_KEY = {"X-API-KEY": "demo-hv-key"}
ALTO_AUTH = {"Authorization": "Bearer alto_sk_demo"}
# Friday 2026-03-20 12:00 UTC: late enough in the month for projections to mean something.
T0 = float(timegm((2026, 3, 20, 12, 0, 0)))


class FakeClock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make(clock: FakeClock, **kw) -> Simulator:
    kw.setdefault("hivelocity_services", 6)
    kw.setdefault("altostrat_instances", 3)
    return Simulator(SimulatorConfig(clock=clock, **kw))


@pytest.fixture
def sim(clock):
    return make(clock)


@pytest.fixture
def http(sim):
    with serve_in_thread(sim) as server, httpx.Client(verify=False, base_url=server.base_url, timeout=10) as client:
        yield client


def bw_params(**kw):
    return {"period": "day", "interface": "public", "step": 300, **kw}


def service_id(sim: Simulator, index: int = 0) -> str:
    return sim.hivelocity_service_ids()[index]


def post_bw(http, sim, index=0, **params):
    return http.post(f"{HV}/bandwidth/service/{service_id(sim, index)}", params=bw_params(**params),
                     headers=HV_KEY)


# -- Hivelocity: listings ------------------------------------------------------------------------


def test_device_list_carries_what_the_client_needs(http, sim):
    response = http.get(f"{HV}/device/", headers=HV_KEY)
    assert response.status_code == 200
    devices = response.json()
    assert [str(d["servicePlan"]) for d in devices] == sim.hivelocity_service_ids()
    assert any(d["name"] == "" for d in devices)  # hostname is the fallback
    for device in devices:
        assert isinstance(device["deviceId"], int)
        assert device["hostname"] and device["location"]["facility"]
        assert device["primaryIp"] and isinstance(device["tags"], list)
    one = http.get(f"{HV}/device/{devices[0]['deviceId']}", headers=HV_KEY).json()
    assert one == devices[0]


def test_service_list_and_404_when_there_are_no_services(clock):
    with serve_in_thread(make(clock)) as server, httpx.Client(verify=False, base_url=server.base_url) as client:
        services = client.get(f"{HV}/service/", params={"status": "all"}, headers=HV_KEY).json()
        assert len(services) == 6 and all("serviceId" in s for s in services)
    with serve_in_thread(make(clock, hivelocity_services=0)) as server, httpx.Client(
        base_url=server.base_url
    ) as client:
        response = client.get(f"{HV}/service/", params={"status": "all"}, headers=HV_KEY)
        assert response.status_code == 404
        assert response.json() == {"code": 404, "description": "You don't own any services"}
        assert client.get(f"{HV}/device/", headers=HV_KEY).json() == []


# -- Hivelocity: errors --------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"X-API-KEY": "wrong"}, {"Authorization": "Bearer demo-hv-key"}])
def test_hivelocity_rejects_a_missing_or_wrong_key(http, sim, headers):
    response = http.get(f"{HV}/device/", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == 401 and body["description"]
    assert "demo-hv-key" not in response.text


def test_get_on_bandwidth_is_405_unless_configured(http, sim, clock):
    response = http.get(f"{HV}/bandwidth/service/{service_id(sim)}", params=bw_params(), headers=HV_KEY)
    assert response.status_code == 405
    assert set(response.json()) == {"message"}
    lenient = make(clock, accept_get_on_bandwidth=True)
    with serve_in_thread(lenient) as server, httpx.Client(verify=False, base_url=server.base_url) as client:
        response = client.get(f"{HV}/bandwidth/service/{service_id(lenient)}", params=bw_params(),
                              headers=HV_KEY)
        assert response.status_code == 200


@pytest.mark.parametrize(
    "params, word",
    [
        ({"interface": "public", "step": 300}, "period"),
        ({"period": "year", "interface": "public", "step": 300}, "period"),
        ({"period": "day", "step": 300}, "interface"),
        ({"period": "day", "interface": "wlan0", "step": 300}, "interface"),
        ({"period": "day", "interface": "public"}, "step"),
        ({"period": "day", "interface": "public", "step": "5m"}, "step"),
        ({"period": "custom", "interface": "public", "step": 300, "start": "yesterday"}, "start"),
        ({"period": "custom", "interface": "public", "step": 300, "start": 20, "end": 10}, "start"),
    ],
)
def test_bad_bandwidth_parameters_are_400_with_a_message(http, sim, params, word):
    response = http.post(f"{HV}/bandwidth/service/{service_id(sim)}", params=params, headers=HV_KEY)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400 and word in body["message"]


def test_image_needs_no_step(http, sim):
    response = http.post(f"{HV}/bandwidth/service/{service_id(sim)}/image",
                         params={"period": "day", "interface": "public"}, headers=HV_KEY)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/bandwidth/service/999999"),
        ("POST", "/bandwidth/device/999999"),
        ("POST", "/bandwidth/service/999999/image"),
        ("GET", "/device/999999"),
        ("GET", "/device/not-a-number"),
        ("GET", "/no/such/endpoint"),
    ],
)
def test_unknown_ids_and_paths_are_404(http, method, path):
    response = http.request(method, HV + path, params=bw_params(), headers=HV_KEY)
    assert response.status_code == 404
    body = response.json()
    assert body.get("description") or body.get("message")


# -- Hivelocity: rate limit ----------------------------------------------------------------------


def test_rate_limit_headers_count_down_then_429_until_the_window_ends(clock):
    sim = make(clock, rate_limit_per_hour=3)
    with serve_in_thread(sim) as server, httpx.Client(verify=False, base_url=server.base_url) as client:
        remaining = []
        for _ in range(3):
            response = client.get(f"{HV}/device/", headers=HV_KEY)
            assert response.status_code == 200
            assert response.headers["X-RateLimit-Limit"] == "3"
            remaining.append(int(response.headers["X-RateLimit-Remaining"]))
        assert remaining == [2, 1, 0]
        clock.advance(600)
        limited = client.get(f"{HV}/device/", headers=HV_KEY)
        assert limited.status_code == 429
        assert limited.json() == {"code": 429, "description": "Your IP is rate limited."}
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert int(limited.headers["X-RateLimit-Reset"]) == 3000  # seconds, not an epoch
        # even errors carry the headers
        assert "X-RateLimit-Reset" in client.get(f"{HV}/device/").headers
        clock.advance(3000)
        again = client.get(f"{HV}/device/", headers=HV_KEY)
        assert again.status_code == 200 and again.headers["X-RateLimit-Remaining"] == "2"
        for _ in range(3):
            client.get(f"{HV}/device/", headers=HV_KEY)
        sim.reset_rate_limit()
        assert client.get(f"{HV}/device/", headers=HV_KEY).status_code == 200


# -- Hivelocity: data ----------------------------------------------------------------------------


def test_day_data_is_288_five_minute_rows_with_consistent_totals(http, sim, clock):
    [bandwidth] = post_bw(http, sim).json()
    meta = bandwidth["metadata"]
    rows = bandwidth["bandwidthData"]
    assert meta["step"] == 300 and meta["legend"] == ["In", "Out"] and len(rows) == 288
    assert meta["end"] <= clock() and meta["end"] - meta["start"] == 288 * 300
    totals = meta["totals"]
    assert (totals["In Xfer"], totals["Out Xfer"]) == sim.hivelocity_totals_bits(
        service_id(sim), clock() - 86400, clock())
    # the rows integrate to the totals (the window is aligned here, so exactly up to rounding)
    assert sum(r[1] for r in rows) * 300 == pytest.approx(totals["Out Xfer"], rel=1e-6)
    outs = sorted(r[1] for r in rows)
    assert totals["Out 95th"] == pytest.approx(outs[math.ceil(0.95 * len(outs)) - 1], rel=1e-6)
    assert all(1e6 <= v <= 900e6 for r in rows for v in r)
    assert sum(r[0] for r in rows) < sum(r[1] for r in rows)  # servers send more than they get


def test_old_data_comes_back_at_the_finest_stored_step(http, sim):
    week = post_bw(http, sim, period="week", step=300).json()[0]["metadata"]
    assert week["step"] == 3600 and week["args"]["step"] == 300
    month = post_bw(http, sim, period="month", step=7200).json()[0]
    assert month["metadata"]["step"] == 7200 and len(month["bandwidthData"]) == 360


def test_custom_window_from_period_start_gives_period_totals(http, sim, clock):
    start, _ = period_bounds(clock())
    whole = post_bw(http, sim, period="custom", step=3600, start=int(start), end=int(clock()))
    first = post_bw(http, sim, period="custom", step=3600, start=int(start), end=int(start) + 86400)
    rest = post_bw(http, sim, period="custom", step=3600, start=int(start) + 86400, end=int(clock()))
    whole_out = whole.json()[0]["metadata"]["totals"]["Out Xfer"]
    parts = (first.json()[0]["metadata"]["totals"]["Out Xfer"]
             + rest.json()[0]["metadata"]["totals"]["Out Xfer"])
    assert whole_out == pytest.approx(parts, abs=2)
    assert whole_out == sim.hivelocity_totals_bits(service_id(sim), start, clock())[1]


def test_one_service_is_on_course_to_exceed_its_10tb_allowance(http, sim, clock):
    start, end = period_bounds(clock())
    projections = []
    for index in range(len(sim.hivelocity_service_ids())):
        totals = post_bw(http, sim, index, period="custom", step=3600, start=int(start),
                         end=int(clock())).json()[0]["metadata"]["totals"]
        used_bytes = totals["Out Xfer"] / 8
        projections.append(used_bytes / (clock() - start) * (end - start))
    hot = max(projections)
    assert hot > 10 * 10**12
    assert sorted(projections)[-2] < 10 * 10**12  # only one


def test_the_image_is_a_real_png(http, sim):
    response = http.post(f"{HV}/bandwidth/device/{sim.hivelocity_device_ids()[0]}/image",
                         params={"period": "week", "interface": "public"}, headers=HV_KEY)
    [image] = response.json()
    png = base64.b64decode(image["graphImage"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    length = struct.unpack(">I", png[33:37])[0]
    assert png[37:41] == b"IDAT"
    raw = zlib.decompress(png[41:41 + length])
    assert len(raw) == height * (1 + 3 * width)
    assert image["interface"] == "public" and image["switchId"]


def test_device_and_service_endpoints_agree(http, sim):
    device = http.post(f"{HV}/bandwidth/device/{sim.hivelocity_device_ids()[1]}", params=bw_params(),
                       headers=HV_KEY).json()
    assert device == post_bw(http, sim, 1).json()


# -- Altostrat -----------------------------------------------------------------------------------

INSTANCE_FIELDS = {
    "id", "name", "region", "hostname", "configured", "rsa_ready", "diffie_hellman_ready",
    "server_ready", "status", "pushed_routes", "public_dns", "split_dns", "domains", "dns_custom",
    "firewall", "created_at",
}


def test_altostrat_instances_and_bandwidth(http, sim):
    instances = http.get(f"{ALTO}/instances", headers=ALTO_AUTH).json()
    assert [i["id"] for i in instances] == sim.altostrat_instance_ids()
    for instance in instances:
        assert set(instance) == INSTANCE_FIELDS and isinstance(instance["status"], list)
    one = http.get(f"{ALTO}/instances/{instances[0]['id']}", headers=ALTO_AUTH).json()
    assert one == instances[0]
    bw = http.get(f"{ALTO}/instances/{instances[1]['id']}/bandwidth", headers=ALTO_AUTH).json()
    assert set(bw) == {"incoming_bytes", "outgoing_bytes", "date"}
    assert bw["date"] == "2026-03-20" and bw["incoming_bytes"] > 0 and bw["outgoing_bytes"] > 0
    # the older path style without /vpn works too
    assert http.get("/altostrat/instances", headers=ALTO_AUTH).json() == instances


def test_altostrat_auth_and_not_found_use_both_error_shapes(http):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"X-API-KEY": "alto_sk_demo"}):
        response = http.get(f"{ALTO}/instances", headers=headers)
        assert response.status_code == 401 and set(response.json()) == {"message"}
    missing = http.get(f"{ALTO}/instances/00000000-0000-4000-8000-000000000000/bandwidth",
                       headers=ALTO_AUTH)
    assert missing.status_code == 404
    assert set(missing.json()) == {"type", "code", "message", "doc_url"}
    assert http.post(f"{ALTO}/instances", headers=ALTO_AUTH).status_code == 405


def test_altostrat_counters_grow_then_reset_at_the_period_boundary(clock):
    sim = make(clock, altostrat_reset_after_s=300)
    resetting = sim.altostrat_instance_ids()[0]
    with serve_in_thread(sim) as server, httpx.Client(verify=False, base_url=server.base_url) as client:
        def read() -> dict:
            return client.get(f"{ALTO}/instances/{resetting}/bandwidth", headers=ALTO_AUTH).json()

        first = read()
        clock.advance(120)
        second = read()
        assert second["outgoing_bytes"] > first["outgoing_bytes"]
        assert second["incoming_bytes"] > first["incoming_bytes"]
        clock.advance(240)  # past start + 300 s
        third = read()
        assert third["outgoing_bytes"] < second["outgoing_bytes"]
        assert third["incoming_bytes"] < second["incoming_bytes"]
        assert sim.altostrat_period_start(resetting) == T0 + 300
        # the other instances follow the calendar month
        other = sim.altostrat_instance_ids()[1]
        assert sim.altostrat_period_start(other) == period_bounds(clock())[0]


def test_speed_multiplies_simulated_time(clock):
    sim = make(clock, speed=60)
    clock.advance(10)
    assert sim.now() == T0 + 600


# -- faults --------------------------------------------------------------------------------------


def test_status_faults_use_each_providers_error_shape(http, sim):
    victim = service_id(sim, 0)
    sim.inject("hivelocity", victim, faults.status(403))
    forbidden = post_bw(http, sim, 0)
    assert forbidden.status_code == 403 and forbidden.json()["code"] == 403
    assert forbidden.json()["description"]
    assert post_bw(http, sim, 1).status_code == 200  # other resources unaffected
    assert http.get(f"{HV}/device/", headers=HV_KEY).status_code == 200

    instance = sim.altostrat_instance_ids()[0]
    sim.inject("altostrat", instance, Fault.status(429, retry_after_s=7))
    limited = http.get(f"{ALTO}/instances/{instance}/bandwidth", headers=ALTO_AUTH)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert set(limited.json()) == {"type", "code", "message", "doc_url"}
    sim.inject("altostrat", None, faults.status(401))
    assert http.get(f"{ALTO}/instances", headers=ALTO_AUTH).json() == {"message": "Unauthenticated."}
    sim.clear_faults()
    assert http.get(f"{ALTO}/instances", headers=ALTO_AUTH).status_code == 200
    assert post_bw(http, sim, 0).status_code == 200


def test_provider_wide_fault_and_one_shot_fault(http, sim):
    sim.inject("hivelocity", None, faults.status(503, "maintenance", times=1))
    down = http.get(f"{HV}/device/", headers=HV_KEY)
    assert down.status_code == 503 and down.json() == {"code": 503, "description": "maintenance"}
    assert http.get(f"{HV}/device/", headers=HV_KEY).status_code == 200


def test_malformed_and_truncated_json(http, sim):
    normal = post_bw(http, sim).content
    sim.inject("hivelocity", service_id(sim), faults.malformed_json())
    with pytest.raises(json.JSONDecodeError):
        json.loads(post_bw(http, sim).content)
    sim.inject("hivelocity", service_id(sim), faults.truncated_json())
    cut = post_bw(http, sim).content
    assert normal.startswith(cut) and len(cut) < len(normal)
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut)


def test_wrong_types_turn_numbers_into_strings(http, sim):
    sim.inject("hivelocity", service_id(sim), faults.wrong_types())
    [bandwidth] = post_bw(http, sim).json()
    assert isinstance(bandwidth["metadata"]["totals"]["Out Xfer"], str)
    assert all(isinstance(v, str) for v in bandwidth["bandwidthData"][0])
    instance = sim.altostrat_instance_ids()[0]
    sim.inject("altostrat", instance, faults.wrong_types())
    bw = http.get(f"{ALTO}/instances/{instance}/bandwidth", headers=ALTO_AUTH).json()
    assert isinstance(bw["incoming_bytes"], str)


def test_empty_metadata(http, sim):
    sim.inject("hivelocity", service_id(sim), faults.empty_metadata())
    [bandwidth] = post_bw(http, sim).json()
    assert bandwidth["metadata"] == {} and bandwidth["bandwidthData"]


@pytest.mark.parametrize("style", ["null", "nan"])
def test_gaps_are_null_or_nan_rows(http, sim, style):
    sim.inject("hivelocity", service_id(sim), faults.gaps(every=4, style=style))
    rows = json.loads(post_bw(http, sim).text)[0]["bandwidthData"]  # json accepts bare NaN
    gap_rows = [i for i, r in enumerate(rows) if any(v is None or v != v for v in r)]
    assert gap_rows and gap_rows == list(range(3, len(rows), 4))


def test_timestamp_column_variant(http, sim, clock):
    sim.inject("hivelocity", service_id(sim), faults.timestamp_column())
    [bandwidth] = post_bw(http, sim).json()
    meta, rows = bandwidth["metadata"], bandwidth["bandwidthData"]
    assert [name.lower() for name in meta["legend"]] == ["time", "in", "out"]
    assert [r[0] for r in rows[:3]] == [meta["start"], meta["start"] + 300, meta["start"] + 600]
    configured = make(clock, timestamp_column=True, legend=("out", "in"))
    with serve_in_thread(configured) as server, httpx.Client(verify=False, base_url=server.base_url) as client:
        [other] = post_bw(client, configured).json()
        assert other["metadata"]["legend"] == ["time", "out", "in"]
        assert other["bandwidthData"][0][1] > other["bandwidthData"][0][2]  # out first


def test_slow_drip_delivers_the_same_body_in_pieces(http, sim):
    normal = http.get(f"{HV}/device/", headers=HV_KEY).content
    sim.inject("hivelocity", None, faults.slow_drip(bytes_per_s=len(normal) * 4))
    with http.stream("GET", f"{HV}/device/", headers=HV_KEY) as response:
        chunks = list(response.iter_raw())
    assert len(chunks) > 1 and b"".join(chunks) == normal


def test_drop_connection_over_loopback_and_in_process(http, sim):
    sim.inject("hivelocity", service_id(sim), faults.drop_connection())
    with pytest.raises(httpx.TransportError):
        post_bw(http, sim)
    assert post_bw(http, sim, 1).status_code == 200  # the server is still up

    async def in_process() -> None:
        async with httpx.AsyncClient(transport=sim.transport(), base_url="http://sim") as client:
            with pytest.raises(httpx.TransportError):
                await client.post(f"{HV}/bandwidth/service/{service_id(sim)}", params=bw_params(),
                                  headers=HV_KEY)

    import asyncio

    asyncio.run(in_process())


def test_huge_body_is_several_megabytes_of_valid_json(http, sim):
    sim.inject("hivelocity", None, faults.huge(size_bytes=4_000_000, path_contains="/device"))
    response = http.get(f"{HV}/device/", headers=HV_KEY)
    assert len(response.content) > 4_000_000
    assert isinstance(response.json(), list)
    assert post_bw(http, sim).status_code == 200 and len(post_bw(http, sim).content) < 100_000


# -- determinism, names, bounded state -----------------------------------------------------------


def _bodies(sim: Simulator) -> list[bytes]:
    with serve_in_thread(sim) as server, httpx.Client(verify=False, base_url=server.base_url) as client:
        out = [client.get(f"{HV}/device/", headers=HV_KEY).content, post_bw(client, sim, 2).content,
               client.get(f"{ALTO}/instances", headers=ALTO_AUTH).content]
        out += [client.get(f"{ALTO}/instances/{i}/bandwidth", headers=ALTO_AUTH).content
                for i in sim.altostrat_instance_ids()]
        return out


def test_same_seed_and_clock_give_the_same_bodies():
    first = _bodies(make(FakeClock(), seed=11))
    assert first == _bodies(make(FakeClock(), seed=11))
    assert first != _bodies(make(FakeClock(), seed=12))


def test_hostile_names_only_when_asked(clock):
    def names(sim: Simulator) -> list[str]:
        with serve_in_thread(sim) as server, httpx.Client(verify=False, base_url=server.base_url) as client:
            devices = client.get(f"{HV}/device/", headers=HV_KEY).json()
            instances = client.get(f"{ALTO}/instances", headers=ALTO_AUTH).json()
        return [d["name"] for d in devices] + [d["hostname"] for d in devices] + [
            i["name"] for i in instances]

    plain = names(make(clock))
    assert all("[" not in n and "\x1b" not in n for n in plain)
    hostile = names(make(clock, hostile_names=True))
    assert "[@click=app.quit]x[/]" in hostile and "[bold]unclosed" in hostile
    assert any("\x1b]0;pwned\x07" in n for n in hostile)
    assert any("[$accent]" in n and "\x1b[31m" in n for n in hostile)


def test_request_log_is_bounded(clock):
    sim = make(clock, request_log_size=5)
    with serve_in_thread(sim) as server, httpx.Client(verify=False, base_url=server.base_url) as client:
        for _ in range(8):
            client.get(f"{HV}/device/", headers=HV_KEY, params={"rack_id": 1})
    assert len(sim.requests) == 5
    method, path, query = sim.requests[-1]
    assert (method, path, query) == ("GET", f"{HV}/device/", {"rack_id": "1"})


def test_tokens_stay_out_of_the_config_repr():
    text = repr(SimulatorConfig(hivelocity_token="s3cret-hv", altostrat_token="alto_sk_s3cret"))
    assert "s3cret" not in text


def test_injected_429_on_hivelocity_agrees_with_the_rate_limit_headers(http, sim):
    sim.inject("hivelocity", service_id(sim), faults.status(429, retry_after_s=120))
    response = post_bw(http, sim)
    assert response.status_code == 429
    assert response.json() == {"code": 429, "description": "Your IP is rate limited."}
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.headers["X-RateLimit-Reset"] == "120"
    assert response.headers["Retry-After"] == "120"


def test_fault_with_exact_body_and_path_filter(http, sim):
    sim.inject("hivelocity", service_id(sim), faults.status(
        400, body={"errors": {"step": "too small"}}, path_contains="/image"))
    assert post_bw(http, sim).status_code == 200
    image = http.post(f"{HV}/bandwidth/service/{service_id(sim)}/image",
                      params={"period": "day", "interface": "public"}, headers=HV_KEY)
    assert image.status_code == 400 and image.json() == {"errors": {"step": "too small"}}


def test_in_process_transport_serves_both_apis(sim):
    import asyncio

    async def go() -> tuple[int, int]:
        async with httpx.AsyncClient(transport=sim.transport(), base_url="http://sim") as client:
            devices = await client.get(f"{HV}/device/", headers=HV_KEY)
            instances = await client.get(f"{ALTO}/instances", headers=ALTO_AUTH)
            return devices.status_code, len(instances.json())

    assert asyncio.run(go()) == (200, 3)


def test_default_demo_reset_happens_a_few_simulated_minutes_after_start(clock):
    sim = make(clock, speed=60)
    instance = sim.altostrat_instance_ids()[0]
    before = sim.altostrat_counters(instance)
    clock.advance(5)  # 300 simulated seconds
    after = sim.altostrat_counters(instance)
    assert after[1] < before[1] and after[0] < before[0]


async def test_serve_runs_in_the_callers_event_loop(clock):
    import asyncio
    import socket

    from bwtui.simulator import serve

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sim = make(clock)
    task = asyncio.create_task(serve(sim, "127.0.0.1", port, quiet=True))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", verify=False) as client:
            for _ in range(200):
                try:
                    response = await client.get(f"{HV}/device/", headers=HV_KEY)
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.01)
            assert response.status_code == 200
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
