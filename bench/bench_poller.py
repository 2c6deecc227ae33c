"""Poller CPU cost: N Hivelocity services on one key over a simulated day, on the fake clock.

Usage: .venv/bin/python bench/bench_poller.py [--services 1000] [--hours 24]
Prints CPU seconds (total, and without the in-memory fake provider's own work), requests,
429s, and how often the selected and the other services were polled. A script, not a test.
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
    print(
        f"other services: series polls median {statistics.median(others):.0f}, "
        f"min {min(others)}, max {max(others)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24.0)
    args = parser.parse_args()
    asyncio.run(bench(args.services, args.hours))


if __name__ == "__main__":
    main()
