"""Soak: the monitor against the simulator with 10 % injected faults over a simulated week.

The real app (``BwtuiApp``, headless, 120×40), the real provider clients and poller, the history
store on disk, and the project's simulator served in process (httpx ASGI transport, no sockets),
all on one fake clock that this script steps hour by hour. One request in ten (``--fault-rate``)
meets a fault drawn from the simulator's own kinds: HTTP 500/502/503/429, a dropped connection,
malformed, truncated or wrongly typed JSON, gaps, empty metadata, and a server that echoes the
API key. HTTP 401 is left out of the default mix: the poller stops an account on a 401 by design
(the key is wrong; retrying spends the budget), so one random 401 ends its polling for the run;
``--faults "HTTP 401"`` shows that. Prints RSS at start, after each day and the slope over days 1–7 (target:
flat, i.e. well under 1 MB/day; also from day 3, once the two days of points the monitor keeps
in memory are full), the crash count (target 0), requests and faults, history rows
and the history health. A script, not a test.

    .venv/bin/python bench/bench_soak.py [--days 7] [--services 12] [--instances 6]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bwtui.clock import FakeClock  # noqa: E402
from bwtui.config import AccountConfig  # noqa: E402
from bwtui.history import HistoryStore  # noqa: E402
from bwtui.providers.altostrat import AltostratClient  # noqa: E402
from bwtui.providers.hivelocity import HivelocityClient  # noqa: E402
from bwtui.runtime import AccountRuntime  # noqa: E402
from bwtui.simulator import Fault, Simulator, SimulatorConfig  # noqa: E402

DAY = 86400
NOT_BY_DEFAULT = {"HTTP 401"}
START = 1_767_225_600.0 + 14 * DAY  # 2026-01-15T00:00:00Z


def _faults() -> list[Fault]:
    return [
        Fault.status(500, times=1),
        Fault.status(502, times=1),
        Fault.status(503, times=1),
        Fault.status(429, retry_after_s=120, times=1),
        Fault.status(401, times=1),
        Fault.drop_connection(times=1),
        Fault.malformed_json(times=1),
        Fault.truncated_json(times=1),
        Fault.wrong_types(times=1),
        Fault.gaps(times=1),
        Fault.empty_metadata(times=1),
        Fault.echo_key("json", code=500, times=1),
        Fault.echo_key("text", code=503, times=1),
    ]


def _label(fault: Fault) -> str:
    return f"HTTP {fault.code}" if fault.kind == "status" else fault.kind


class FaultyFront:
    """An ASGI app in front of the simulator that makes ``rate`` of the requests meet a fault."""

    def __init__(self, sim: Simulator, rate: float, seed: int, only: set[str] | None = None) -> None:
        self.sim = sim
        self.rate = rate
        self.random = random.Random(seed)
        self.kinds = [
            f for f in _faults()
            if (only is None and _label(f) not in NOT_BY_DEFAULT) or (only and _label(f) in only)
        ]
        self.requests = 0
        self.injected: Counter[str] = Counter()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests += 1
            if self.random.random() < self.rate:
                provider = "hivelocity" if scope["path"].startswith("/hivelocity") else "altostrat"
                fault = self.random.choice(self.kinds)
                self.sim.inject(provider, None, fault)
                self.injected[_label(fault)] += 1
        await self.sim.app(scope, receive, send)


def rss_mb() -> float:
    """Resident set size now (Linux ``/proc``), after a full garbage collection."""
    gc.collect()
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def slope_mb_per_day(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (day, MB)."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


def _store_of(app: Any) -> Any:
    """The UI store (``app.store`` today; ``app.session.store`` once the session package lands)."""
    store = getattr(app, "store", None)
    if store is None and getattr(app, "session", None) is not None:
        store = app.session.store
    return store


async def soak(args: argparse.Namespace) -> int:
    from bwtui.ui.app import BwtuiApp

    clock = FakeClock(START)
    sim = Simulator(SimulatorConfig(
        seed=args.seed, clock=clock.now, hivelocity_services=args.services,
        altostrat_instances=args.instances, altostrat_reset_after_s=None))
    only = set(args.faults.split(",")) if args.faults else None
    front = FaultyFront(sim, args.fault_rate, args.seed, only)
    workdir = Path(tempfile.mkdtemp(prefix="bwtui-soak-"))
    history = HistoryStore(workdir / "history.sqlite3", clock=clock.now)
    transport = httpx.ASGITransport(app=front, client=("127.0.0.1", 40000))
    http = httpx.AsyncClient(transport=transport)
    hv_url, alto_url = sim.hivelocity_base_url(), sim.altostrat_base_url()
    runtimes = [
        AccountRuntime(AccountConfig("hv-soak", "hivelocity", base_url=hv_url),
                       HivelocityClient("hv-soak", sim.config.hivelocity_token, base_url=hv_url,
                                        http=http, clock=clock.now)),
        AccountRuntime(AccountConfig("vpn-soak", "altostrat", base_url=alto_url, path_prefix="/vpn"),
                       AltostratClient("vpn-soak", sim.config.altostrat_token, base_url=alto_url,
                                       path_prefix="/vpn", http=http, clock=clock.now)),
    ]
    app = BwtuiApp(runtimes, clock=clock, history=history, history_flush_s=0.05)
    crashes: list[str] = []
    rss: list[tuple[float, float]] = []
    began = time.perf_counter()
    print(f"soak: {args.services} Hivelocity services + {args.instances} Altostrat instances, "
          f"{args.days} simulated days, {args.fault_rate:.0%} of requests meet a fault")
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await clock.run_for(600)  # the first poll rounds: lists, series, first readings
        await pilot.pause(0.2)
        rss.append((0.0, rss_mb()))
        print(f"  start (10 simulated minutes in): RSS {rss[-1][1]:.1f} MB")
        for day in range(1, args.days + 1):
            for _ in range(24):
                await clock.run_for(3600)
                await pilot.pause(0.06)  # let the history flush timer (real time) run
                if not app.is_running:
                    crashes.append("the app stopped")
                    break
            if crashes:
                break
            store = _store_of(app)
            if getattr(store, "crashed", None):
                crashes.append(f"polling stopped: {store.crashed}")
                break
            rss.append((float(day), rss_mb()))
            states = list(store.states.values()) if store is not None else []
            errors = sum(1 for s in states if s.error is not None)
            print(f"  day {day}: RSS {rss[-1][1]:.1f} MB; {front.requests} requests so far, "
                  f"{sum(front.injected.values())} faulted; {errors} of {len(states)} resources "
                  f"showing an error now; {time.perf_counter() - began:.0f} s real")
        if app.is_running:
            app.exit()
    await http.aclose()
    crashes += [f"app exception: {app._exception!r}"] if getattr(app, "_exception", None) else []
    counts = history.row_counts()
    health = history.health
    history.close()
    per_day = [p for p in rss if p[0] >= 1]
    slope = slope_mb_per_day(per_day) if len(per_day) >= 2 else float("nan")
    # The monitor keeps two days of points in memory: growth until then is the window filling.
    settled = [p for p in rss if p[0] >= 3]
    late = slope_mb_per_day(settled) if len(settled) >= 2 else float("nan")
    print(f"  crashes: {len(crashes)} (target 0){': ' + '; '.join(crashes) if crashes else ''}")
    print(f"  RSS: start {rss[0][1]:.1f} MB, day 1 {rss[1][1] if len(rss) > 1 else float('nan'):.1f} MB, "
          f"day {int(rss[-1][0])} {rss[-1][1]:.1f} MB; slope over days 1–{int(rss[-1][0])}: "
          f"{slope:+.2f} MB/day (target: flat, |slope| < 1 MB/day: "
          f"{'met' if abs(slope) < 1 else 'MISSED'}); once the 2-day in-memory window is full "
          f"(days 3–{int(rss[-1][0])}): {late:+.2f} MB/day")
    print(f"  requests: {front.requests}, faults injected: {sum(front.injected.values())} "
          f"({sum(front.injected.values()) / max(1, front.requests):.1%}): "
          + ", ".join(f"{k} {v}" for k, v in front.injected.most_common()))
    print(f"  history: {counts}; health {health.state}, {health.lost_points} points lost")
    print(f"  real time: {time.perf_counter() - began:.0f} s; files in {workdir}")
    return 1 if crashes else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--services", type=int, default=12)
    parser.add_argument("--instances", type=int, default=6)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", default="", help="only these kinds, e.g. 'HTTP 500,gaps'")
    return asyncio.run(soak(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
