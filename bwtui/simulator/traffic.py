"""A deterministic traffic model: rates as a pure function of (profile, time).

Every resource gets a ``Profile`` derived from the seed. Its rate is piecewise constant over
5-minute buckets; each hour has a mean rate (daily curve, weekends, bursts, noise) and the 12
buckets of the hour deviate from that mean by weights that average exactly 1, so the integral
over whole hours is ``hour_mean * 3600``. That makes any window's totals cheap and exactly
consistent with the 5-minute data, with no stored state.
"""

from __future__ import annotations

import math
from array import array
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


def _u(x: int, salt: int) -> float:
    """A number in [0, 1) from an already-mixed value and a small salt."""
    return (_mix(x ^ salt) >> 11) / float(1 << 53)


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
    def make(key: int, *, low_bps: float, high_bps: float, in_ratio: tuple[float, float],
             peak_hour_utc: float | None = None) -> Profile:
        """A random-looking but deterministic profile with a mean rate between low and high
        (``peak_hour_utc``: the busiest hour given, not drawn)."""
        span = math.log(high_bps / low_bps)
        u = _units(key, 6)
        return Profile(
            key=key,
            base_out_bps=low_bps * math.exp(span * u[0]),
            in_ratio=in_ratio[0] + (in_ratio[1] - in_ratio[0]) * u[1],
            daily_amplitude=0.25 + 0.5 * u[2],
            peak_hour_utc=24.0 * u[3] if peak_hour_utc is None else peak_hour_utc,
            weekend_factor=0.6 + 0.5 * u[4],
            burst_probability=0.02 + 0.06 * u[5],
        )


def _units(key: int, count: int) -> list[float]:
    """``[unit(key, 1), ..., unit(key, count)]`` with the mixing inlined (a 5,000-service demo
    makes 30,000 of them at start-up)."""
    out = []
    key &= _MASK
    for part in range(1, count + 1):
        x = key ^ part
        for _ in range(2):  # _mix(key ^ part), then _mix of that
            x = (x + 0x9E3779B97F4A7C15) & _MASK
            x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
            x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
            x ^= x >> 31
        out.append((x >> 11) / float(1 << 53))
    return out


# Bounds of the bucket weights below (see ``_weights``), used to clamp hour means so every
# 5-minute value stays within [MIN_BPS, MAX_BPS] without computing the weights.
_W_BOUNDS = {False: (0.66, 1.5), True: (0.45, 3.45)}


@lru_cache(maxsize=4096)
def _weights(key: int, hour: int, salt: int, burst: bool) -> tuple[float, ...]:
    """Twelve positive weights averaging exactly 1: how the hour's traffic spreads over buckets.

    Raw weights are U(0.8, 1.2), plus a bump of height 2.5 in a burst hour; divided by their
    mean they lie within ``_W_BOUNDS[burst]``.
    """
    base = _mix(_mix(key ^ hour) ^ (salt << 32))
    raw = [0.8 + 0.4 * _u(base, i) for i in range(BUCKETS_PER_HOUR)]
    if burst:
        centre = BUCKETS_PER_HOUR * _u(base, 99)
        raw = [w + 2.5 * math.exp(-(((i - centre) / 1.5) ** 2)) for i, w in enumerate(raw)]
    mean = sum(raw) / BUCKETS_PER_HOUR
    return tuple(w / mean for w in raw)


@dataclass(frozen=True, slots=True)
class _DayTable:
    """One UTC day of hour means (compact: two float arrays and a bit mask)."""

    in_bps: array
    out_bps: array
    bursts: int
    in_bits: float
    out_bits: float


@lru_cache(maxsize=4096)
def _day_table(profile: Profile, day: int) -> _DayTable:
    """The 24 hour means of a day (day = epoch seconds // 86400); about 1 KB per cached day."""
    ins, outs, bursts = array("d"), array("d"), 0
    for index in range(24):
        in_mean, out_mean, burst = _compute_hour(profile, day * 24 + index)
        ins.append(in_mean)
        outs.append(out_mean)
        bursts |= int(burst) << index
    return _DayTable(ins, outs, bursts, sum(ins) * HOUR_S, sum(outs) * HOUR_S)


def hour_of(profile: Profile, hour: int) -> tuple[float, float, bool]:
    """(in_bps, out_bps, burst): one hour's mean rates (hour = epoch seconds // 3600)."""
    table = _day_table(profile, hour // 24)
    index = hour % 24
    return table.in_bps[index], table.out_bps[index], bool(table.bursts >> index & 1)


def _compute_hour(profile: Profile, hour: int) -> tuple[float, float, bool]:
    """The model of one hour: daily curve, weekends, bursts, noise, the month-start boost."""
    hk = _mix(profile.key ^ hour)
    t_mid = hour * HOUR_S + HOUR_S / 2
    hour_of_day = (t_mid / HOUR_S) % 24.0
    diurnal = 1.0 + profile.daily_amplitude * math.cos(
        2.0 * math.pi * (hour_of_day - profile.peak_hour_utc) / 24.0
    )
    weekday = (hour // 24 + 3) % 7  # Monday = 0; 1970-01-01 was a Thursday
    weekly = profile.weekend_factor if weekday >= 5 else 1.0
    burst = _u(hk, 7) < profile.burst_probability
    factor = diurnal * weekly * (0.9 + 0.2 * _u(hk, 8))
    if burst:
        factor *= 2.0 + 6.0 * _u(hk, 9)
    out_mean = profile.base_out_bps * factor
    if profile.start_boost_out_bps:
        month_start = period_bounds(t_mid - profile.period_offset_s)[0] + profile.period_offset_s
        if t_mid - month_start < profile.start_boost_hours * HOUR_S:
            out_mean += profile.start_boost_out_bps
    in_mean = out_mean * profile.in_ratio * (0.85 + 0.3 * _u(hk, 10))
    low, high = _W_BOUNDS[burst]
    out_mean = min(max(out_mean, MIN_BPS / low), MAX_BPS / high)
    in_mean = min(max(in_mean, MIN_BPS / low), MAX_BPS / high)
    return in_mean, out_mean, burst


def _whole_hours_bits(profile: Profile, h0: int, h1: int) -> tuple[float, float]:
    """Bits over the whole hours [h0, h1), whole days taken from the day cache."""
    total_in = total_out = 0.0
    hour = h0
    while hour < h1:
        if hour % 24 == 0 and hour + 24 <= h1:
            table = _day_table(profile, hour // 24)
            total_in += table.in_bits
            total_out += table.out_bits
            hour += 24
            continue
        in_mean, out_mean, _ = hour_of(profile, hour)
        total_in += in_mean * HOUR_S
        total_out += out_mean * HOUR_S
        hour += 1
    return total_in, total_out


def bucket_rates(profile: Profile, t: float) -> tuple[float, float]:
    """(in_bps, out_bps) of the 5-minute bucket containing ``t``."""
    hour, offset = divmod(int(t // BUCKET_S) * BUCKET_S, HOUR_S)
    i = offset // BUCKET_S
    in_mean, out_mean, burst = hour_of(profile, hour)
    return (in_mean * _weights(profile.key, hour, 12, burst)[i],
            out_mean * _weights(profile.key, hour, 11, burst)[i])


def _partial_hour(profile: Profile, hour: int, a: float, b: float) -> tuple[float, float]:
    """Bits in and out between a and b, both inside one hour."""
    in_mean, out_mean, burst = hour_of(profile, hour)
    in_w = _weights(profile.key, hour, 12, burst)
    out_w = _weights(profile.key, hour, 11, burst)
    base = hour * HOUR_S
    total_in = total_out = 0.0
    first = int((a - base) // BUCKET_S)
    last = min(int((b - base) // BUCKET_S), BUCKETS_PER_HOUR - 1)
    for i in range(first, last + 1):
        lo = max(a, base + i * BUCKET_S)
        hi = min(b, base + (i + 1) * BUCKET_S)
        if hi > lo:
            total_in += in_mean * in_w[i] * (hi - lo)
            total_out += out_mean * out_w[i] * (hi - lo)
    return total_in, total_out


def integral_bits(profile: Profile, a: float, b: float) -> tuple[float, float]:
    """(in_bits, out_bits) transferred between epoch seconds a and b (0 when b <= a)."""
    if b <= a:
        return 0.0, 0.0
    h0 = int(a // HOUR_S)
    h1 = int(b // HOUR_S)
    if h0 == h1:
        return _partial_hour(profile, h0, a, b)
    total_in = total_out = 0.0
    first_whole = h0
    if a > h0 * HOUR_S:
        total_in, total_out = _partial_hour(profile, h0, a, (h0 + 1) * HOUR_S)
        first_whole = h0 + 1
    whole_in, whole_out = _whole_hours_bits(profile, first_whole, h1)
    total_in += whole_in
    total_out += whole_out
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


def series(profile: Profile, first: int, step: int, count: int) -> list[tuple[float, float]]:
    """Mean (in_bps, out_bps) of ``count`` rows of ``step`` seconds from ``first`` (aligned to
    the step). Fast paths for 5-minute rows and whole-hour rows; same numbers as
    ``average_rates``."""
    rows: list[tuple[float, float]] = []
    if step == BUCKET_S and first % BUCKET_S == 0:
        for index in range(count):
            rows.append(bucket_rates(profile, first + index * step))
    elif step % HOUR_S == 0 and first % HOUR_S == 0:
        per_row = step // HOUR_S
        hour = first // HOUR_S
        for _ in range(count):
            total_in = total_out = 0.0
            for h in range(hour, hour + per_row):
                in_mean, out_mean, _burst = hour_of(profile, h)
                total_in += in_mean
                total_out += out_mean
            rows.append((total_in / per_row, total_out / per_row))
            hour += per_row
    else:
        for index in range(count):
            t = first + index * step
            rows.append(average_rates(profile, t, t + step))
    return rows


def percentile_95(values: list[float]) -> float:
    """The 95th percentile as billing uses it (the value below which 95 % of samples fall)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = max(0, math.ceil(0.95 * len(ordered)) - 1)
    return ordered[index]
