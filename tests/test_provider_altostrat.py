"""Altostrat client over real HTTP on 127.0.0.1: the simulator, plus tiny recording servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bwtui.model import ErrorKind, ProviderError, Resource
from bwtui.providers import make_client
from bwtui.providers.altostrat import AltostratClient
from bwtui.model import Period
from bwtui.simulator import Simulator, SimulatorConfig, faults, serve_in_thread
from http_support import RecordingServer, Reply, json_reply, send

TOKEN = "alto_sk_secret_456"
INSTANCE = Resource("alto", "altostrat", "instance", "d290f1ee", "Primary VPN", "sjc")


def test_make_client_passes_settings_and_hides_the_token():
    client = make_client("altostrat", "alto", TOKEN, base_url="http://127.0.0.1:9", path_prefix="/")
    assert isinstance(client, AltostratClient) and client.path_prefix == ""
    assert TOKEN not in repr(client) and TOKEN not in repr(vars(client))


@pytest.mark.parametrize("prefix", ["vpn", "/vpn?x=1", "/v pn"])
def test_bad_path_prefix_is_refused(prefix):
    with pytest.raises(ValueError, match="path_prefix"):
        AltostratClient("alto", TOKEN, path_prefix=prefix)


def test_plain_http_to_a_remote_host_is_refused():
    with pytest.raises(ValueError, match="https://"):
        AltostratClient("alto", TOKEN, base_url="http://v1.api.altostrat.io")


async def test_series_is_none_for_a_totals_only_provider():
    client = AltostratClient("alto", TOKEN)
    assert await client.fetch_series(INSTANCE, Period.DAY) is None
    assert client.traits.series_step_s is None and client.traits.usage_interval_s == 60
    await client.aclose()


async def test_redirect_is_not_followed_and_bearer_token_stays_home():
    with RecordingServer(json_reply(200, [])) as elsewhere:
        reply: Reply = lambda h, _s: send(h, 301, b"", Location=elsewhere.base_url + "/vpn/instances")  # noqa: E731
        with RecordingServer(reply) as api:
            async with httpx.AsyncClient(follow_redirects=True) as http:
                client = AltostratClient("alto", TOKEN, base_url=api.base_url, http=http)
                with pytest.raises(ProviderError) as caught:
                    await client.list_resources()
    assert "not followed" in caught.value.message
    assert api.seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert elsewhere.seen == []


async def test_data_wrapper_and_older_path_style_are_tolerated():
    payload = {"data": [{"id": "abc", "name": "", "hostname": "h.vpn", "region": "sjc"}]}
    with RecordingServer(json_reply(200, payload)) as api:
        client = AltostratClient("alto", TOKEN, base_url=api.base_url, path_prefix="")
        (instance,) = await client.list_resources()
        await client.aclose()
    assert api.seen[0].path == "/instances"
    assert (instance.id, instance.name, instance.location, instance.kind) == ("abc", "h.vpn", "sjc", "instance")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"type": "invalid_request_error", "code": "unauthenticated", "message": "Bad key"}, "Bad key"),
        ({"message": "Unauthenticated."}, "Unauthenticated."),
    ],
)
async def test_both_error_shapes_give_the_providers_message(payload, expected):
    with RecordingServer(json_reply(401, payload)) as api:
        client = AltostratClient("alto", TOKEN, base_url=api.base_url)
        with pytest.raises(ProviderError) as caught:
            await client.fetch_usage(INSTANCE, 0, 1)
        await client.aclose()
    assert caught.value.kind is ErrorKind.AUTH and caught.value.message == expected


async def test_instance_ids_are_escaped_in_paths():
    hostile = Resource("alto", "altostrat", "instance", "../x?y", "n")
    with RecordingServer(json_reply(200, {"incoming_bytes": 1, "outgoing_bytes": 2})) as api:
        client = AltostratClient("alto", TOKEN, base_url=api.base_url, clock=lambda: 42.0)
        usage = await client.fetch_usage(hostile, 0, 1)
        await client.aclose()
    assert api.seen[0].path == "/vpn/instances/..%2Fx%3Fy/bandwidth"
    assert usage.as_of == 42.0 and usage.source == "GET /vpn/instances/{id}/bandwidth"


# ------------------------------------------------------------------ against the simulator


NOW = 1_767_225_600.0 + 15 * 86400 + 3 * 3600 + 17  # frozen simulated time
SIM_TOKEN = "alto_sk_sim"


def frozen() -> float:
    return NOW


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[tuple[Simulator, str]]:
    sim = Simulator(SimulatorConfig(clock=frozen, altostrat_token=SIM_TOKEN))
    with serve_in_thread(sim) as server:
        yield sim, server.base_url + sim.altostrat_base_path


@pytest.fixture
def sim(shared_sim: tuple[Simulator, str]) -> Iterator[Simulator]:
    shared_sim[0].clear_faults()
    yield shared_sim[0]
    shared_sim[0].clear_faults()


@pytest.fixture
async def client(shared_sim: tuple[Simulator, str]) -> AsyncIterator[AltostratClient]:
    client = AltostratClient("alto", SIM_TOKEN, base_url=shared_sim[1], clock=frozen, timeout_s=5)
    yield client
    await client.aclose()


async def test_lists_every_instance_with_region_and_hostname(sim, client):
    resources = await client.list_resources()
    assert [r.id for r in resources] == [i.id for i in sim.alto_instances]
    for resource, instance in zip(resources, sim.alto_instances):
        assert (resource.kind, resource.provider, resource.account) == ("instance", "altostrat", "alto")
        assert resource.name == instance.name and resource.location == instance.region
        assert resource.hostname == instance.hostname
    assert sim.requests[-1][:2] == ("GET", "/altostrat/vpn/instances")
    assert client.rate_limit is None  # Altostrat sends no rate-limit headers


async def test_usage_is_the_billing_period_counters_as_of_the_reading(sim, client):
    instance = (await client.list_resources())[0]
    usage = await client.fetch_usage(instance, NOW - 86400, NOW)
    assert (usage.period_in_bytes, usage.period_out_bytes) == sim.altostrat_counters(instance.id)
    assert usage.as_of == NOW and usage.source == "GET /vpn/instances/{id}/bandwidth"
    assert sim.requests[-1][:2] == ("GET", f"/altostrat/vpn/instances/{instance.id}/bandwidth")


async def test_older_unprefixed_paths_work_when_configured(shared_sim, sim):
    client = AltostratClient("alto", SIM_TOKEN, base_url=shared_sim[1], path_prefix="", clock=frozen)
    instance = (await client.list_resources())[0]
    assert (await client.fetch_usage(instance, 0, NOW)).period_out_bytes is not None
    await client.aclose()
    assert sim.requests[-1][:2] == ("GET", f"/altostrat/instances/{instance.id}/bandwidth")


async def test_wrong_token_is_auth_error_with_the_middleware_message(shared_sim):
    client = AltostratClient("alto", "alto_sk_wrong", base_url=shared_sim[1])
    with pytest.raises(ProviderError) as caught:
        await client.list_resources()
    await client.aclose()
    assert caught.value.kind is ErrorKind.AUTH and caught.value.message == "Unauthenticated."
    assert "alto_sk_wrong" not in str(caught.value)


async def test_unknown_instance_is_not_found(sim, client):
    ghost = Resource("alto", "altostrat", "instance", "no-such-instance", "ghost")
    with pytest.raises(ProviderError) as caught:
        await client.fetch_usage(ghost, 0, NOW)
    assert caught.value.kind is ErrorKind.NOT_FOUND and caught.value.message == "Instance not found."


@pytest.mark.parametrize(
    ("status", "kind", "message"),
    [
        (400, ErrorKind.BAD_RESPONSE, "HTTP 400"),
        (401, ErrorKind.AUTH, "Unauthenticated."),
        (403, ErrorKind.FORBIDDEN, "This action is unauthorized. Missing scope vpn:view."),
        (404, ErrorKind.NOT_FOUND, "The requested resource was not found."),
        (429, ErrorKind.RATE_LIMITED, "Too Many Attempts."),
        (500, ErrorKind.SERVER, "HTTP 500"),
        (503, ErrorKind.SERVER, "HTTP 503"),
    ],
)
async def test_every_error_status_maps_to_its_kind_on_that_instance_only(sim, client, status, kind, message):
    broken, healthy = (await client.list_resources())[:2]
    sim.inject("altostrat", broken.id, faults.status(status, retry_after_s=12 if status == 429 else None))
    with pytest.raises(ProviderError) as caught:
        await client.fetch_usage(broken, 0, NOW)
    assert caught.value.kind is kind and caught.value.status == status
    assert caught.value.message == message
    if status == 429:
        assert caught.value.retry_after_s == 12
    assert (await client.fetch_usage(healthy, 0, NOW)).period_in_bytes is not None


async def test_account_wide_outage_fails_the_listing(sim, client):
    sim.inject("altostrat", None, faults.status(502))
    with pytest.raises(ProviderError) as caught:
        await client.list_resources()
    assert caught.value.kind is ErrorKind.SERVER


@pytest.mark.parametrize(
    "fault",
    [faults.malformed_json(), faults.truncated_json(), faults.wrong_types()],
    ids=["malformed", "truncated", "wrong-types"],
)
async def test_broken_bodies_are_bad_response(sim, client, fault):
    instance = (await client.list_resources())[0]
    sim.inject("altostrat", instance.id, fault)
    with pytest.raises(ProviderError) as caught:
        await client.fetch_usage(instance, 0, NOW)
    assert caught.value.kind is ErrorKind.BAD_RESPONSE


async def test_transport_faults_are_network_timeout_and_size_errors(shared_sim, sim):
    client = AltostratClient("alto", SIM_TOKEN, base_url=shared_sim[1], timeout_s=0.25, max_body_bytes=100_000)
    first, second, third = (await client.list_resources())[:3]
    sim.inject("altostrat", first.id, faults.drop_connection())
    sim.inject("altostrat", second.id, faults.slow_drip(bytes_per_s=150))
    sim.inject("altostrat", third.id, faults.huge(size_bytes=300_000))
    outcomes = []
    for instance in (first, second, third):
        with pytest.raises(ProviderError) as caught:
            await client.fetch_usage(instance, 0, NOW)
        outcomes.append(caught.value.kind)
    await client.aclose()
    assert outcomes == [ErrorKind.NETWORK, ErrorKind.TIMEOUT, ErrorKind.BAD_RESPONSE]
