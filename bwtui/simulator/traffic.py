"""A deterministic traffic model: rates as a pure function of (profile, time).

Every resource gets a ``Profile`` derived from the seed. Its rate is piecewise constant over
5-minute buckets; each hour has a mean rate (daily curve, weekends, bursts, noise) and the 12
buckets of the hour deviate from that mean by weights that average exactly 1, so the integral
over whole hours is ``hour_mean * 3600``. That makes any window's totals cheap and exactly
consistent with the 5-minute data, with no stored state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from bwtui.periods import period_bounds

BUCKET_S = 300
HOUR_S = 3600
BUCKETS_PER_HOUR = HOUR_S // BUCKET_S
MIN_BPS = 1_000_000.0
MAX_BPS = 900_000_000.0
_MASK = (1 << 64) - 1


def _mix(x: int) -> int:
    """splitmix64 finaliser: a fast, well-spread 64-bit hash."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def unit(key: int, *parts: int) -> float:
    """A deterministic number in [0, 1) from a key and integer parts."""
    x = key & _MASK
    for part in parts:
        x = _mix(x ^ (part & _MASK))
    return (_mix(x) >> 11) / float(1 << 53)


def key_of(seed: int, name: str) -> int:
    """A stable 64-bit key for a named resource under a seed (no Python hash randomisation)."""
    x = _mix(seed & _MASK)
    for byte in name.encode():
        x = _mix(x ^ byte)
    return x


@dataclass(frozen=True, slots=True)
class Profile:
    """How one resource's traffic looks. All rates in bits per second."""

    key: int
    base_out_bps: float
    in_ratio: float  # mean inbound / outbound
    daily_amplitude: float  # 0..0.8, swing of the daily curve
    peak_hour_utc: float
    weekend_factor: float
    burst_probability: float  # per hour
    start_boost_out_bps: float = 0.0  # extra outbound during the first hours of each month
    start_boost_hours: int = 0
    period_offset_s: float = 0.0  # shifts the month boundaries used for the boost

    @staticmethod
    def make(key: int, *, low_bps: float, high_bps: float, in_ratio: tuple[float, float]) -> Profile:
        """A random-looking but deterministic profile with a mean rate between low and high."""
        span = math.log(high_bps / low_bps)
        base = low_bps * math.exp(span * unit(key, 1))
        return Profile(
            key=key,
            base_out_bps=base,
            in_ratio=in_ratio[0] + (in_ratio[1] - in_ratio[0]) * unit(key, 2),
            daily_amplitude=0.25 + 0.5 * unit(key, 3),
            peak_hour_utc=24.0 * unit(key, 4),
            weekend_factor=0.6 + 0.5 * unit(key, 5),
            burst_probability=0.02 + 0.06 * unit(key, 6),
        )


def _weights(key: int, hour: int, salt: int, burst: bool) -> tuple[float, ...]:
    """Twelve positive weights averaging exactly 1: how the hour's traffic spreads over buckets."""
    raw = [0.8 + 0.4 * unit(key, hour, salt, i) for i in range(BUCKETS_PER_HOUR)]
    if burst:
        centre = BUCKETS_PER_HOUR * unit(key, hour, salt, 99)
        raw = [w + 2.5 * math.exp(-(((i - centre) / 1.5) ** 2)) for i, w in enumerate(raw)]
    mean = sum(raw) / BUCKETS_PER_HOUR
    return tuple(w / mean for w in raw)


@dataclass(frozen=True, slots=True)
class Hour:
    """One hour of one resource: mean rates and the bucket weights of each direction."""

    in_bps: float
    out_bps: float
    in_weights: tuple[float, ...]
    out_weights: tuple[float, ...]


@lru_cache(maxsize=32768)
def hour_of(profile: Profile, hour: int) -> Hour:
    """The model for one hour (hour = epoch seconds // 3600). Pure and cached (bounded)."""
    key = profile.key
    t_mid = hour * HOUR_S + HOUR_S / 2
    hour_of_day = (t_mid / HOUR_S) % 24.0
    diurnal = 1.0 + profile.daily_amplitude * math.cos(
        2.0 * math.pi * (hour_of_day - profile.peak_hour_utc) / 24.0
    )
    weekday = (hour // 24 + 3) % 7  # Monday = 0; 1970-01-01 was a Thursday
    weekly = profile.weekend_factor if weekday >= 5 else 1.0
    burst = unit(key, hour, 7) < profile.burst_probability
    factor = diurnal * weekly * (0.9 + 0.2 * unit(key, hour, 8))
    if burst:
        factor *= 2.0 + 6.0 * unit(key, hour, 9)
    out_mean = profile.base_out_bps * factor
    if profile.start_boost_out_bps:
        month_start = period_bounds(t_mid - profile.period_offset_s)[0] + profile.period_offset_s
        if t_mid - month_start < profile.start_boost_hours * HOUR_S:
            out_mean += profile.start_boost_out_bps
    in_mean = out_mean * profile.in_ratio * (0.85 + 0.3 * unit(key, hour, 10))
    out_w = _weights(key, hour, 11, burst)
    in_w = _weights(key, hour, 12, burst)
    # Keep every bucket within the plausible range without breaking the exact hour mean.
    out_mean = min(max(out_mean, MIN_BPS), MAX_BPS / max(out_w))
    in_mean = min(max(in_mean, MIN_BPS / min(in_w)), MAX_BPS / max(in_w))
    return Hour(in_mean, out_mean, in_w, out_w)


def bucket_rates(profile: Profile, t: float) -> tuple[float, float]:
    """(in_bps, out_bps) of the 5-minute bucket containing ``t``."""
    hour, offset = divmod(int(t // BUCKET_S) * BUCKET_S, HOUR_S)
    i = offset // BUCKET_S
    h = hour_of(profile, hour)
    return h.in_bps * h.in_weights[i], h.out_bps * h.out_weights[i]


def _partial_hour(profile: Profile, hour: int, a: float, b: float) -> tuple[float, float]:
    """Bits in and out between a and b, both inside one hour."""
    h = hour_of(profile, hour)
    base = hour * HOUR_S
    total_in = total_out = 0.0
    first = int((a - base) // BUCKET_S)
    last = min(int((b - base) // BUCKET_S), BUCKETS_PER_HOUR - 1)
    for i in range(first, last + 1):
        lo = max(a, base + i * BUCKET_S)
        hi = min(b, base + (i + 1) * BUCKET_S)
        if hi > lo:
            total_in += h.in_bps * h.in_weights[i] * (hi - lo)
            total_out += h.out_bps * h.out_weights[i] * (hi - lo)
    return total_in, total_out


def integral_bits(profile: Profile, a: float, b: float) -> tuple[float, float]:
    """(in_bits, out_bits) transferred between epoch seconds a and b (0 when b <= a)."""
    if b <= a:
        return 0.0, 0.0
    h0 = int(a // HOUR_S)
    h1 = int(b // HOUR_S)
    if h0 == h1:
        return _partial_hour(profile, h0, a, b)
    total_in, total_out = _partial_hour(profile, h0, a, (h0 + 1) * HOUR_S)
    for hour in range(h0 + 1, h1):
        h = hour_of(profile, hour)
        total_in += h.in_bps * HOUR_S
        total_out += h.out_bps * HOUR_S
    if b > h1 * HOUR_S:
        tail_in, tail_out = _partial_hour(profile, h1, h1 * HOUR_S, b)
        total_in += tail_in
        total_out += tail_out
    return total_in, total_out


def average_rates(profile: Profile, a: float, b: float) -> tuple[float, float]:
    """Mean (in_bps, out_bps) over [a, b)."""
    bits_in, bits_out = integral_bits(profile, a, b)
    span = b - a
    return bits_in / span, bits_out / span


def percentile_95(values: list[float]) -> float:
    """The 95th percentile as billing uses it (the value below which 95 % of samples fall)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = max(0, math.ceil(0.95 * len(ordered)) - 1)
    return ordered[index]
