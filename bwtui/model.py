"""The provider-neutral data model: resources, readings, samples, series, usage and errors.

Nothing here knows HTTP or Textual. Units are in the names: ``_bps`` is bits per second,
``_bytes`` is bytes, ``t``/``_at`` are Unix epoch seconds (UTC), ``_s`` is seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bwtui.scrub import scrub

ProviderName = str  # a provider's registered name ("hivelocity", "altostrat", a plug-in's)
ResourceKind = str  # what the provider calls it: "service", "instance", "server", ...


class Period(StrEnum):
    """Chart windows a user can pick (Hivelocity's rolling ``period`` values)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class ErrorKind(StrEnum):
    """The closed set of things that can go wrong talking to a provider."""

    AUTH = "auth"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    SERVER = "server"
    NETWORK = "network"
    TIMEOUT = "timeout"
    BAD_RESPONSE = "bad_response"

    @property
    def is_transient(self) -> bool:
        """Whether retrying later may succeed without the user changing anything."""
        return self in _TRANSIENT


_TRANSIENT = {ErrorKind.RATE_LIMITED, ErrorKind.SERVER, ErrorKind.NETWORK, ErrorKind.TIMEOUT}


class ProviderError(Exception):
    """Everything a provider can do wrong, as one exception type.

    ``message`` is the provider's own words where it gave any (untrusted text: show it
    literally). ``retry_after_s`` is set when the provider said when to come back
    (``Retry-After`` or ``X-RateLimit-Reset``). Never carries a secret: the message is scrubbed
    of every registered token (:mod:`bwtui.scrub`) when the error is made.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        message = scrub(message)  # a server may echo the API key: it is never kept
        super().__init__(f"{kind.value}: {message}")
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after_s = retry_after_s

    def to_dict(self) -> dict[str, str]:
        """The error as the status contract prints it."""
        return {"kind": self.kind.value, "message": self.message}


@dataclass(frozen=True, slots=True)
class DataWarning:
    """Something about a resource's figures a user must know before trusting them.

    ``kind`` is a short stable word: ``units`` (totals and rates disagree by a factor near 8),
    ``billing`` (a provider's billing statement could not be used), ``period`` (where the period
    came from is uncertain). ``message`` names the figures involved; it is plain text (show it
    literally, it may quote a provider).
    """

    kind: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message}


@dataclass(frozen=True, slots=True)
class BillingTerms:
    """Billing facts a provider's API states for one resource; None where the API said nothing.

    Config settings override these; billing falls back to config, then to the calendar, for any
    figure left None. ``notes`` say why a value the API sent was not used (it did not parse), so
    a fallback is never presented as the provider's word.
    """

    period_start: float | None = None
    period_end: float | None = None
    allowance_out_bytes: int | None = None
    overage_usd_per_gb: float | None = None
    notes: tuple[str, ...] = ()
    # A price the API states in another currency (Hetzner: EUR per GB of 10^9 bytes); never
    # converted. ``overage_usd_per_gb`` is set instead when the currency is USD.
    overage_price_per_gb: float | None = None
    currency: str | None = None
    # Resources with the same pool share one allowance (Vultr pools bandwidth per account):
    # the pool's allowance is the sum of its members', and so is its usage.
    pool: str | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    """One thing whose traffic we watch: a Hivelocity service or an Altostrat VPN instance."""

    account: str
    provider: ProviderName
    kind: ResourceKind
    id: str
    name: str
    location: str | None = None
    hostname: str | None = None
    device_id: str | None = None
    billing: BillingTerms | None = None
    # What this resource's rates are, when not the provider's live series: "daily_average" (a
    # UTC day's bytes over its length, the newest is the day so far: Vultr). None: see traits.
    rate_basis: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """Unique across all accounts."""
        return (self.account, self.id)


@dataclass(frozen=True, slots=True)
class SkippedItem:
    """Something an account's listing held that bwtui does not watch, and why (shown, never hidden)."""

    id: str
    name: str | None
    reason: str

    def to_dict(self) -> dict[str, str | None]:
        return {"id": self.id, "name": self.name, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Sample:
    """A rate at a time. ``None`` is a gap (no data), never zero."""

    t: float
    in_bps: float | None
    out_bps: float | None


@dataclass(frozen=True, slots=True)
class Reading:
    """Billing-period totals at a time (Altostrat's counters, Hivelocity's window totals)."""

    t: float
    in_bytes: int
    out_bytes: int


@dataclass(frozen=True, slots=True)
class Series:
    """A rate time series for one window, as a provider returned it."""

    step_s: int
    samples: tuple[Sample, ...]
    in_95th_bps: float | None = None
    out_95th_bps: float | None = None
    window_in_bytes: int | None = None
    window_out_bytes: int | None = None
    warnings: tuple[DataWarning, ...] = ()

    @property
    def latest(self) -> Sample | None:
        """The newest sample that is not a gap in both directions."""
        for sample in reversed(self.samples):
            if sample.in_bps is not None or sample.out_bps is not None:
                return sample
        return None


@dataclass(frozen=True, slots=True)
class Usage:
    """Billing-period totals for a resource, with when the data is from."""

    period_in_bytes: int | None
    period_out_bytes: int | None
    as_of: float | None
    period_start: float | None = None
    source: str = ""
    warnings: tuple[DataWarning, ...] = ()


@dataclass(frozen=True, slots=True)
class RateLimit:
    """What the provider's ``X-RateLimit-*`` headers said, and when."""

    limit: int | None
    remaining: int | None
    reset_s: float | None
    observed_at: float


@dataclass(slots=True)
class ResourceState:
    """Everything known about a resource right now: what the UI and ``status`` show."""

    resource: Resource
    in_bps: float | None = None
    out_bps: float | None = None
    rate_at: float | None = None
    usage: Usage | None = None
    error: ProviderError | None = None
    updated_at: float | None = None
    stale: bool = False
    # Oldest first; the poller sends a compact bwtui.samples.SampleRun, tests may pass a tuple.
    history: Sequence[Sample] = field(default_factory=tuple)
    extra_warnings: tuple[DataWarning, ...] = ()

    @property
    def warnings(self) -> tuple[DataWarning, ...]:
        """Warnings about this resource's figures: its totals' and any added (e.g. the series')."""
        found = list(self.usage.warnings) if self.usage is not None else []
        found.extend(w for w in self.extra_warnings if w not in found)
        return tuple(found)


def finite_or_none(value: object) -> float | None:
    """A float for a finite number, else None (NaN, inf, bools, strings and None are gaps)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
