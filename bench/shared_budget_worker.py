"""One bwtui process of the shared-budget run: a monitor, a ``status`` loop or a ``check`` loop.

Run by ``bench/bench_shared_budget.py`` against the simulator on loopback. Every process runs on the same *scaled* clock as the simulator
(simulated time = origin + (real time - origin) x speed), so a simulated hour of Hivelocity's
3,600-request window passes in a minute or two of real time while every figure the provider
sends (``X-RateLimit-Reset``, row times) keeps its meaning. The processes share only what real
ones share: the state dir (the request-budget ledger and the history database) and the
provider's per-IP budget. Prints one JSON line of results on exit.

Usage: python bench/shared_budget_worker.py ROLE --base-url URL --origin T --speed S
       --state DIR --duration SIM_SECONDS [--every SIM_SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bwtui.config import AccountConfig, PollSettings  # noqa: E402
from bwtui.events import PollEvent, ResourceUpdated  # noqa: E402
from bwtui.history import HistoryStore  # noqa: E402
from bwtui.model import Reading, ResourceState  # noqa: E402
from bwtui.poller import Poller  # noqa: E402
from bwtui.polling.budgeted import collect_within_budget  # noqa: E402
from bwtui.polling.ledger import Ledger  # noqa: E402
from bwtui.providers.hivelocity import HivelocityClient  # noqa: E402
from bwtui.runtime import AccountRuntime  # noqa: E402


class ScaledClock:
    """The simulator's clock: simulated epoch seconds running ``speed`` times real time."""

    def __init__(self, origin: float, speed: float) -> None:
        self.origin = origin
        self.speed = speed

    def now(self) -> float:
        return self.origin + (time.time() - self.origin) * self.speed

    async def sleep(self, delay_s: float) -> None:
        await asyncio.sleep(max(0.0, delay_s) / self.speed)

    def call_at(self, when: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        loop = asyncio.get_running_loop()
        return loop.call_later(max(0.0, when - self.now()) / self.speed, callback)

    def timeout(self, delay_s: float | None) -> AbstractAsyncContextManager[Any]:
        return asyncio.timeout(None if delay_s is None else delay_s / self.speed)


def ledger(args: argparse.Namespace, process: str) -> Ledger:
    """The shared ledger; a process counts as gone after 10 real seconds of silence (at 30x,
    the default 30 simulated seconds would be one real second: a busy machine's hiccup)."""
    return Ledger(Path(args.state) / "budget.sqlite3", process=process, live_s=max(30.0, 10.0 * args.speed))


def settings(clock: ScaledClock) -> PollSettings:
    """Deadlines in simulated seconds: real loopback latency, scaled up, must not time out."""
    return PollSettings(request_deadline_s=20.0 * max(1.0, clock.speed / 5))


def runtime(base_url: str, clock: ScaledClock, http: httpx.AsyncClient) -> AccountRuntime:
    client = HivelocityClient("hv", "demo-hv-key", base_url=base_url, http=http, clock=clock.now)
    return AccountRuntime(AccountConfig("hv", "hivelocity", base_url=base_url), client)


def counting(statuses: dict[int, int]) -> dict[str, list[Any]]:
    async def on_response(response: httpx.Response) -> None:
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    return {"response": [on_response]}


async def monitor(args: argparse.Namespace, clock: ScaledClock) -> dict[str, Any]:
    """A monitor: the poller with the host's ledger, writing history as the TUI does."""
    statuses: dict[int, int] = {}
    history = HistoryStore(Path(args.state) / "history.sqlite3")
    written: dict[tuple[str, str], float] = {}
    points: dict[tuple[str, str], set[float]] = {}
    pending: list[ResourceState] = []

    def on_event(event: PollEvent) -> None:
        if isinstance(event, ResourceUpdated):
            pending.append(event.state)

    def flush() -> None:
        for state in pending:
            key = state.resource.key
            newest = written.get(key, float("-inf"))
            fresh = [s for s in state.history if s.t > newest]
            if fresh:
                history.add_samples(key, fresh)
                written[key] = fresh[-1].t
                points.setdefault(key, set()).update(s.t for s in fresh)
            usage = state.usage
            if usage is not None and usage.as_of is not None and usage.period_in_bytes is not None:
                history.add_reading(key, Reading(usage.as_of, usage.period_in_bytes, usage.period_out_bytes or 0))
        pending.clear()

    async with httpx.AsyncClient(event_hooks=counting(statuses)) as http:
        poller = Poller(
            [runtime(args.base_url, clock, http)], clock=clock, on_event=on_event,  # type: ignore[arg-type]
            settings=settings(clock), ledger=ledger(args, "monitor"),
        )
        task = asyncio.ensure_future(poller.run())
        end = clock.now() + args.duration
        while clock.now() < end:
            await clock.sleep(10)
            flush()
        poller.stop()
        await asyncio.gather(task, return_exceptions=True)
        flush()
    history.close()
    start = args.origin
    new_points = [len({t for t in ts if t > start + 600}) for ts in points.values()]
    return {
        "role": "monitor",
        "requests": sum(statuses.values()),
        "429s": statuses.get(429, 0),
        "resources": len(points),
        "points_per_resource_min": min(new_points, default=0),
        "points_per_resource_max": max(new_points, default=0),
    }


async def one_shots(args: argparse.Namespace, clock: ScaledClock, when_short: str) -> dict[str, Any]:
    """``status`` (or ``check``) every ``--every`` simulated seconds, as cron would run it."""
    statuses: dict[int, int] = {}
    runs: list[dict[str, Any]] = []
    end = clock.now() + args.duration
    next_at = clock.now() + args.every
    while next_at < end:  # on a fixed schedule, as cron runs it (a slow run delays the next)
        await clock.sleep(next_at - clock.now())
        next_at += args.every
        async with httpx.AsyncClient(event_hooks=counting(statuses)) as http:
            sent_before = sum(statuses.values())
            results, states = await collect_within_budget(
                [runtime(args.base_url, clock, http)], clock=clock, settings=settings(clock),
                history_path=Path(args.state) / "history.sqlite3",
                ledger=ledger(args, f"{args.role}-{len(runs)}"),
                when_short=when_short,
            )
        cached = [s for s in states if s.error is not None and s.error.message.startswith("budget low")]
        ages = [clock.now() - s.rate_at for s in states if s.rate_at is not None]
        runs.append({
            "resources": len(states),
            "requests": sum(statuses.values()) - sent_before,
            "cached": len(cached),
            "without_figures": sum(1 for s in states if s.rate_at is None),
            "short": any(r.budget is not None for r in results),
            "rate_age_max_s": max(ages, default=None),
        })
    return {
        "role": args.role,
        "runs": len(runs),
        "requests": sum(statuses.values()),
        "429s": statuses.get(429, 0),
        "min_resources": min((r["resources"] for r in runs), default=0),
        "full_runs": sum(1 for r in runs if not r["short"]),
        "cached_runs": sum(1 for r in runs if r["short"]),
        "max_without_figures": max((r["without_figures"] for r in runs), default=0),
        "rate_age_max_s": max((r["rate_age_max_s"] or 0 for r in runs), default=0),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["monitor", "status", "check"])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--origin", type=float, required=True)
    parser.add_argument("--speed", type=float, required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--every", type=float, default=30.0)
    args = parser.parse_args()
    clock = ScaledClock(args.origin, args.speed)
    if args.role == "monitor":
        result = asyncio.run(monitor(args, clock))
    else:
        result = asyncio.run(one_shots(args, clock, "cached" if args.role == "status" else "unknown"))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
