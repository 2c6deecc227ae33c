"""Hetzner Cloud client: servers (paginated), their traffic counters and network metrics.

``GET /servers`` lists servers page by page (``meta.pagination.next_page``; a page that does not
advance ends the listing with an error, never a loop). Each server states its billing period's
``outgoing_traffic``/``ingoing_traffic`` and ``included_traffic`` in bytes, and its server type's
``price_per_tb_traffic`` per location. Rates come from ``GET /servers/{id}/metrics?type=network``
(bytes/s; at most 500 samples a request). Budget: 3,600 requests/hour per project, i.e. per
token, told by ``RateLimit-Limit``/``-Remaining``/``-Reset`` (an epoch).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from bwtui.model import ErrorKind, Period, ProviderError, Resource, Series, Usage
from bwtui.providers.base import (
    BillingRules,
    ProviderSpec,
    ProviderTraits,
    RateLimitScheme,
    SettingSpec,
)
from bwtui.providers.hetzner_parse import PriceRules, parse_metrics, parse_server_usage, parse_servers_page
from bwtui.providers.http import DEFAULT_MAX_BODY_BYTES, HeaderAuth, HttpApi, HttpProviderClient

DEFAULT_BASE_URL = "https://api.hetzner.cloud/v1"
MESSAGE_KEYS = ("error.message", "error.code", "message")
WINDOW_S = {Period.DAY: 86400, Period.WEEK: 7 * 86400, Period.MONTH: 30 * 86400}
STEP_S = {Period.DAY: 300, Period.WEEK: 1800, Period.MONTH: 7200}
MAX_SAMPLES = 500  # Hetzner adjusts the step above this; we never ask for more
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 50  # the description's maximum for per_page
DEFAULT_MAX_PAGES = 200
RATE_LIMIT = RateLimitScheme(
    documented="3,600 requests/hour per project (token)",
    header_prefix="ratelimit-",
    reset="epoch",
    requests_per_hour=3600,
)


def rfc3339(t: float) -> str:
    """Epoch seconds as the RFC 3339 UTC text Hetzner's metrics endpoint takes."""
    return datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def series_step(period: Period) -> int:
    """The step asked for: the period's own, coarsened so the window holds ≤ 500 samples."""
    period = Period(period)
    return max(STEP_S[period], math.ceil(WINDOW_S[period] / MAX_SAMPLES))


class HetznerClient(HttpProviderClient):
    """One Hetzner Cloud project (``Authorization: Bearer``). Raises only ProviderError."""

    provider = "hetzner"
    traits = ProviderTraits(
        series_step_s=300, usage_interval_s=3600, has_image=False, budget_scope="token"
    )
    _repr_extra = ("per_page",)

    def __init__(
        self,
        account: str,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        per_page: int = DEFAULT_PER_PAGE,
        max_pages: int = DEFAULT_MAX_PAGES,
        price: str = "net",
        tb_bytes: int = 2**40,
        currency: str = "EUR",
    ) -> None:
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be 1..{MAX_PER_PAGE}")
        if max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self.account = account
        self.per_page = per_page
        self.max_pages = max_pages
        self.prices = PriceRules(kind=price, tb_bytes=tb_bytes, currency=currency)
        self._clock = clock
        self._api = HttpApi(
            base_url=base_url,
            auth=HeaderAuth("Authorization", token, prefix="Bearer "),
            http=http,
            timeout_s=timeout_s,
            clock=clock,
            message_keys=MESSAGE_KEYS,
            max_body_bytes=max_body_bytes,
            rate_prefix=RATE_LIMIT.header_prefix,
            rate_reset=RATE_LIMIT.reset,
        )

    async def list_resources(self) -> list[Resource]:
        """Every server, following ``next_page`` until it is null; a stuck page is an error."""
        resources: dict[str, Resource] = {}
        page = 1
        for _ in range(self.max_pages):
            body = await self._api.request_json(
                "GET", "/servers", {"page": page, "per_page": self.per_page}
            )
            found = parse_servers_page(body, self.account, self.prices)
            for resource in found.resources:
                resources.setdefault(resource.id, resource)
            following = found.next_page
            if following is None:
                return list(resources.values())
            if isinstance(following, bool) or not isinstance(following, int) or following <= page:
                raise ProviderError(
                    ErrorKind.BAD_RESPONSE,
                    f"the server list's pagination did not advance (page {page} names "
                    f"{following!r} as the next page); listing stopped after {len(resources)} servers",
                )
            page = following
        raise ProviderError(
            ErrorKind.BAD_RESPONSE,
            f"the server list did not end within {self.max_pages} pages; listing stopped",
        )

    def _path(self, resource: Resource, suffix: str = "") -> str:
        return f"/servers/{quote(resource.id, safe='')}{suffix}"

    async def fetch_usage(self, resource: Resource, period_start: float, now: float) -> Usage:
        """The server's traffic in Hetzner's current billing period (``period_start`` unused)."""
        body = await self._api.request_json("GET", self._path(resource))
        return parse_server_usage(
            body,
            as_of=self._clock(),
            source="GET /servers/{id} (ingoing_traffic, outgoing_traffic)",
        )

    async def fetch_series(self, resource: Resource, period: Period) -> Series:
        """Network rates (bits/s) over the rolling ``period`` window, ≤ 500 samples."""
        period = Period(period)
        step = series_step(period)
        end = self._clock()
        params = {
            "type": "network",
            "start": rfc3339(end - WINDOW_S[period]),
            "end": rfc3339(end),
            "step": step,
        }
        body = await self._api.request_json("GET", self._path(resource, "/metrics"), params)
        return parse_metrics(body, requested_step_s=step)


def _currency_problem(value: str) -> str | None:
    return None if len(value) == 3 and value.isalpha() else f"currency {value!r} is not a 3-letter code"


def _positive(name: str) -> Callable[[int], str | None]:
    return lambda value: None if value > 0 else f"'{name}' must be positive"


SPEC = ProviderSpec(
    name="hetzner",
    label="Hetzner Cloud",
    create=HetznerClient,
    traits=HetznerClient.traits,
    default_base_url=DEFAULT_BASE_URL,
    auth_header="Authorization",
    auth_scheme="Bearer ",
    token_hint="Hetzner Cloud Console → your project → Security → API tokens (read-only is enough)",
    token_env_convention="HCLOUD_TOKEN",
    resource_kind="server",
    rate_limit=RATE_LIMIT,
    billing=BillingRules(
        totals="Hetzner's current billing period (ingoing/outgoing_traffic, bytes)",
        period_source="config",
        allowance_source="api",
        overage_source="api",
        facts=(
            "totals: outgoing/ingoing_traffic, bytes in the current billing period [C: Hetzner spec]",
            "allowance: included_traffic per server, outbound [C: spec; outbound-only per Hetzner docs]",
            "overage: server type's price_per_tb_traffic for the server's location [C: spec]",
            "a 'TB' of price_per_tb_traffic is 2^40 bytes (20 TB included = 21,990,232,555,520) [I]",
            "currency EUR and the calendar-month billing period [I]: settings currency, billing_day",
            "rates: /servers/{id}/metrics network.0.bandwidth.in/out, bytes/s, ≤ 500 samples [C]",
            "budget: 3,600 requests/hour per project, RateLimit-* headers, Reset an epoch [C: docs]",
        ),
    ),
    settings=(
        SettingSpec("price", default="net", choices=("net", "gross"),
                    help="which price_per_tb_traffic figure prices overage (gross includes VAT)"),
        SettingSpec("currency", default="EUR", check=_currency_problem,
                    help="the currency of the project's prices (Hetzner Cloud: EUR)"),
        SettingSpec("tb_bytes", kind="int", default=2**40, check=_positive("tb_bytes"),
                    help="bytes in a 'TB' of price_per_tb_traffic (2^40 as included_traffic suggests)"),
        SettingSpec("per_page", kind="int", default=DEFAULT_PER_PAGE,
                    check=lambda v: None if 1 <= v <= MAX_PER_PAGE else f"per_page must be 1..{MAX_PER_PAGE}",
                    help="servers per listing page (1..50)"),
    ),
    docs_url="https://docs.hetzner.cloud/",
)
