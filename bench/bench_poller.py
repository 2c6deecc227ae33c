"""Poller CPU cost and pacing: N Hivelocity services on one key over a simulated day (fake clock).

Usage: .venv/bin/python bench/bench_poller.py [--services 1000] [--hours 24]
Prints CPU seconds (total, and without the in-memory fake provider's own work), requests,
429s, how often the selected and the other services were polled, and the per-minute request
histogram (issue 15: the busiest minute <= 2.5 % of the hour's budget, i.e. <= 1.5x the even
share, and every minute of the hour used when the fleet needs it; no start-up burst).
A script, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakes import FakeHivelocity, IpRateLimiter  # noqa: E402

from bwtui.clock import FakeClock  # noqa: E402
from bwtui.config import AccountConfig  # noqa: E402
from bwtui.poller import Poller  # noqa: E402
from bwtui.runtime import AccountRuntime  # noqa: E402


@dataclass
class TimedHivelocity(FakeHivelocity):
    """The fake, measuring the CPU its own calls take (they never suspend with no latency)."""

    fake_cpu_s: float = 0.0

    async def fetch_series(self, resource, period):  # type: ignore[no-untyped-def]
        started = time.process_time()
        try:
            return await super().fetch_series(resource, period)
        finally:
            self.fake_cpu_s += time.process_time() - started

    async def fetch_usage(self, resource, period_start, now):  # type: ignore[no-untyped-def]
        started = time.process_time()
        try:
            return await super().fetch_usage(resource, period_start, now)
        finally:
            self.fake_cpu_s += time.process_time() - started


async def bench(services: int, hours: float) -> None:
    clock = FakeClock()
    limiter = IpRateLimiter(clock)
    client = TimedHivelocity("hv", clock, limiter=limiter, services=services)
    events = 0

    def on_event(_event: object) -> None:
        nonlocal events
        events += 1

    poller = Poller(
        [AccountRuntime(AccountConfig("hv", "hivelocity"), client)],  # type: ignore[arg-type]
        clock=clock,
        on_event=on_event,
        rng=random.Random(1),
    )
    selected = client.resource(services // 2)
    poller.prioritize(selected.key)
    clock_start = clock.now()
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    await clock.run(poller.run(), until=clock.now() + hours * 3600)
    cpu_s, wall_s = time.process_time() - cpu_started, time.perf_counter() - wall_started

    def series_count(index: int) -> int:
        return len(client.times("series", client.resource(index).id))

    others = [series_count(i) for i in range(services) if i != services // 2]
    print(f"services: {services}, simulated: {hours:g} h, wall: {wall_s:.2f} s")
    print(f"cpu total: {cpu_s:.2f} s; poller alone (minus the fake's work): {cpu_s - client.fake_cpu_s:.2f} s")
    print(
        f"requests: {limiter.requests} ({limiter.requests / hours:.0f}/h, limit {limiter.limit}/h), "
        f"429s: {limiter.rejected}, most in one window: {limiter.max_in_window}"
    )
    print(f"poller cpu per request: {(cpu_s - client.fake_cpu_s) / max(1, limiter.requests) * 1e6:.0f} us")
    print(f"events: {events}")
    print(f"selected service: {series_count(services // 2)} series polls (288 points a day at 5 min)")
    histogram(client, limiter.limit, clock_start, hours)
    print(
        f"other services: series polls median {statistics.median(others):.0f}, "
        f"min {min(others)}, max {max(others)}"
    )


def histogram(client: TimedHivelocity, limit: int, start: float, hours: float) -> None:
    """Requests per minute: the first hour, the busiest hour, and over every hour."""
    minutes = [0] * int(hours * 60 + 1)
    for call in client.calls:
        minutes[min(len(minutes) - 1, int((call.t - start) // 60))] += 1
    first_10s = sum(1 for call in client.calls if call.t - start < 10)
    even = limit / 60
    print(f"first 10 s: {first_10s} requests; even share of the limit: {even:.0f}/min")
    first_rate: dict[str, float] = {}
    for call in client.calls:
        if call.op == "series" and call.resource_id is not None:
            first_rate.setdefault(call.resource_id, call.t - start)
    screen = [first_rate.get(client.resource(i).id, float("inf")) for i in range(min(20, len(first_rate)))]
    print(
        f"first screenful (20 resources in listing order) has rates after {max(screen, default=0):.0f} s; "
        f"every resource after {max(first_rate.values(), default=0):.0f} s"
    )
    worst_share = 0.0
    for hour in range(int(hours)):
        counts = minutes[hour * 60:(hour + 1) * 60]
        share = max(counts) / limit
        worst_share = max(worst_share, share)
        if hour in (0, 1, int(hours) - 1):
            print(
                f"hour {hour:>2}: {sum(counts):>5} requests, busiest minute {max(counts)} "
                f"({share:.2%} of {limit}; {max(counts) / even:.2f}x even), quietest {min(counts)}, "
                f"minutes used {sum(1 for c in counts if c)}/60"
            )
            print("         per minute: " + " ".join(str(c) for c in counts))
    used = sum(1 for c in minutes[: int(hours) * 60] if c)
    print(
        f"all hours: busiest minute {worst_share:.2%} of the hour's budget [target <= 2.50%], "
        f"minutes used {used}/{int(hours) * 60}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24.0)
    args = parser.parse_args()
    asyncio.run(bench(args.services, args.hours))


if __name__ == "__main__":
    main()
