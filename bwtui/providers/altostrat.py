"""Altostrat Managed VPN client: instances and their billing-period byte counters.

Altostrat gives no series: ``fetch_series`` returns None and rates are derived by the poller from
successive readings. The parsers below are pure and raise only ProviderError(BAD_RESPONSE).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

import httpx

from bwtui.model import ProviderError, Resource, Series, Usage
from bwtui.model import Period
from bwtui.providers.base import (
    BillingRules,
    ProviderSpec,
    ProviderTraits,
    RateLimitScheme,
    SettingSpec,
)
from bwtui.providers.http import (
    DEFAULT_MAX_BODY_BYTES,
    HeaderAuth,
    HttpApi,
    HttpProviderClient,
)
from bwtui.providers.parsing import bad, byte_counter, text_or_none

DEFAULT_BASE_URL = "https://v1.api.altostrat.io"
DEFAULT_PATH_PREFIX = "/vpn"
MESSAGE_KEYS = ("message", "description", "errors")




def parse_instances(body: object, account: str) -> list[Resource]:
    """``GET {prefix}/instances`` (a bare array, or ``{"data": [...]}``) → ``instance`` Resources.

    Entries without a usable ``id`` are skipped; duplicates keep the first.
    """
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        body = body["data"]
    if not isinstance(body, list):
        raise bad("the instance list is not a list")
    resources: list[Resource] = []
    seen: set[str] = set()
    for item in body:
        if not isinstance(item, dict):
            continue
        instance_id = text_or_none(item.get("id"))
        if instance_id is None or instance_id in (".", "..") or len(instance_id) > 200:
            continue
        if instance_id in seen:
            continue
        seen.add(instance_id)
        resources.append(
            Resource(
                account=account,
                provider="altostrat",
                kind="instance",
                id=instance_id,
                name=text_or_none(item.get("name")) or text_or_none(item.get("hostname")) or instance_id,
                location=text_or_none(item.get("region")),
                hostname=text_or_none(item.get("hostname")),
            )
        )
    return resources



def parse_bandwidth(body: object, *, as_of: float, source: str) -> Usage:
    """``GET {prefix}/instances/{id}/bandwidth`` → Usage (billing-period byte counters)."""
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        body = body["data"]
    if not isinstance(body, dict):
        raise bad("the bandwidth answer is not an object")
    in_bytes = byte_counter(body, "incoming_bytes")
    out_bytes = byte_counter(body, "outgoing_bytes")
    if in_bytes is None and out_bytes is None:
        raise bad("the bandwidth answer has neither incoming_bytes nor outgoing_bytes")
    return Usage(
        period_in_bytes=in_bytes, period_out_bytes=out_bytes, as_of=as_of, source=source
    )


def _check_prefix(path_prefix: str) -> str:
    prefix = path_prefix.strip()
    if prefix in ("", "/"):
        return ""
    if not prefix.startswith("/") or any(c in prefix for c in "?#\\ \t\r\n"):
        raise ValueError(f"path_prefix {path_prefix!r} must look like /vpn (or be empty)")
    return prefix.rstrip("/")


class AltostratClient(HttpProviderClient):
    """One Altostrat account (``Authorization: Bearer``). Raises only ProviderError from calls."""

    provider = "altostrat"
    traits = ProviderTraits(
        series_step_s=None, usage_interval_s=60, has_image=False, rate_basis="derived"
    )
    _repr_extra = ("path_prefix",)

    def __init__(
        self,
        account: str,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        path_prefix: str = DEFAULT_PATH_PREFIX,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.account = account
        self.path_prefix = _check_prefix(path_prefix)
        self._clock = clock
        self._api = HttpApi(
            base_url=base_url,
            auth=HeaderAuth("Authorization", token, prefix="Bearer "),
            http=http,
            timeout_s=timeout_s,
            clock=clock,
            message_keys=MESSAGE_KEYS,
            max_body_bytes=max_body_bytes,
        )

    async def list_resources(self) -> list[Resource]:
        """Every VPN instance of the account."""
        body = await self._api.request_json("GET", f"{self.path_prefix}/instances")
        return parse_instances(body, self.account)

    async def fetch_usage(self, resource: Resource, period_start: float, now: float) -> Usage:
        """The instance's current billing-period counters (``period_start`` is not sent)."""
        path = f"{self.path_prefix}/instances/{quote(resource.id, safe='')}/bandwidth"
        body = await self._api.request_json("GET", path)
        return parse_bandwidth(
            body,
            as_of=self._clock(),
            source=f"GET {self.path_prefix}/instances/{{id}}/bandwidth",
        )

    async def fetch_series(self, resource: Resource, period: Period) -> Series | None:
        """Altostrat has no series."""
        return None


def _prefix_problem(value: str) -> str | None:
    try:
        _check_prefix(value)
    except ValueError as exc:
        return str(exc)
    return None


SPEC = ProviderSpec(
    name="altostrat",
    label="Altostrat",
    create=AltostratClient,
    traits=AltostratClient.traits,
    default_base_url=DEFAULT_BASE_URL,
    auth_header="Authorization",
    auth_scheme="Bearer ",
    token_hint="SDX dashboard → Automation → Vault, an item named api-key:…",
    resource_kind="instance",
    rate_limit=RateLimitScheme(documented="unpublished (429 is mentioned)", header_prefix=None),
    billing=BillingRules(
        totals="the current billing period's byte counters of the primary server",
        period_source="api",
        allowance_source="none",
        overage_source="none",
        facts=(
            "totals: incoming/outgoing_bytes for the current billing period [C: Altostrat docs]",
            "rates: derived from successive readings; a lower reading starts a new period [I]",
            "no allowance or overage price is published [?]",
        ),
    ),
    settings=(
        SettingSpec(
            "path_prefix",
            default=DEFAULT_PATH_PREFIX,
            help='the API\'s path prefix: "/vpn" (v1) or "" (the older API)',
            check=_prefix_problem,
        ),
    ),
    docs_url="https://altostrat.io/docs/api/en/introduction",
)
