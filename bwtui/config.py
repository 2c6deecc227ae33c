"""User configuration: dataclasses (shared contract) and the TOML loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bwtui.model import ProviderName

HIVELOCITY_DEFAULT_ALLOWANCE_OUT_BYTES = 10 * 10**12  # 10 TB outbound per service per month
DEFAULT_OVERAGE_USD_PER_GB = 0.01


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Warning/critical levels; None means "not set"."""

    warn_in_bps: float | None = None
    crit_in_bps: float | None = None
    warn_out_bps: float | None = None
    crit_out_bps: float | None = None
    warn_projected_pct: float | None = None
    crit_projected_pct: float | None = None


@dataclass(frozen=True, slots=True)
class ResourceOverride:
    """Per-resource settings that override the account's."""

    allowance_out_bytes: int | None = None
    thresholds: Thresholds | None = None


@dataclass(frozen=True, slots=True)
class PollSettings:
    """Polling knobs (seconds)."""

    altostrat_interval_s: float = 60.0
    request_deadline_s: float = 20.0
    max_concurrency: int = 4


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """One provider account."""

    name: str
    provider: ProviderName
    base_url: str | None = None
    path_prefix: str | None = None
    interface: str = "public"
    billing_day: int = 1
    allowance_out_bytes: int | None = None
    overage_usd_per_gb: float = DEFAULT_OVERAGE_USD_PER_GB
    thresholds: Thresholds = field(default_factory=Thresholds)
    resources: dict[str, ResourceOverride] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration; ``path`` is the file it came from (None: defaults only)."""

    path: Path | None
    accounts: list[AccountConfig] = field(default_factory=list)
    theme: str = "default"
    ascii: bool = False
    poll: PollSettings = field(default_factory=PollSettings)
