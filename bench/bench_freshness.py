"""Data freshness: how old the figures a long-running monitor shows are, over a simulated day.

The real Hivelocity client talks to the project's simulator through its in-process transport;
poller, client and simulator all run on one fake clock, so a day takes a minute or two.

Every ``--sample`` simulated seconds the bench reads each resource's state and records:
- rate age: now - the end of the 5-minute interval the shown rate describes (``rate_at``), and
  how many published points the monitor is behind the simulator (0 = it shows the newest);
- totals age: now - ``usage.as_of`` (the end of the newest hourly row the totals include).
The first ``--warmup`` seconds are left out (start-up). Targets (issue 9): rate age p95 <= one
step + 60 s (360 s), max <= two steps (600 s) for 200 services on one key.

Usage: .venv/bin/python bench/bench_freshness.py [--services 200] [--hours 24]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

import httpx  # noqa: E402

from bwtui.clock import FakeClock  # noqa: E402
from bwtui.config import AccountConfig  # noqa: E402
from bwtui.events import BudgetUpdated, PollEvent  # noqa: E402
from bwtui.poller import Poller  # noqa: E402
from bwtui.providers.hivelocity import HivelocityClient  # noqa: E402
from bwtui.runtime import AccountRuntime  # noqa: E402
from bwtui.simulator.core import Simulator, SimulatorConfig  # noqa: E402

STEP_S = 300
START = 1_767_225_600.0 + 3 * 86400 + 137  # not on a step boundary


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of ``values``."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class Ages:
    rate: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    usage: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    behind: Counter[int] = field(default_factory=Counter)
    missing: int = 0


async def bench(services: int, hours: float, sample_s: float, warmup_s: float, limit: int) -> None:
    clock = FakeClock(start=START)
    sim = Simulator(SimulatorConfig(clock=clock.now, hivelocity_services=services,
                                    altostrat_instances=0, rate_limit_per_hour=limit))
    budgets: list[BudgetUpdated] = []

    def on_event(event: PollEvent) -> None:
        if isinstance(event, BudgetUpdated):
            budgets.append(event)

    ages = Ages()
    sent = 0

    async def count(_request: httpx.Request) -> None:
        nonlocal sent
        sent += 1

    async with httpx.AsyncClient(transport=sim.transport(), event_hooks={"request": [count]}) as http:
        base_url = sim.hivelocity_base_url()
        client = HivelocityClient("hv", "demo-hv-key", base_url=base_url, http=http, clock=clock.now)
        poller = Poller([AccountRuntime(AccountConfig("hv", "hivelocity", base_url=base_url), client)],
                        clock=clock, on_event=on_event, rng=random.Random(1))

        async def sampler() -> None:
            end = clock.now() + hours * 3600
            next_at = clock.now() + warmup_s
            while next_at <= end:
                await clock.sleep(next_at - clock.now())
                now = clock.now()
                newest_label = (now // STEP_S) * STEP_S - STEP_S  # the simulator's newest row
                for key, state in poller.states.items():
                    if state.rate_at is None:
                        ages.missing += 1
                        continue
                    ages.rate.setdefault(key, []).append(now - state.rate_at)
                    shown_label = state.history[-1].t if state.history else state.rate_at - STEP_S
                    ages.behind[int(round((newest_label - shown_label) / STEP_S))] += 1
                    if state.usage is not None and state.usage.as_of is not None:
                        ages.usage.setdefault(key, []).append(now - state.usage.as_of)
                next_at += sample_s

        wall = time.perf_counter()
        cpu = time.process_time()
        task = asyncio.ensure_future(poller.run())
        await clock.run(sampler())
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    rejected = sum(budget.rejected for budget in poller.budgets.values())
    every_rate = [a for values in ages.rate.values() for a in values]
    every_usage = [a for values in ages.usage.values() for a in values]
    per_p95 = [pct(v, 0.95) for v in ages.rate.values()]
    print(f"services: {services}, simulated: {hours:g} h (first {warmup_s:g} s left out), "
          f"sampled every {sample_s:g} s; wall {wall:.1f} s, cpu {cpu:.1f} s")
    print(f"requests: {sent} ({sent / hours:.0f}/h, limit {limit}/h); 429s: {rejected}")
    print(f"rate age (s), all resources: median {pct(every_rate, 0.5):.0f}, "
          f"p95 {pct(every_rate, 0.95):.0f}, max {max(every_rate, default=math.nan):.0f}  "
          f"[target p95 <= {STEP_S + 60}, max <= {2 * STEP_S}]")
    print(f"rate age p95 per resource: best {min(per_p95):.0f}, median {pct(per_p95, 0.5):.0f}, "
          f"worst {max(per_p95):.0f}")
    total = sum(ages.behind.values())
    spread = ", ".join(f"{k}: {v / total:.1%}" for k, v in sorted(ages.behind.items()))
    print(f"points behind the simulator's newest: {spread}")
    print(f"totals age (s): median {pct(every_usage, 0.5):.0f}, p95 {pct(every_usage, 0.95):.0f}, "
          f"max {max(every_usage, default=math.nan):.0f}  [hourly rows: p95 <= 3600 + 60]")
    if budgets:
        last = budgets[-1]
        print(f"budget: stretch x{last.stretch:.2f}, {last.reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--sample", type=float, default=30.0, help="sample every N simulated seconds")
    parser.add_argument("--warmup", type=float, default=900.0, help="leave out the first N seconds")
    parser.add_argument("--limit", type=int, default=3600, help="requests per hour per IP")
    args = parser.parse_args()
    asyncio.run(bench(args.services, args.hours, args.sample, args.warmup, args.limit))


if __name__ == "__main__":
    main()
