"""The simulated accounts: Hivelocity devices/services and Altostrat instances, from a seed."""

from __future__ import annotations

import math

import random
import uuid
from dataclasses import dataclass, replace

from bwtui.periods import iso_utc, period_bounds
from bwtui.simulator.traffic import Profile, key_of

HOSTILE_NAME = "[@click=app.quit]x[/]"
HOSTILE_HOSTNAME = "\x1b]0;pwned\x07evil.example.net"
HOSTILE_INSTANCE_NAME = "[bold]unclosed"
HOSTILE_VARIABLE_NAME = "[$accent]var[/] \x1b[31mred\x1b[0m"

# facility code -> (city, UTC offset hours)
FACILITIES: dict[str, tuple[str, int]] = {
    "TPA1": ("Tampa, FL", -5),
    "TPA2": ("Tampa, FL", -5),
    "LAX2": ("Los Angeles, CA", -8),
    "NYC1": ("New York, NY", -5),
    "DAL1": ("Dallas, TX", -6),
    "ATL2": ("Atlanta, GA", -5),
    "MIA1": ("Miami, FL", -5),
    "SEA1": ("Seattle, WA", -8),
    "CHI1": ("Chicago, IL", -6),
    "AMS1": ("Amsterdam, NL", 1),
    "FRA1": ("Frankfurt, DE", 1),
    "LON1": ("London, UK", 0),
    "SIN1": ("Singapore, SG", 8),
}
_ROLES = [
    ("web", "Web frontend"),
    ("db", "Postgres primary"),
    ("api", "API gateway"),
    ("cache", "Redis cache"),
    ("cdn-edge", "CDN edge"),
    ("mail", "Mail relay"),
    ("git", "Git mirror"),
    ("ci-runner", "CI runner"),
    ("stream", "Video origin"),
    ("game", "Game server"),
    ("k8s-node", "Kubernetes node"),
    ("log", "Log shipper"),
]
_DOMAINS = ["example.net", "acme-hosting.example", "globex.example"]
_REGIONS = [("sjc", -8), ("nyc", -5), ("ams", 1), ("fra", 1), ("lon", 0), ("sgp", 8), ("syd", 10)]
_INSTANCE_NAMES = ["Primary VPN", "Office Link", "Remote Staff", "Site-to-Site EU", "Dev Access",
                   "Branch Offices", "Backup Tunnel", "Partner VPN"]
ALLOWANCE_OUT_BYTES = 10 * 10**12


RESET_GRID_S = 300
RENEW_MID_MONTH_INDEX = 4  # period boundaries of the resetting instance fall on 5-minute marks


@dataclass(frozen=True, slots=True)
class HvService:
    """One Hivelocity device and its service (one each, as dedicated servers are sold)."""

    service_id: int
    device_id: int
    name: str
    hostname: str
    facility: str
    primary_ip: str
    tags: tuple[str, ...]
    switch_id: str
    created: int
    profile: Profile
    renew_day: int = 1  # the day of the month its monthly billing cycle starts (GET /service/)


@dataclass(frozen=True, slots=True)
class AltoInstance:
    """One Altostrat VPN instance; its billing period boundaries are shifted by ``period_offset_s``."""

    id: str
    name: str
    region: str
    hostname: str
    created_at: str
    server_ready: bool
    status: tuple[str, ...]
    profile: Profile
    period_offset_s: float = 0.0

    def period_start(self, now: float) -> float:
        """Start of this instance's billing period containing ``now``."""
        return period_bounds(now - self.period_offset_s)[0] + self.period_offset_s


def _peak(offset_h: int, rng: random.Random) -> float:
    """Busiest UTC hour for a site: local evening, give or take."""
    return (20.5 - offset_h + rng.uniform(-2.0, 2.0)) % 24.0


def build_hivelocity(seed: int, count: int, start: float, hostile: bool) -> list[HvService]:
    """``count`` services; index 1 (or 0) is the one near its 10 TB allowance."""
    rng = random.Random(f"hv-{seed}")
    hot = 1 if count > 1 else 0
    services: list[HvService] = []
    codes = list(FACILITIES)
    for i in range(count):
        facility = codes[0] if i < 2 else rng.choice(codes)
        role, label = ("backup", "Backup target") if i == hot else _ROLES[i % len(_ROLES)]
        number = i // len(_ROLES) + 1
        domain = _DOMAINS[i % len(_DOMAINS)]
        hostname = f"{role}-{number:02d}.{facility.lower()}.{domain}"
        name = "" if i % 4 == 3 else (label if number == 1 else f"{label} {number}")
        service_id = 152000 + i * 50 + rng.randrange(50)
        device_id = 24000 + i * 20 + rng.randrange(20)
        profile = Profile.make(key_of(seed, f"hv:{service_id}"), low_bps=2e6, high_bps=15e6,
                               in_ratio=(0.08, 0.5),
                               peak_hour_utc=_peak(FACILITIES[facility][1], rng))
        if i == hot:
            # ~8 TB/month steady plus ~3 TB in the first 36 h of each month: about 11 TB per
            # month, so it projects past 10 TB all month and crosses 90 % in the last third.
            profile = replace(profile, base_out_bps=24e6, burst_probability=0.0,
                              daily_amplitude=0.3, weekend_factor=1.0, in_ratio=0.1,
                              start_boost_out_bps=3e12 * 8 / (36 * 3600), start_boost_hours=36)
        services.append(HvService(
            service_id=service_id,
            device_id=device_id,
            name=name,
            hostname=hostname,
            facility=facility,
            primary_ip=f"198.51.{100 + i // 250}.{i % 250 + 2}",
            tags=tuple(t for t in ("prod" if i % 3 else "staging", role) if t),
            switch_id=f"sw-{facility.lower()}-a{10 + i % 20}",
            created=int(start) - 86400 * (40 + rng.randrange(900)),
            profile=profile,
        ))
    if count > RENEW_MID_MONTH_INDEX:
        # One service renews mid-month: its billing period is its own, not the calendar's.
        services[RENEW_MID_MONTH_INDEX] = replace(services[RENEW_MID_MONTH_INDEX], renew_day=15)
    if hostile and count >= 3:
        services[2] = replace(services[2], name=HOSTILE_NAME)
        if count >= 4:
            services[3] = replace(services[3], name="", hostname=HOSTILE_HOSTNAME)
    return services


def build_altostrat(seed: int, count: int, start: float, hostile: bool,
                    reset_at: float | None) -> list[AltoInstance]:
    """``count`` instances; instance 0's period ends at ``reset_at`` (and monthly from there).

    The boundary is rounded up to a 5-minute mark so that simulators started a little apart
    (two ``status --demo`` runs) agree on the counters and see no false reset.
    """
    rng = random.Random(f"alto-{seed}")
    instances: list[AltoInstance] = []
    for i in range(count):
        region, offset_h = _REGIONS[i % len(_REGIONS)]
        base_name = _INSTANCE_NAMES[i % len(_INSTANCE_NAMES)]
        number = i // len(_INSTANCE_NAMES) + 1
        name = base_name if number == 1 else f"{base_name} {number}"
        label = name.lower().replace(" ", "-").replace("site-to-site", "s2s")
        instance_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        profile = Profile.make(key_of(seed, f"alto:{instance_id}"), low_bps=2e6, high_bps=120e6,
                               in_ratio=(0.6, 1.4), peak_hour_utc=_peak(offset_h, rng))
        period_offset = 0.0
        if i == 0 and reset_at is not None:
            boundary = math.ceil(reset_at / RESET_GRID_S) * RESET_GRID_S
            period_offset = boundary - period_bounds(boundary)[0]
        instances.append(AltoInstance(
            id=instance_id,
            name=name,
            region=region,
            hostname=f"{label}-{region}.vpn.altostr.at",
            created_at=iso_utc(start - 86400 * (30 + rng.randrange(600)) - rng.randrange(86400)) or "",
            server_ready=i != count - 1 or count < 3,
            status=("peer-created",) if i % 3 == 2 else (),
            profile=profile,
            period_offset_s=period_offset,
        ))
    if hostile and count >= 2:
        instances[1] = replace(instances[1], name=HOSTILE_INSTANCE_NAME)
        if count >= 3:
            instances[2] = replace(instances[2], name=HOSTILE_VARIABLE_NAME)
    return instances
