"""Hivelocity client over real HTTP on 127.0.0.1: the simulator, plus tiny recording servers."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest

from bwtui.model import ErrorKind, ProviderError, Resource
from bwtui.providers import make_client, provider_names
from bwtui.model import Period
from bwtui.providers.base import ProviderClient
from bwtui.providers.hivelocity import HivelocityClient
from bwtui.providers.hivelocity_parse import LegendRules
from bwtui.simulator import Simulator, SimulatorConfig, faults, serve_in_thread
from http_support import RecordingServer, Reply, Seen, json_reply, send

TOKEN = "hv-secret-token-123"

# ------------------------------------------------------------------ construction and secrets


def test_make_client_builds_both_providers_and_rejects_unknown_names():
    client = make_client("hivelocity", "hv", TOKEN, base_url=None, interface="public")
    assert isinstance(client, HivelocityClient) and isinstance(client, ProviderClient)
    assert {"hivelocity", "altostrat", "hetzner", "vultr"} <= set(provider_names())
    with pytest.raises(ValueError, match="installed providers: hivelocity, altostrat"):
        make_client("linode", "x", TOKEN)


@pytest.mark.parametrize(
    "url", ["http://core.hivelocity.net/api/v2", "http://10.0.0.1/api", "ftp://127.0.0.1/x"]
)
def test_plain_http_to_a_remote_host_is_refused_at_construction(url):
    with pytest.raises(ValueError, match="https://"):
        HivelocityClient("hv", TOKEN, base_url=url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/api", "http://127.9.9.9/x", "http://[::1]:8/a", "http://localhost/a"])
def test_plain_http_to_loopback_is_allowed(url):
    assert HivelocityClient("hv", TOKEN, base_url=url).base_url.startswith("http://")


def test_token_never_appears_in_repr_or_vars():
    client = HivelocityClient("hv", TOKEN)
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(vars(client))
    assert TOKEN not in repr(vars(client._api))


def test_unsupported_method_setting_is_refused():
    with pytest.raises(ValueError, match="POST"):
        HivelocityClient("hv", TOKEN, method="PUT")


# ------------------------------------------------------------------ transport-level hostility

SERVICE = Resource("hv", "hivelocity", "service", "1001", "web-1", "TPA1")


async def test_redirect_to_another_host_is_not_followed_and_key_is_not_sent_there():
    with RecordingServer(json_reply(200, [])) as elsewhere:
        target = elsewhere.base_url.replace("127.0.0.1", "localhost") + "/steal"

        def redirect(handler: BaseHTTPRequestHandler, _seen: Seen) -> None:
            send(handler, 302, b"", Location=target)

        with RecordingServer(redirect) as api:
            client = HivelocityClient("hv", TOKEN, base_url=api.base_url + "/api/v2")
            with pytest.raises(ProviderError) as caught:
                await client.list_resources()
            await client.aclose()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert "redirect" in caught.value.message and "not followed" in caught.value.message
    assert api.seen[0].headers["x-api-key"] == TOKEN  # it went to the configured host
    assert elsewhere.seen == []  # and nowhere else
    assert TOKEN not in str(caught.value)


async def test_injected_client_that_follows_redirects_still_does_not_follow():
    with RecordingServer(json_reply(200, [])) as elsewhere:
        reply: Reply = lambda h, _s: send(h, 307, b"", Location=elsewhere.base_url + "/x")  # noqa: E731
        with RecordingServer(reply) as api:
            async with httpx.AsyncClient(follow_redirects=True) as http:
                client = HivelocityClient("hv", TOKEN, base_url=api.base_url, http=http)
                with pytest.raises(ProviderError):
                    await client.fetch_series(SERVICE, Period.DAY)
    assert elsewhere.seen == []


async def test_slow_drip_body_hits_the_overall_deadline():
    def drip(handler: BaseHTTPRequestHandler, _seen: Seen) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        for _ in range(200):  # ~0.02 s a byte: each read is quick, the whole is not
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.02)

    with RecordingServer(drip) as api:
        client = HivelocityClient("hv", TOKEN, base_url=api.base_url, timeout_s=0.3)
        with pytest.raises(ProviderError) as caught:
            await client.list_resources()
        await client.aclose()
    assert caught.value.kind is ErrorKind.TIMEOUT


async def test_oversized_body_is_bad_response_not_memory():
    big = b"[" + b"1," * 5000 + b"1]"

    def chunked(handler: BaseHTTPRequestHandler, _seen: Seen) -> None:  # no Content-Length
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for start in range(0, len(big), 1000):
            part = big[start : start + 1000]
            handler.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")

    with RecordingServer(chunked) as api:
        client = HivelocityClient("hv", TOKEN, base_url=api.base_url, max_body_bytes=4000)
        with pytest.raises(ProviderError) as caught:
            await client.list_resources()
        await client.aclose()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE and "larger than" in caught.value.message


async def test_nothing_listening_is_a_network_error():
    with RecordingServer(json_reply(200, [])) as gone:
        base_url = gone.base_url
    client = HivelocityClient("hv", TOKEN, base_url=base_url)
    with pytest.raises(ProviderError) as caught:
        await client.list_resources()
    await client.aclose()
    assert caught.value.kind is ErrorKind.NETWORK


async def test_retry_after_http_date_and_ratelimit_headers_are_read():
    now = 1_800_000_000.0
    date = "Fri, 15 Jan 2027 08:00:30 GMT"  # 1_800_000_030
    reply = json_reply(
        429,
        {"code": 429, "description": "Your IP is rate limited."},
        Retry_After=date,
        X_RateLimit_Limit="3600",
        X_RateLimit_Remaining="0",
        X_RateLimit_Reset="1200",
    )
    with RecordingServer(reply) as api:
        client = HivelocityClient("hv", TOKEN, base_url=api.base_url, clock=lambda: now)
        with pytest.raises(ProviderError) as caught:
            await client.list_resources()
        await client.aclose()
    assert caught.value.kind is ErrorKind.RATE_LIMITED
    assert caught.value.message == "Your IP is rate limited."
    assert caught.value.retry_after_s == pytest.approx(30)
    assert client.rate_limit is not None
    assert (client.rate_limit.limit, client.rate_limit.remaining) == (3600, 0)
    assert client.rate_limit.reset_s == 1200 and client.rate_limit.observed_at == now


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"code": 400, "schema_errors": {"step": ["Not a valid integer."]}}, "step: Not a valid integer."),
        ({"code": 400, "errors": {"period": "bad value"}}, "period: bad value"),
        ({"code": 400, "message": ["one", "two"]}, "one; two"),
        ({"code": 400, "message": "[@click=app.quit]x[/]"}, "[@click=app.quit]x[/]"),
    ],
)
async def test_error_messages_are_taken_from_every_hivelocity_shape_literally(payload, expected):
    with RecordingServer(json_reply(400, payload)) as api:
        client = HivelocityClient("hv", TOKEN, base_url=api.base_url)
        with pytest.raises(ProviderError) as caught:
            await client.fetch_usage(SERVICE, 0, 1000)
        await client.aclose()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE and caught.value.message == expected


async def test_non_json_error_body_falls_back_to_a_short_text_excerpt():
    html = b"<html><body>" + b"Bad gateway " * 200 + b"</body></html>"
    with RecordingServer(lambda h, _s: send(h, 502, html)) as api:
        client = HivelocityClient("hv", TOKEN, base_url=api.base_url)
        with pytest.raises(ProviderError) as caught:
            await client.list_resources()
        await client.aclose()
    assert caught.value.kind is ErrorKind.SERVER
    assert caught.value.message.startswith("<html><body>Bad gateway") and len(caught.value.message) <= 300


async def test_bandwidth_requests_are_post_with_query_params_and_empty_body():
    png_b64 = "iVBORw0KGgo="  # the 8-byte PNG signature
    payload = [{"interface": "public", "graphImage": png_b64}]
    with RecordingServer(json_reply(200, payload)) as api:
        client = HivelocityClient("hv", TOKEN, base_url=api.base_url + "/api/v2", interface="eth0")
        assert (await client.fetch_image(SERVICE, Period.WEEK)).startswith(b"\x89PNG")
        await client.aclose()
    (seen,) = api.seen
    assert seen.method == "POST" and seen.body == b""
    assert seen.path == "/api/v2/bandwidth/service/1001/image?period=week&interface=eth0"


async def test_get_method_is_a_setting():
    with RecordingServer(json_reply(200, [{"metadata": {"totals": {"In Xfer": 8, "Out Xfer": 16}}}])) as api:
        client = HivelocityClient("hv", TOKEN, base_url=api.base_url, method="GET")
        usage = await client.fetch_usage(SERVICE, 100.0, 200.0)
        await client.aclose()
    assert api.seen[0].method == "GET" and (usage.period_in_bytes, usage.period_out_bytes) == (1, 2)


# ------------------------------------------------------------------ against the simulator


NOW = 1_767_225_600.0 + 15 * 86400 + 3 * 3600 + 17  # 2026-01-16T03:00:17Z, frozen
SIM_TOKEN = "hv-sim-key"


def frozen() -> float:
    return NOW


@contextmanager
def simulator(**config: object) -> Iterator[tuple[Simulator, str]]:
    """A simulator on 127.0.0.1 with a frozen clock: (sim, hivelocity base URL)."""
    sim = Simulator(SimulatorConfig(clock=frozen, hivelocity_token=SIM_TOKEN, **config))  # type: ignore[arg-type]
    with serve_in_thread(sim) as server:
        yield sim, server.base_url + sim.hivelocity_base_url_path


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[tuple[Simulator, str]]:
    with simulator() as running:
        yield running


@pytest.fixture
def sim(shared_sim: tuple[Simulator, str]) -> Iterator[Simulator]:
    shared_sim[0].clear_faults()
    shared_sim[0].reset_rate_limit()
    yield shared_sim[0]
    shared_sim[0].clear_faults()


@pytest.fixture
async def client(shared_sim: tuple[Simulator, str]) -> AsyncIterator[HivelocityClient]:
    client = HivelocityClient("hv", SIM_TOKEN, base_url=shared_sim[1], clock=frozen, timeout_s=5)
    yield client
    await client.aclose()


async def first_service(client: HivelocityClient) -> Resource:
    return (await client.list_resources())[0]


async def test_lists_one_service_per_device_with_name_and_facility(sim, client):
    resources = await client.list_resources()
    assert [r.id for r in resources] == [str(s.service_id) for s in sim.hv_services]
    by_id = {str(s.service_id): s for s in sim.hv_services}
    for resource in resources:
        service = by_id[resource.id]
        assert (resource.kind, resource.provider, resource.account) == ("service", "hivelocity", "hv")
        assert resource.name == (service.name or service.hostname)
        assert resource.location == service.facility and resource.device_id == str(service.device_id)
    assert sim.requests[-1][:2] == ("GET", "/hivelocity/api/v2/device/")
    assert client.rate_limit is not None and client.rate_limit.limit == 3600
    assert client.rate_limit.observed_at == NOW


@pytest.mark.parametrize(("period", "step_s"), [(Period.DAY, 300), (Period.WEEK, 1800), (Period.MONTH, 7200)])
async def test_series_for_each_period_posts_the_documented_query(sim, client, period, step_s):
    service = await first_service(client)
    series = await client.fetch_series(service, period)
    method, path, query = sim.requests[-1]
    assert (method, path) == ("POST", f"/hivelocity/api/v2/bandwidth/service/{service.id}")
    assert query == {"period": period.value, "interface": "public", "step": str(step_s)}
    assert series.step_s >= step_s and series.samples and series.latest is not None
    assert series.samples[-1].t <= NOW
    assert all(b.t - a.t == series.step_s for a, b in zip(series.samples, series.samples[1:]))
    assert series.out_95th_bps is not None and series.out_95th_bps > 0


async def test_usage_is_the_window_transfer_in_bytes(sim, client):
    service = await first_service(client)
    start = service.billing.period_start  # the service's own cycle (GET /service/ lastRenew)
    usage = await client.fetch_usage(service, NOW - 10 * 86400, NOW)
    in_bits, out_bits = sim.hivelocity_totals_bits(service.id, int(start), int(NOW))
    assert (usage.period_in_bytes, usage.period_out_bytes) == (in_bits // 8, out_bits // 8)
    assert usage.period_start == start and usage.as_of is not None and usage.as_of <= NOW
    assert usage.source == f"POST /bandwidth/service/{service.id} (public)"
    assert sim.requests[-1].query == {
        "period": "custom", "interface": "public", "step": "3600",
        "start": str(int(start)), "end": str(int(NOW)),
    }  # fmt: skip


async def test_image_is_decoded_png(sim, client):
    service = await first_service(client)
    png = await client.fetch_image(service, Period.DAY)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert sim.requests[-1][:2] == ("POST", f"/hivelocity/api/v2/bandwidth/service/{service.id}/image")


async def test_wrong_key_is_auth_error_with_the_providers_message(shared_sim):
    client = HivelocityClient("hv", "not-the-key", base_url=shared_sim[1])
    with pytest.raises(ProviderError) as caught:
        await client.list_resources()
    await client.aclose()
    assert caught.value.kind is ErrorKind.AUTH and caught.value.status == 401
    assert caught.value.message == "Your API key is invalid or missing."
    assert "not-the-key" not in str(caught.value)


async def test_unknown_service_is_not_found(sim, client):
    ghost = Resource("hv", "hivelocity", "service", "999999999", "ghost")
    with pytest.raises(ProviderError) as caught:
        await client.fetch_series(ghost, Period.DAY)
    assert caught.value.kind is ErrorKind.NOT_FOUND and "999999999" in caught.value.message


async def test_get_on_bandwidth_is_rejected_with_405_unless_the_server_accepts_it(shared_sim):
    client = HivelocityClient("hv", SIM_TOKEN, base_url=shared_sim[1], method="GET", clock=frozen)
    service = await first_service(client)
    with pytest.raises(ProviderError) as caught:
        await client.fetch_series(service, Period.DAY)
    await client.aclose()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE and caught.value.status == 405
    assert "rejected the GET method" in caught.value.message
    with simulator(accept_get_on_bandwidth=True) as (_sim, base_url):
        client = HivelocityClient("hv", SIM_TOKEN, base_url=base_url, method="GET", clock=frozen)
        assert (await client.fetch_series(service, Period.DAY)).samples
        await client.aclose()


@pytest.mark.parametrize(
    ("status", "kind", "message"),
    [
        (400, ErrorKind.BAD_RESPONSE, "Bad request."),
        (401, ErrorKind.AUTH, "Your API key is invalid or missing."),
        (403, ErrorKind.FORBIDDEN, "You have not been granted permission"),
        (404, ErrorKind.NOT_FOUND, "Not found."),
        (429, ErrorKind.RATE_LIMITED, "Your IP is rate limited."),
        (500, ErrorKind.SERVER, "Internal server error."),
        (502, ErrorKind.SERVER, "Bad gateway."),
        (503, ErrorKind.SERVER, "Service temporarily unavailable."),
    ],
)
async def test_every_documented_status_maps_to_its_kind_on_that_service_only(sim, client, status, kind, message):
    services = await client.list_resources()
    broken, healthy = services[0], services[1]
    sim.inject("hivelocity", broken.id, faults.status(status, retry_after_s=7 if status == 429 else None))
    for call in (client.fetch_series(broken, Period.DAY), client.fetch_usage(broken, NOW - 86400, NOW)):
        with pytest.raises(ProviderError) as caught:
            await call
        assert caught.value.kind is kind and caught.value.status == status
        assert caught.value.message.startswith(message)
        if status == 429:
            assert caught.value.retry_after_s == 7
    assert (await client.fetch_series(healthy, Period.DAY)).samples


async def test_spent_hourly_budget_gives_429_with_reset_as_retry_after():
    with simulator(rate_limit_per_hour=3) as (_sim, base_url):
        client = HivelocityClient("hv", SIM_TOKEN, base_url=base_url, clock=frozen)
        service = await first_service(client)  # GET /service/ and GET /device/
        assert client.rate_limit is not None and client.rate_limit.remaining == 1
        await client.fetch_usage(service, NOW - 3600, NOW)
        assert client.rate_limit.remaining == 0
        with pytest.raises(ProviderError) as caught:
            await client.fetch_series(service, Period.DAY)
        await client.aclose()
    assert caught.value.kind is ErrorKind.RATE_LIMITED
    assert caught.value.retry_after_s == pytest.approx(3600, abs=1)


@pytest.mark.parametrize(
    "fault",
    [faults.malformed_json(), faults.truncated_json(), faults.wrong_types(), faults.empty_metadata()],
    ids=["malformed", "truncated", "wrong-types", "empty-metadata"],
)
async def test_broken_bodies_are_bad_response_on_that_service(sim, client, fault):
    service = await first_service(client)
    sim.inject("hivelocity", service.id, fault)
    for call in (client.fetch_series(service, Period.DAY), client.fetch_usage(service, NOW - 86400, NOW)):
        with pytest.raises(ProviderError) as caught:
            await call
        assert caught.value.kind is ErrorKind.BAD_RESPONSE


async def test_huge_body_is_cut_off_at_the_cap(shared_sim, sim):
    client = HivelocityClient("hv", SIM_TOKEN, base_url=shared_sim[1], max_body_bytes=500_000)
    service = await first_service(client)
    sim.inject("hivelocity", service.id, faults.huge(size_bytes=2_000_000))
    with pytest.raises(ProviderError) as caught:
        await client.fetch_series(service, Period.DAY)
    await client.aclose()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE and "larger than 500000" in caught.value.message


async def test_dropped_connection_is_network_error(sim, client):
    service = await first_service(client)
    sim.inject("hivelocity", service.id, faults.drop_connection())
    with pytest.raises(ProviderError) as caught:
        await client.fetch_series(service, Period.DAY)
    assert caught.value.kind is ErrorKind.NETWORK


async def test_slow_drip_is_a_timeout(shared_sim, sim):
    client = HivelocityClient("hv", SIM_TOKEN, base_url=shared_sim[1], timeout_s=0.25)
    service = await first_service(client)
    sim.inject("hivelocity", service.id, faults.slow_drip(bytes_per_s=10_000))
    with pytest.raises(ProviderError) as caught:
        await client.fetch_series(service, Period.DAY)
    await client.aclose()
    assert caught.value.kind is ErrorKind.TIMEOUT


@pytest.mark.parametrize("style", ["null", "nan"])
async def test_gaps_stay_gaps_not_zeros(sim, client, style):
    service = await first_service(client)
    sim.inject("hivelocity", service.id, faults.gaps(every=3, style=style))
    series = await client.fetch_series(service, Period.DAY)
    gaps = [s for s in series.samples if s.in_bps is None and s.out_bps is None]
    assert len(gaps) == len(series.samples) // 3
    assert all(s.out_bps != 0 for s in series.samples)


async def test_timestamp_column_variant_gives_the_same_series(sim, client):
    service = await first_service(client)
    plain = await client.fetch_series(service, Period.DAY)
    sim.inject("hivelocity", service.id, faults.timestamp_column())
    assert await client.fetch_series(service, Period.DAY) == plain


async def test_legend_names_are_matched_by_name_and_are_settings():
    with simulator(legend=("Outbound", "Inbound")) as (_sim, base_url):
        client = HivelocityClient("hv", SIM_TOKEN, base_url=base_url, clock=frozen)
        service = await first_service(client)
        swapped = await client.fetch_series(service, Period.DAY)
        await client.aclose()
    with simulator() as (_sim, base_url):
        client = HivelocityClient("hv", SIM_TOKEN, base_url=base_url, clock=frozen)
        assert await client.fetch_series(service, Period.DAY) == swapped
        await client.aclose()
    with simulator(legend=("rx_in", "out_tx")) as (_sim, base_url):
        client = HivelocityClient("hv", SIM_TOKEN, base_url=base_url, clock=frozen)
        with pytest.raises(ProviderError) as caught:
            await client.fetch_series(service, Period.DAY)
        await client.aclose()
        assert caught.value.kind is ErrorKind.BAD_RESPONSE and "legend" in caught.value.message
        rules = LegendRules(in_prefix="rx", out_prefix="out_tx")
        client = HivelocityClient("hv", SIM_TOKEN, base_url=base_url, clock=frozen, legend=rules)
        assert await client.fetch_series(service, Period.DAY) == swapped
        await client.aclose()


async def test_every_request_the_client_sends_conforms_to_the_swagger_spec(shared_sim, sim):
    from swagger_check import check_request, spec_available

    if not spec_available():
        pytest.skip("hivelocity-v2-swagger.yaml not found")
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as http:
        client = HivelocityClient("hv", SIM_TOKEN, base_url=shared_sim[1], http=http, clock=frozen)
        service = await first_service(client)
        for period in Period:
            await client.fetch_series(service, period)
            await client.fetch_image(service, period)
        await client.fetch_usage(service, NOW - 86400 * 3.5, NOW)
    assert len(sent) == 9  # GET /service/, GET /device/, 3 series, 3 images, 1 usage
    for request in sent:
        assert request.content == b""
        problems = check_request(
            request.method, request.url.path, dict(request.url.params), dict(request.headers)
        )
        assert not problems, f"{request.method} {request.url}: {problems}"


@pytest.mark.parametrize("token", ["", "key with space", "key\n", "ключ"])
def test_unusable_tokens_are_refused_without_echoing_them(token):
    with pytest.raises(ValueError) as caught:
        HivelocityClient("hv", token)
    assert token.strip() == "" or token.strip() not in str(caught.value)


async def test_hostile_names_come_back_verbatim():
    with simulator(hostile_names=True) as (sim, base_url):
        client = HivelocityClient("hv", SIM_TOKEN, base_url=base_url, clock=frozen)
        resources = await client.list_resources()
        await client.aclose()
    expected = {str(s.service_id): s.name.strip() and s.name or s.hostname for s in sim.hv_services}
    assert {r.id: r.name for r in resources} == expected


def test_importing_the_providers_does_not_import_textual():
    code = "import sys, bwtui.providers; assert 'textual' not in sys.modules, 'textual imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
