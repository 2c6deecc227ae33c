"""Vultr API v2 client: instances (cursor pagination) and their per-UTC-day bandwidth.

Vultr reports bytes per UTC day, refreshed periodically, never in real time. So the rates bwtui
shows for a Vultr instance are each day's average (the newest: today so far), marked with
``Resource.rate_basis = "daily_average"`` and a one-day ``Series.step_s``; the billing totals are
the sum of the days since the period's start. ``allowed_bandwidth`` (GB a month) is the
instance's share of the account's pooled allowance (``BillingTerms.pool``). Vultr answers 429
above about 30 requests a second per IP and sends no rate-limit headers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
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
from bwtui.providers.http import DEFAULT_MAX_BODY_BYTES, HeaderAuth, HttpApi, HttpProviderClient
from bwtui.providers.vultr_parse import (
    DAY_S,
    Day,
    daily_series,
    parse_bandwidth,
    parse_instances_page,
    period_usage,
)

DEFAULT_BASE_URL = "https://api.vultr.com/v2"
MESSAGE_KEYS = ("error", "message")
WINDOW_DAYS = {Period.DAY: 2, Period.WEEK: 7, Period.MONTH: 31}
MAX_DATE_RANGE = 60  # the description's maximum for date_range
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500
DEFAULT_MAX_PAGES = 200
CACHE_S = 60.0  # the day table is refreshed periodically by Vultr: one read serves rates and totals


class VultrClient(HttpProviderClient):
    """One Vultr account (``Authorization: Bearer``). Raises only ProviderError from its calls."""

    provider = "vultr"
    traits = ProviderTraits(
        series_step_s=DAY_S,
        usage_interval_s=3600,
        has_image=False,
        budget_scope="host",
        series_refresh_s=3600,
        rate_basis="daily_average",
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
        gb_bytes: int = 10**9,
    ) -> None:
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be 1..{MAX_PER_PAGE}")
        if max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self.account = account
        self.per_page = per_page
        self.max_pages = max_pages
        self.gb_bytes = gb_bytes
        self._clock = clock
        self._days: dict[str, tuple[float, int, list[Day]]] = {}  # id -> (read at, range, days)
        self._api = HttpApi(
            base_url=base_url,
            auth=HeaderAuth("Authorization", token, prefix="Bearer "),
            http=http,
            timeout_s=timeout_s,
            clock=clock,
            message_keys=MESSAGE_KEYS,
            max_body_bytes=max_body_bytes,
            rate_prefix=None,
        )

    async def list_resources(self) -> list[Resource]:
        """Every instance, following ``meta.links.next``; a cursor seen twice is an error."""
        resources: dict[str, Resource] = {}
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(self.max_pages):
            params: dict[str, str | int] = {"per_page": self.per_page}
            if cursor:
                params["cursor"] = cursor
            body = await self._api.request_json("GET", "/instances", params)
            page = parse_instances_page(body, self.account, self.gb_bytes)
            for resource in page.resources:
                resources.setdefault(resource.id, resource)
            if page.next_cursor is None:
                self._days = {k: v for k, v in self._days.items() if k in resources}
                return list(resources.values())
            if page.next_cursor in seen or page.next_cursor == cursor:
                raise ProviderError(
                    ErrorKind.BAD_RESPONSE,
                    "the instance list's cursor repeated (meta.links.next points back); listing "
                    f"stopped after {len(resources)} instances",
                )
            seen.add(page.next_cursor)
            cursor = page.next_cursor
        raise ProviderError(
            ErrorKind.BAD_RESPONSE, f"the instance list did not end within {self.max_pages} pages"
        )

    async def _read_days(self, resource: Resource, days_needed: int) -> list[Day]:
        """The instance's day table covering ``days_needed`` days (one read serves a minute)."""
        days_needed = max(1, min(MAX_DATE_RANGE, days_needed))
        now = self._clock()
        cached = self._days.get(resource.id)
        if cached is not None and now - cached[0] < CACHE_S and cached[1] >= days_needed:
            return cached[2]
        path = f"/instances/{quote(resource.id, safe='')}/bandwidth"
        days = parse_bandwidth(await self._api.request_json("GET", path, {"date_range": days_needed}))
        self._days[resource.id] = (now, days_needed, days)
        return days

    async def fetch_series(self, resource: Resource, period: Period) -> Series:
        """Each UTC day's average rate over the window (never live); today's is the day so far."""
        days_wanted = WINDOW_DAYS[Period(period)]
        days = await self._read_days(resource, max(days_wanted, WINDOW_DAYS[Period.MONTH]))
        now = self._clock()
        return daily_series(days, now, now - days_wanted * DAY_S)

    async def fetch_usage(self, resource: Resource, period_start: float, now: float) -> Usage:
        """The sum of the UTC days from ``period_start``'s day through today."""
        needed = math.floor(now / DAY_S) - math.floor(period_start / DAY_S) + 1
        days = await self._read_days(resource, max(needed, WINDOW_DAYS[Period.MONTH]))
        return period_usage(
            days,
            period_start,
            as_of=self._clock(),
            source="GET /instances/{id}/bandwidth (sum of UTC days since the period's start)",
        )


SPEC = ProviderSpec(
    name="vultr",
    label="Vultr",
    create=VultrClient,
    traits=VultrClient.traits,
    default_base_url=DEFAULT_BASE_URL,
    auth_header="Authorization",
    auth_scheme="Bearer ",
    token_hint="Vultr customer portal → Account → API (enable the API, allow your IP)",
    token_env_convention="VULTR_API_KEY",
    resource_kind="instance",
    rate_limit=RateLimitScheme(
        documented="about 30 requests/second per IP",
        header_prefix=None,
    ),
    billing=BillingRules(
        totals="the sum of UTC days since the billing period's start (incoming/outgoing_bytes)",
        period_source="config",
        allowance_source="api",
        overage_source="config",
        default_overage_usd_per_gb=0.01,
        facts=(
            "rates: each UTC day's bytes ÷ its length, today's so far; refreshed periodically, "
            "never live [C: Vultr spec]",
            "allowance: allowed_bandwidth, GB a month per instance, pooled per account [C: spec; "
            "pooling C: Vultr docs]; outbound only and GB = 10^9 bytes [I]",
            "no account-wide pool endpoint in the description: bwtui sums the instances [C: spec]",
            "overage $0.01/GB and the calendar-month period [I]: overage_usd_per_gb, billing_day",
            "budget: ~30 requests/second per IP, 429 above [C: spec introduction]",
        ),
    ),
    settings=(
        SettingSpec("per_page", kind="int", default=DEFAULT_PER_PAGE,
                    check=lambda v: None if 1 <= v <= MAX_PER_PAGE else f"per_page must be 1..{MAX_PER_PAGE}",
                    help="instances per listing page (1..500)"),
        SettingSpec("gb_bytes", kind="int", default=10**9,
                    check=lambda v: None if v > 0 else "gb_bytes must be positive",
                    help="bytes in a GB of allowed_bandwidth (10^9 unless Vultr says otherwise)"),
    ),
    docs_url="https://www.vultr.com/api/",
)
