"""What every provider request carries, and what the shared HTTP plumbing reuses between them."""

from __future__ import annotations

import time

import httpx
import pytest

from http_support import RecordingServer, json_reply

from bwtui.providers.http import USER_AGENT, HeaderAuth, HttpApi, build_async_client


def api_for(base_url: str, token: str = "tok-123456") -> HttpApi:
    return HttpApi(base_url=base_url, auth=HeaderAuth("X-API-KEY", token), clock=time.time,
                   message_keys=("message",))


def test_plain_http_clients_share_one_bare_context_that_loads_no_certificates() -> None:
    first, second = build_async_client(5.0, tls=False), build_async_client(3.0, tls=False)
    verifying = build_async_client(5.0)
    bare = first._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert bare is second._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert bare.cert_store_stats()["x509_ca"] == 0
    assert bare is not verifying._transport._pool._ssl_context  # type: ignore[attr-defined]


async def test_every_request_carries_accept_user_agent_and_the_token() -> None:
    with RecordingServer(json_reply(200, {"ok": True})) as server:
        api = api_for(server.base_url)
        try:
            for path in ("/one", "/two", "/three"):
                assert await api.request_json("GET", path, {"n": 1}) == {"ok": True}
        finally:
            await api.aclose()
    assert [seen.path for seen in server.seen] == ["/one?n=1", "/two?n=1", "/three?n=1"]
    for seen in server.seen:
        assert seen.headers["accept"] == "application/json"
        assert seen.headers["user-agent"] == USER_AGENT
        assert seen.headers["x-api-key"] == "tok-123456"


async def test_a_replaced_token_is_sent_from_the_next_request_on() -> None:
    with RecordingServer(json_reply(200, [])) as server:
        api = api_for(server.base_url)
        try:
            await api.request_json("GET", "/a")
            api.replace_token("tok-654321")
            await api.request_json("GET", "/b")
        finally:
            await api.aclose()
    assert [seen.headers["x-api-key"] for seen in server.seen] == ["tok-123456", "tok-654321"]


@pytest.mark.parametrize("path", ["/servers/a%2Fb/metrics", "/list?fields=id"])
@pytest.mark.parametrize("params", [
    {"period": "day", "interface": "public", "step": 300},
    {"cursor": "bmV4dD0x+/==", "per_page": 100},
    {"start": "2026-01-01T00:00:00+00:00", "name": "ä b&c=d"},
    {},
])
async def test_the_query_is_what_httpx_would_build_from_the_same_params(path, params) -> None:
    sent: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url)
        return httpx.Response(200, json=[])

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    api = HttpApi(base_url="https://api.example.com/v2", auth=HeaderAuth("X-API-KEY", "tok-123456"),
                  http=http, clock=time.time, message_keys=())
    await api.request_json("GET", path, params)
    await http.aclose()
    expected = http.build_request("GET", "https://api.example.com/v2" + path, params=params).url
    assert sent == [expected] and str(sent[0]) == str(expected)
