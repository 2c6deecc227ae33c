"""A minimal bwtui provider: "nodes" with billing-period byte counters (totals only).

The API (served by ``bwtui_example.simulator`` for tests):
``GET /nodes`` → ``{"nodes": [{"id", "name", "site"}]}``;
``GET /nodes/{id}/traffic`` → ``{"rx_bytes", "tx_bytes"}`` for the current billing period.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

import httpx

from bwtui.model import ErrorKind, Period, ProviderError, Resource, Series, Usage
from bwtui.providers.base import BillingRules, ProviderSpec, ProviderTraits, RateLimitScheme, SettingSpec
from bwtui.providers.http import DEFAULT_MAX_BODY_BYTES, HeaderAuth, HttpApi, HttpProviderClient


class ExampleClient(HttpProviderClient):
    """One account of the example API (``Authorization: Bearer``)."""

    provider = "example"
    traits = ProviderTraits(series_step_s=None, usage_interval_s=300, rate_basis="derived")

    def __init__(self, account: str, token: str, *, base_url: str = "https://api.example.net/v1",
                 http: httpx.AsyncClient | None = None, timeout_s: float = 10.0,
                 clock: Callable[[], float] = time.time, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 site: str | None = None) -> None:
        self.account = account
        self.site = site
        self._clock = clock
        self._api = HttpApi(base_url=base_url, auth=HeaderAuth("Authorization", token, prefix="Bearer "),
                            http=http, timeout_s=timeout_s, clock=clock, message_keys=("message",),
                            max_body_bytes=max_body_bytes)

    async def list_resources(self) -> list[Resource]:
        body = await self._api.request_json("GET", "/nodes")
        nodes = body.get("nodes") if isinstance(body, dict) else None
        if not isinstance(nodes, list):
            raise ProviderError(ErrorKind.BAD_RESPONSE, "the answer has no 'nodes' list")
        return [
            Resource(self.account, "example", "node", str(n["id"]), str(n.get("name") or n["id"]), n.get("site"))
            for n in nodes
            if isinstance(n, dict) and isinstance(n.get("id"), str) and (self.site is None or n.get("site") == self.site)
        ]

    async def fetch_usage(self, resource: Resource, period_start: float, now: float) -> Usage:
        body = await self._api.request_json("GET", f"/nodes/{quote(resource.id, safe='')}/traffic")
        if not isinstance(body, dict) or not all(isinstance(body.get(k), int) for k in ("rx_bytes", "tx_bytes")):
            raise ProviderError(ErrorKind.BAD_RESPONSE, "traffic needs rx_bytes and tx_bytes")
        return Usage(body["rx_bytes"], body["tx_bytes"], self._clock(), source="GET /nodes/{id}/traffic")

    async def fetch_series(self, resource: Resource, period: Period) -> Series | None:
        return None  # totals only: bwtui derives rates from successive readings


SPEC = ProviderSpec(
    name="example",
    label="Example Cloud",
    create=ExampleClient,
    traits=ExampleClient.traits,
    default_base_url="https://api.example.net/v1",
    auth_header="Authorization",
    auth_scheme="Bearer ",
    token_hint="Example console → API tokens",
    resource_kind="node",
    rate_limit=RateLimitScheme(documented="600 requests/hour per token", requests_per_hour=600),
    billing=BillingRules(totals="the current billing period's byte counters",
                         facts=("totals: rx/tx bytes for the billing period [example]",)),
    settings=(SettingSpec("site", help="only list the nodes of this site"),),
)
