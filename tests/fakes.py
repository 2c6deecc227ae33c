"""In-memory fake provider clients for poller tests: no HTTP, simulated time, counted requests."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bwtui.clock import FakeClock
from bwtui.model import ErrorKind, ProviderError, RateLimit, Resource, Sample, Series, Usage
from bwtui.model import Period
from bwtui.providers.base import ProviderTraits

# A failure plan answers "what goes wrong with this call?": an exception to raise, "hang" to
# never answer, or None for success. Called with (operation, resource id or None, now).
FailurePlan = Callable[[str, "str | None", float], "BaseException | str | None"]


class IpRateLimiter:
    """Hivelocity's per-IP budget: ``limit`` requests per window that starts at the first request."""

    def __init__(self, clock: FakeClock, limit: int = 3600, window_s: float = 3600.0) -> None:
        self.clock = clock
        self.limit = limit
        self.window_s = window_s
        self.window_start: float | None = None
        self.count = 0
        self.requests = 0  # every request, accepted or not
        self.rejected = 0  # 429s
        self.max_in_window = 0

    def hit(self) -> tuple[RateLimit, ProviderError | None]:
        now = self.clock.now()
        self.requests += 1
        if self.window_start is None or now >= self.window_start + self.window_s:
            self.window_start = now
            self.count = 0
        reset_s = float(math.ceil(self.window_start + self.window_s - now))
        if self.count >= self.limit:
            self.rejected += 1
            rate_limit = RateLimit(self.limit, 0, reset_s, now)
            error = ProviderError(
                ErrorKind.RATE_LIMITED, "Your IP is rate limited.", status=429, retry_after_s=reset_s
            )
            return rate_limit, error
        self.count += 1
        self.max_in_window = max(self.max_in_window, self.count)
        return RateLimit(self.limit, self.limit - self.count, reset_s, now), None


@dataclass
class Call:
    t: float
    op: str
    resource_id: str | None
    period: str | None = None


@dataclass
class _Base:
    account: str
    clock: FakeClock
    fail: FailurePlan | None = None
    calls: list[Call] = field(default_factory=list)
    latency_s: float = 0.0
    _rate_limit: RateLimit | None = None

    @property
    def rate_limit(self) -> RateLimit | None:
        return self._rate_limit

    def count(self, op: str | None = None, resource_id: str | None = None) -> int:
        return sum(
            1
            for call in self.calls
            if (op is None or call.op == op) and (resource_id is None or call.resource_id == resource_id)
        )

    def times(self, op: str, resource_id: str) -> list[float]:
        return [call.t for call in self.calls if call.op == op and call.resource_id == resource_id]

    async def _enter(self, op: str, resource_id: str | None, period: str | None = None) -> None:
        now = self.clock.now()
        self.calls.append(Call(now, op, resource_id, period))
        self._meter()
        if self.latency_s:
            await self.clock.sleep(self.latency_s)
        outcome = self.fail(op, resource_id, now) if self.fail is not None else None
        if outcome == "hang":
            await self.clock.sleep(10**9)
        elif isinstance(outcome, BaseException):
            raise outcome

    def _meter(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


@dataclass
class FakeHivelocity(_Base):
    """Hivelocity-like: services with 5-minute series, hourly totals, a shared per-IP budget."""

    limiter: IpRateLimiter | None = None
    services: int = 3
    publish_delay_s: float = 10.0  # a point for time t is served from t + this
    provider: str = "hivelocity"
    traits: ProviderTraits = field(default_factory=lambda: ProviderTraits(300, 3600, has_image=True))

    def _meter(self) -> None:
        if self.limiter is None:
            return
        rate_limit, error = self.limiter.hit()
        self._rate_limit = rate_limit
        if error is not None:
            raise error

    def resource(self, index: int) -> Resource:
        return Resource(self.account, "hivelocity", "service", str(1000 + index), f"srv-{index}", "TPA1")

    async def list_resources(self) -> list[Resource]:
        await self._enter("list", None)
        return [self.resource(i) for i in range(self.services)]

    @staticmethod
    def rate_at(resource_id: str, t: float) -> tuple[float, float]:
        return _rate(int(resource_id) % 7, t)

    async def fetch_series(self, resource: Resource, period: Period) -> Series:
        await self._enter("series", resource.id, str(period))
        step_s = {Period.DAY: 300, Period.WEEK: 1800, Period.MONTH: 7200}[period]
        window_s = {Period.DAY: 86400, Period.WEEK: 7 * 86400, Period.MONTH: 30 * 86400}[period]
        last = (self.clock.now() - self.publish_delay_s) // step_s * step_s
        return Series(step_s, _samples(int(resource.id) % 7, last, step_s, window_s))

    async def fetch_usage(self, resource: Resource, period_start: float, now: float) -> Usage:
        await self._enter("usage", resource.id)
        in_bps, out_bps = self.rate_at(resource.id, now)
        elapsed = max(0.0, now - period_start)
        return Usage(
            int(in_bps * elapsed / 8), int(out_bps * elapsed / 8), now, period_start, "POST /bandwidth/service"
        )


@dataclass
class FakeAltostrat(_Base):
    """Altostrat-like: instances with billing-period byte counters, no series, no rate limit."""

    instances: int = 2
    in_rate_bytes_s: float = 1000.0
    out_rate_bytes_s: float = 4000.0
    provider: str = "altostrat"
    traits: ProviderTraits = field(default_factory=lambda: ProviderTraits(None, 60))
    counters: dict[str, tuple[float, float]] = field(default_factory=dict)
    last_read: dict[str, float] = field(default_factory=dict)
    resets: Counter[str] = field(default_factory=Counter)

    def resource(self, index: int) -> Resource:
        return Resource(self.account, "altostrat", "instance", f"inst-{index}", f"vpn-{index}", "sjc")

    async def list_resources(self) -> list[Resource]:
        await self._enter("list", None)
        return [self.resource(i) for i in range(self.instances)]

    def reset_counters(self, resource_id: str) -> None:
        """A new billing period: the counters start again from zero."""
        self._advance(resource_id)
        self.counters[resource_id] = (0.0, 0.0)
        self.resets[resource_id] += 1

    def _advance(self, resource_id: str) -> tuple[float, float]:
        now = self.clock.now()
        in_b, out_b = self.counters.get(resource_id, (5e9, 9e9))
        elapsed = now - self.last_read.get(resource_id, now)
        in_b += self.in_rate_bytes_s * elapsed
        out_b += self.out_rate_bytes_s * elapsed
        self.counters[resource_id] = (in_b, out_b)
        self.last_read[resource_id] = now
        return in_b, out_b

    async def fetch_usage(self, resource: Resource, period_start: float, now: float) -> Usage:
        await self._enter("usage", resource.id)
        in_b, out_b = self._advance(resource.id)
        return Usage(int(in_b), int(out_b), self.clock.now(), None, f"GET /vpn/instances/{resource.id}/bandwidth")

    async def fetch_series(self, resource: Resource, period: Period) -> None:
        return None


def _rate(shape: int, t: float) -> tuple[float, float]:
    base = 1e6 * (1 + shape)
    wave = (t // 300) % 12
    return base + wave * 1e5, 2 * base + wave * 1e5


_SAMPLES: dict[tuple[int, int], tuple[float, list[Sample]]] = {}


def _samples(shape: int, last: float, step_s: int, window_s: int) -> tuple[Sample, ...]:
    """The series ending at ``last``: a slice of one growing list per (shape, step)."""
    first = last - window_s + step_s
    origin, samples = _SAMPLES.get((shape, step_s), (first, []))
    if first < origin or (first - origin) / step_s > 100_000:
        origin, samples = first, []
    _SAMPLES[(shape, step_s)] = (origin, samples)
    start = int((first - origin) // step_s)
    stop = int((last - origin) // step_s) + 1
    while len(samples) < stop:
        t = origin + len(samples) * step_s
        samples.append(Sample(t, *_rate(shape, t)))
    return tuple(samples[start:stop])
