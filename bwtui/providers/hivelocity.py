"""Hivelocity API v2 client: devices → services, service bandwidth (series, totals, image)."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

import httpx

from bwtui.model import Resource, Series, Usage
from bwtui.model import Period
from bwtui.providers.base import (
    BillingRules,
    ProviderSpec,
    ProviderTraits,
    RateLimitScheme,
    SettingSpec,
)
from bwtui.providers.hivelocity_parse import (
    LegendRules,
    parse_devices,
    parse_image,
    parse_series,
    parse_usage,
)
from bwtui.providers.http import (
    DEFAULT_MAX_BODY_BYTES,
    HeaderAuth,
    HttpApi,
    HttpProviderClient,
)

DEFAULT_BASE_URL = "https://core.hivelocity.net/api/v2"
INTERFACES = ("eth0", "eth1", "public", "private", "all")
SERIES_STEP_S = {Period.DAY: 300, Period.WEEK: 1800, Period.MONTH: 7200}
USAGE_STEP_S = 3600
MESSAGE_KEYS = ("description", "message", "errors", "schema_errors")


class HivelocityClient(HttpProviderClient):
    """One Hivelocity account (``X-API-KEY``). Raises only ProviderError from its calls."""

    provider = "hivelocity"
    traits = ProviderTraits(series_step_s=300, usage_interval_s=3600, has_image=True)

    def __init__(
        self,
        account: str,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        interface: str = "public",
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
        method: str = "POST",
        legend: LegendRules | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        if interface not in INTERFACES:
            raise ValueError(f"interface {interface!r} must be one of {', '.join(INTERFACES)}")
        method = method.upper()
        if method not in ("POST", "GET"):
            raise ValueError(f"method {method!r} must be POST (documented) or GET")
        self.account = account
        self.interface = interface
        self.method = method
        self.legend = legend or LegendRules()
        self.skipped_devices: list[str] = []
        self._clock = clock
        self._api = HttpApi(
            base_url=base_url,
            auth=HeaderAuth("X-API-KEY", token),
            http=http,
            timeout_s=timeout_s,
            clock=clock,
            message_keys=MESSAGE_KEYS,
            max_body_bytes=max_body_bytes,
        )

    async def list_resources(self) -> list[Resource]:
        """``GET /device/``: one Resource per device with a service plan (others are skipped)."""
        listing = parse_devices(await self._api.request_json("GET", "/device/"), self.account)
        self.skipped_devices = listing.skipped
        return listing.resources

    def _service_path(self, resource: Resource, suffix: str = "") -> str:
        return f"/bandwidth/service/{quote(resource.id, safe='')}{suffix}"

    async def fetch_series(self, resource: Resource, period: Period) -> Series:
        """Rolling ``period`` window of rates (bits/s) at the period's step."""
        period = Period(period)
        step_s = SERIES_STEP_S[period]
        params = {"period": period.value, "interface": self.interface, "step": step_s}
        body = await self._api.request_json(self.method, self._service_path(resource), params)
        return parse_series(
            body, interface=self.interface, requested_step_s=step_s, rules=self.legend
        )

    async def fetch_usage(self, resource: Resource, period_start: float, now: float) -> Usage:
        """Totals from ``period_start`` to ``now`` (``In/Out Xfer`` bits // 8)."""
        params = {
            "period": "custom",
            "interface": self.interface,
            "step": USAGE_STEP_S,
            "start": int(period_start),
            "end": int(now),
        }
        body = await self._api.request_json(self.method, self._service_path(resource), params)
        return parse_usage(
            body,
            interface=self.interface,
            now=now,
            period_start=period_start,
            source=f"{self.method} {self._service_path(resource)} ({self.interface})",
        )

    async def fetch_image(self, resource: Resource, period: Period) -> bytes:
        """The provider's own PNG graph of the rolling ``period`` window."""
        params = {"period": Period(period).value, "interface": self.interface}
        body = await self._api.request_json(
            self.method, self._service_path(resource, "/image"), params
        )
        return parse_image(body, interface=self.interface)


SPEC = ProviderSpec(
    name="hivelocity",
    label="Hivelocity",
    create=HivelocityClient,
    traits=HivelocityClient.traits,
    default_base_url=DEFAULT_BASE_URL,
    auth_header="X-API-KEY",
    auth_scheme="",
    token_hint="myVelocity → Settings → API Key (a new key replaces the old one)",
    token_env_convention="HIVELOCITY_API_KEY",
    resource_kind="service",
    rate_limit=RateLimitScheme(
        documented="3,600 requests/hour per client IP",
        header_prefix="x-ratelimit-",
        reset="seconds",
        requests_per_hour=3600,
    ),
    billing=BillingRules(
        totals="a custom window from the billing period's start to now (In/Out Xfer, bits)",
        period_source="config",
        allowance_source="config",
        overage_source="config",
        default_allowance_out_bytes=10 * 10**12,
        default_overage_usd_per_gb=0.01,
        facts=(
            "rates: 5-minute series, bits/s [C: Hivelocity spec + WHMCS module]",
            "totals: In/Out Xfer over a custom window, read as bits [C: WHMCS module; unit unverified]",
            "allowance: 10 TB outbound a month per service, $0.01/GB beyond [config default]",
            "budget: 3,600 requests/hour per IP, X-RateLimit-* headers [C: Hivelocity docs]",
        ),
    ),
    settings=(
        SettingSpec(
            "interface",
            default="public",
            choices=INTERFACES,
            help="which interface's traffic to read (public is what is billed)",
        ),
    ),
    docs_url="https://developers.hivelocity.net/",
)
