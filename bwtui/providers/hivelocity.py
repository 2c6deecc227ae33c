"""Hivelocity API v2 client: devices → services, service bandwidth (series, totals, image)."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

import httpx

from collections.abc import Mapping

from bwtui.model import DataWarning, ErrorKind, Period, ProviderError, Resource, Series, SkippedItem, Usage
from bwtui.periods import CONFIG, PROVIDER, resolve_period
from bwtui.providers.base import (
    BillingRules,
    ProviderSpec,
    ProviderTraits,
    RateLimitScheme,
    SettingSpec,
)
from bwtui.providers.hivelocity_parse import (
    UNIT_NAMES,
    LegendRules,
    UnitRules,
    parse_devices,
    parse_image,
    parse_series,
    parse_usage,
)
from bwtui.providers.hivelocity_services import parse_services
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


def legend_rules(time_names: str | None, in_prefix: str | None, out_prefix: str | None) -> LegendRules:
    """The config's legend settings (``legend_time`` is comma-separated) over today's rules."""
    defaults = LegendRules()
    names = tuple(n.strip() for n in time_names.split(",") if n.strip()) if time_names else ()
    return LegendRules(
        time_names=names or defaults.time_names,
        in_prefix=in_prefix or defaults.in_prefix,
        out_prefix=out_prefix or defaults.out_prefix,
    )


def _names_problem(value: str) -> str | None:
    return None if any(n.strip() for n in value.split(",")) else "give at least one column name"


class HivelocityClient(HttpProviderClient):
    """One Hivelocity account (``X-API-KEY``). Raises only ProviderError from its calls."""

    provider = "hivelocity"
    traits = ProviderTraits(series_step_s=300, usage_interval_s=3600, has_image=True)
    # It asks for totals from a period start it works out per resource (bwtui.runtime passes
    # the config's per-resource billing days).
    takes_resource_billing_days = True

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
        units: UnitRules | None = None,
        resource_billing_days: Mapping[str, int] | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        legend_time: str | None = None,
        legend_in: str | None = None,
        legend_out: str | None = None,
        totals_unit: str = "bits",
        rates_unit: str = "bits",
    ) -> None:
        if interface not in INTERFACES:
            raise ValueError(f"interface {interface!r} must be one of {', '.join(INTERFACES)}")
        method = method.upper()
        if method not in ("POST", "GET"):
            raise ValueError(f"method {method!r} must be POST (documented) or GET")
        self.account = account
        self.interface = interface
        self.method = method
        self.legend = legend or legend_rules(legend_time, legend_in, legend_out)
        self.units = units or UnitRules(totals=totals_unit, rates=rates_unit)
        self.resource_billing_days = dict(resource_billing_days or {})
        self.skipped: list[SkippedItem] = []
        self._series_warnings: dict[str, tuple[DataWarning, ...]] = {}
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

    @property
    def skipped_devices(self) -> list[str]:
        """The skipped devices as one line each (older callers)."""
        return [f"device {item.id}: {item.reason}" for item in self.skipped]

    def series_warnings(self, resource_id: str) -> tuple[DataWarning, ...]:
        """The warnings of the last series answer for this resource (units cross-check)."""
        return self._series_warnings.get(resource_id, ())

    async def list_resources(self) -> list[Resource]:
        """``GET /service/`` (billing terms), then ``GET /device/``: one Resource per service.

        A device without ``servicePlan`` is joined to its service through ``serviceDevices``;
        devices without any service are kept in ``skipped``. When ``GET /service/`` fails (a
        contact key without billing permission, say), resources are still listed, each noting
        that the config decides its billing period and allowance.
        """
        services, problem = {}, None
        try:
            services = parse_services(
                await self._api.request_json("GET", "/service/", {"status": "all"})
            )
        except ProviderError as error:
            if error.kind is ErrorKind.NOT_FOUND:
                services = {}  # documented: 404 when the account owns no services
            elif error.kind in (ErrorKind.AUTH, ErrorKind.RATE_LIMITED):
                raise
            else:
                problem = (
                    f"GET /service/ failed ({error.kind.value}: {error.message[:120]}); the "
                    "config decides the billing period and allowance"
                )
        listing = parse_devices(
            await self._api.request_json("GET", "/device/"), self.account, services, problem
        )
        self.skipped = listing.skipped
        return listing.resources

    def usage_window_start(self, resource: Resource, period_start: float, now: float) -> float:
        """Where the billing totals start: the resource's configured ``billing_day``, else the
        service's own cycle (``GET /service/``), else the caller's ``period_start``."""
        terms = resource.billing
        day = self.resource_billing_days.get(resource.id)
        stated = terms is not None and terms.period_start is not None and terms.period_end is not None
        if day is None and not stated:
            return period_start
        period = resolve_period(
            now,
            resource_billing_day=day,
            provider_start=terms.period_start if terms is not None else None,
            provider_end=terms.period_end if terms is not None else None,
        )
        return period.start if period.source in (CONFIG, PROVIDER) else period_start

    def _service_path(self, resource: Resource, suffix: str = "") -> str:
        return f"/bandwidth/service/{quote(resource.id, safe='')}{suffix}"

    async def fetch_series(self, resource: Resource, period: Period) -> Series:
        """Rolling ``period`` window of rates (bits/s) at the period's step."""
        period = Period(period)
        step_s = SERIES_STEP_S[period]
        params = {"period": period.value, "interface": self.interface, "step": step_s}
        body = await self._api.request_json(self.method, self._service_path(resource), params)
        series = parse_series(
            body,
            interface=self.interface,
            requested_step_s=step_s,
            rules=self.legend,
            units=self.units,
        )
        self._series_warnings[resource.id] = series.warnings
        return series

    async def fetch_window(self, resource: Resource, start: float, end: float, step_s: int) -> Series:
        """Rates over a custom window (older than the rolling series reach). Hivelocity keeps
        coarser points for older data and answers with the finest step it has."""
        params = {"period": "custom", "interface": self.interface, "step": int(step_s),
                  "start": int(start), "end": int(end)}
        body = await self._api.request_json(self.method, self._service_path(resource), params)
        return parse_series(body, interface=self.interface, requested_step_s=int(step_s), rules=self.legend,
                            units=self.units)

    async def fetch_usage(self, resource: Resource, period_start: float, now: float) -> Usage:
        """Totals over the billing period so far (``In/Out Xfer`` bits // 8).

        The period starts where :meth:`usage_window_start` says (the service's own cycle when
        Hivelocity states it); ``Usage.period_start`` records the start used.
        """
        period_start = self.usage_window_start(resource, period_start, now)
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
            rules=self.legend,
            units=self.units,
        )

    async def fetch_image(
        self,
        resource: Resource,
        period: Period | str,
        *,
        interface: str | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> bytes:
        """The provider's own PNG graph: a rolling ``period`` (day, week, month), or ``custom``
        from ``start`` to ``end``; of ``interface`` (default: the account's)."""
        interface = interface or self.interface
        if interface not in INTERFACES:
            raise ValueError(f"interface {interface!r} must be one of {', '.join(INTERFACES)}")
        name = "custom" if period == "custom" else Period(period).value
        params: dict[str, str | int] = {"period": name, "interface": interface}
        if name == "custom":
            if start is None or end is None or start >= end:
                raise ValueError("a custom image needs a start before its end")
            params.update(start=int(start), end=int(end))
        body = await self._api.request_json(
            self.method, self._service_path(resource, "/image"), params
        )
        return parse_image(body, interface=interface)


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
        period_source="api",
        allowance_source="api",
        overage_source="config",
        default_allowance_out_bytes=10 * 10**12,
        default_overage_usd_per_gb=0.01,
        facts=(
            "rates: 5-minute series, bits/s [C: Hivelocity spec + WHMCS module]",
            "totals: In/Out Xfer over a custom window, read as bits [C: WHMCS module; unit unverified]",
            "allowance: 10 TB outbound a month per service, $0.01/GB beyond [config default]",
            "period: each service's cycle from GET /service/ lastRenew/renewDate (epoch s) [I: "
            "types from the spec, meaning unverified]; config otherwise",
            "allowance: GET /service/ bandwidthBilling.includedTransferUnit when it reads as an "
            "amount (\"20 TB\") [I: values undocumented]",
            "units: In/Out Xfer cross-checked against sum(rate x step) on every series answer",
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
        SettingSpec(
            "legend_time",
            help='names of the time column, comma-separated (default "time,timestamp,ts,date,datetime")',
            check=_names_problem,
        ),
        SettingSpec("legend_in", help='an inbound column\'s name starts with this (default "in")'),
        SettingSpec("legend_out", help='an outbound column\'s name starts with this (default "out")'),
        SettingSpec(
            "totals_unit",
            default="bits",
            choices=UNIT_NAMES,
            help="what In/Out Xfer count: bits (as Hivelocity's own module reads them) or bytes",
        ),
        SettingSpec(
            "rates_unit",
            default="bits",
            choices=UNIT_NAMES,
            help="what the series values and 95th figures are per second: bits or bytes",
        ),
    ),
    docs_url="https://developers.hivelocity.net/",
)
