"""The provider plug-in seam: what a provider declares (``ProviderSpec``) and what its client offers.

A provider is found through the ``bwtui.providers`` entry-point group (see
:mod:`bwtui.providers.registry`); the entry point names a :class:`ProviderSpec`. The spec says,
in data the rest of bwtui reads (never ``if provider == ...``): how often its data changes and
whether it has rate series (:class:`ProviderTraits`), where billing facts come from
(:class:`BillingRules`), its rate-limit scheme and budget group (:class:`RateLimitScheme`), its
auth header and token conventions, its default base URL, and which per-account settings it
accepts (:class:`SettingSpec`). :func:`check_spec` validates a spec when it is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from bwtui.model import Period, RateLimit, Resource, Series, Usage

BUDGET_SCOPES = ("host", "token")
RATE_BASES = ("series", "derived", "daily_average")
SOURCES = ("api", "config", "none")
RESET_STYLES = ("seconds", "epoch")
SETTING_KINDS = ("str", "int", "float", "bool")
PROVIDER_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
# Keys every account has; a provider cannot declare a setting with one of these names.
COMMON_ACCOUNT_KEYS = (
    "name",
    "provider",
    "base_url",
    "billing_day",
    "allowance_out_tb",
    "allowance_out_bytes",
    "overage_usd_per_gb",
    "thresholds",
    "resources",
)
# Keyword arguments every client factory must accept (the contract kit checks it).
CLIENT_KWARGS = ("base_url", "http", "timeout_s", "clock", "max_body_bytes")


@dataclass(frozen=True, slots=True)
class ProviderTraits:
    """How often a provider's data changes and what it can give (read by the poller)."""

    series_step_s: int | None  # new series point every N seconds; None: no series (totals only)
    usage_interval_s: int  # how often billing totals are worth re-reading
    has_image: bool = False
    # Which requests share one rate-limit budget: "host" (per client IP and API host, e.g.
    # Hivelocity's 3,600/h per IP) or "token" (per API token / project, e.g. Hetzner Cloud).
    budget_scope: str = "host"
    # How often the newest series point is revised (None: it is final once published). Vultr's
    # newest point is the current UTC day, re-summed periodically: re-read it this often.
    series_refresh_s: int | None = None
    # What a rate is: "series" (the provider's own rate points), "derived" (from successive
    # totals), "daily_average" (a UTC day's bytes over its length; the newest is the day so far).
    rate_basis: str = "series"


@dataclass(frozen=True, slots=True)
class RateLimitScheme:
    """How the provider limits requests and tells the client about it."""

    documented: str  # in words, e.g. "3,600 requests/hour per IP"; "" when unpublished
    header_prefix: str | None = "x-ratelimit-"  # <prefix>limit / remaining / reset; None: no headers
    reset: str = "seconds"  # "seconds" until the window resets, or an "epoch" timestamp
    requests_per_hour: int | None = None  # the documented limit, where there is one


@dataclass(frozen=True, slots=True)
class BillingRules:
    """Where the billing period, allowance and overage price come from, and their defaults.

    ``*_source`` is "api" (the provider's API states it per resource, in ``Resource.billing``),
    "config" (only the config can say; the default below applies) or "none". ``facts`` are
    one-line statements with their confidence, shown by ``bwtui providers --facts``.
    """

    totals: str  # what the totals cover, in words ("the current billing period", ...)
    period_source: str = "config"
    allowance_source: str = "config"
    overage_source: str = "config"
    default_allowance_out_bytes: int | None = None
    default_overage_usd_per_gb: float | None = None
    overage_direction: str = "out"  # which direction counts towards the allowance
    facts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """One provider-specific ``[[account]]`` key: its type, default, allowed values and help.

    ``check`` returns a problem text for a bad value (None when fine); ``client_kwarg`` is the
    client keyword it is passed as (default: the same name).
    """

    name: str
    kind: str = "str"
    default: object = None
    choices: tuple[object, ...] | None = None
    help: str = ""
    check: Callable[[Any], str | None] | None = None
    client_kwarg: str | None = None

    def problem(self, value: object) -> str | None:
        """Why ``value`` is not acceptable for this setting, or None."""
        expected: tuple[type, ...] = {
            "str": (str,),
            "int": (int,),
            "float": (int, float),
            "bool": (bool,),
        }[self.kind]
        if isinstance(value, bool) and self.kind != "bool" or not isinstance(value, expected):
            return f"'{self.name}' must be {_KIND_WORDS[self.kind]}"
        if self.choices is not None and value not in self.choices:
            listed = ", ".join(str(c) for c in self.choices)
            return f"{self.name} {value!r} is not one of: {listed}"
        if self.check is not None:
            return self.check(value)
        return None


_KIND_WORDS = {"str": "a string", "int": "a whole number", "float": "a number", "bool": "true or false"}


@runtime_checkable
class ProviderClient(Protocol):
    """One account's client. Raises only ``bwtui.model.ProviderError``."""

    provider: str
    account: str
    traits: ProviderTraits

    @property
    def rate_limit(self) -> RateLimit | None:
        """The last rate-limit figures the provider's headers gave, if it sends them."""

    async def list_resources(self) -> list[Resource]:
        """Every resource of the account."""

    async def fetch_usage(self, resource: Resource, period_start: float, now: float) -> Usage:
        """Billing-period totals from ``period_start`` to ``now``."""

    async def fetch_series(self, resource: Resource, period: Period) -> Series | None:
        """Rate series for the window; None when the provider has none (totals only)."""

    async def aclose(self) -> None:
        """Release the HTTP client."""


ClientFactory = Callable[..., ProviderClient]


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """Everything a provider declares; the entry point of a provider names one of these.

    ``create(account, token, **kwargs)`` builds a client; it must accept :data:`CLIENT_KWARGS`
    and every setting's ``client_kwarg``. ``token_env_convention`` names the variable the
    provider's own tools read (informational: bwtui reads ``BWTUI_TOKEN_<NAME>``).
    """

    name: str
    label: str
    create: ClientFactory
    traits: ProviderTraits
    default_base_url: str
    auth_header: str
    auth_scheme: str  # the token's prefix in the header, e.g. "Bearer " ("" for a bare key)
    token_hint: str  # where a user gets a token
    rate_limit: RateLimitScheme
    billing: BillingRules
    resource_kind: str = "server"
    token_env_convention: str | None = None
    settings: tuple[SettingSpec, ...] = ()
    docs_url: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict)

    def setting(self, name: str) -> SettingSpec | None:
        """The declared setting called ``name``, if any."""
        return next((s for s in self.settings if s.name == name), None)

    def client_settings(self, values: Mapping[str, object]) -> dict[str, object]:
        """Client keyword arguments for declared settings given in ``values`` (others ignored)."""
        kwargs: dict[str, object] = {}
        for setting in self.settings:
            if setting.name in values and values[setting.name] is not None:
                kwargs[setting.client_kwarg or setting.name] = values[setting.name]
        return kwargs


class ProviderSpecError(ValueError):
    """A provider's declaration is incomplete or inconsistent (found when it is loaded)."""


def check_spec(spec: object, *, expected_name: str | None = None) -> ProviderSpec:
    """``spec`` itself when it is a well-formed ProviderSpec; else ProviderSpecError saying why."""
    if not isinstance(spec, ProviderSpec):
        raise ProviderSpecError(
            f"the entry point gives a {type(spec).__name__}, not a bwtui.providers.base.ProviderSpec"
        )
    problems: list[str] = []
    if not PROVIDER_NAME_RE.match(spec.name):
        problems.append(f"name {spec.name!r} must be lower-case letters, digits, '-' or '_'")
    if expected_name is not None and spec.name != expected_name:
        problems.append(f"the entry point is called {expected_name!r} but the spec says {spec.name!r}")
    if not callable(spec.create):
        problems.append("create is not callable")
    traits = spec.traits
    if not isinstance(traits, ProviderTraits):
        problems.append("traits is not a ProviderTraits")
    else:
        if traits.budget_scope not in BUDGET_SCOPES:
            problems.append(f"traits.budget_scope {traits.budget_scope!r} is not one of {BUDGET_SCOPES}")
        if traits.rate_basis not in RATE_BASES:
            problems.append(f"traits.rate_basis {traits.rate_basis!r} is not one of {RATE_BASES}")
        if traits.series_step_s is not None and traits.series_step_s <= 0:
            problems.append("traits.series_step_s must be positive or None")
        if traits.series_step_s is None and traits.rate_basis == "series":
            problems.append("a provider without series has rate_basis 'derived', not 'series'")
        if traits.usage_interval_s <= 0:
            problems.append("traits.usage_interval_s must be positive")
    if not spec.default_base_url.startswith("https://"):
        problems.append("default_base_url must start with https://")
    if not spec.auth_header or any(c in spec.auth_header for c in ": \r\n"):
        problems.append("auth_header must be a header name")
    if not isinstance(spec.rate_limit, RateLimitScheme) or spec.rate_limit.reset not in RESET_STYLES:
        problems.append(f"rate_limit must be a RateLimitScheme with reset in {RESET_STYLES}")
    rules = spec.billing
    if not isinstance(rules, BillingRules):
        problems.append("billing is not a BillingRules")
    else:
        for label in ("period_source", "allowance_source", "overage_source"):
            if getattr(rules, label) not in SOURCES:
                problems.append(f"billing.{label} must be one of {SOURCES}")
    names: set[str] = set()
    for setting in spec.settings:
        if setting.kind not in SETTING_KINDS:
            problems.append(f"setting {setting.name!r} has unknown kind {setting.kind!r}")
        if setting.name in COMMON_ACCOUNT_KEYS:
            problems.append(f"setting {setting.name!r} clashes with a key every account has")
        if setting.name in names:
            problems.append(f"setting {setting.name!r} is declared twice")
        names.add(setting.name)
    if problems:
        raise ProviderSpecError(f"provider {spec.name!r}: " + "; ".join(problems))
    return spec
