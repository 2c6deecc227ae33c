"""The collector's costs and what it saves (prints figures and a Markdown table; not a test).

Four measurements, each selectable (default: all):

* ``day``: the collector (the real Collector, session, history on disk, one attached viewer
  reading the feed, a /metrics scrape every simulated minute) over a fake Hivelocity with
  ``--resources`` services for a simulated day on the fake clock: CPU (without the fake
  provider's own work), final and peak RSS, events, feed volume, scrape CPU.
* ``scrape``: a real ``bwtui serve`` polling the loopback simulator (``--resources`` services,
  rate limit raised so it fills quickly), scraped over HTTP ``--scrapes`` times while it polls:
  p50 / p95 / max latency and the exposition's size (target p95 <= 50 ms at 1,000 resources).
* ``start``: a viewer's start to its first full frame (the list and a rate on screen, as
  ``bench_tui.py`` defines it) and to a complete one (every visible row with a rate), attached
  to a warmed-up collector versus polling directly, for 20 and ``--resources`` resources; each
  run starts without history of its own.
* ``requests``: provider requests over ``--window`` seconds at the real rate limit (3,600/h):
  a collector with 1 and with 5 attached monitors, and 1 and 5 monitors polling directly.

    .venv/bin/python bench/bench_collector.py [day scrape start requests] [--resources 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from bench_poller import TimedHivelocity  # noqa: E402
from bench_tui import RATE, full_frame  # noqa: E402
from fakes import IpRateLimiter  # noqa: E402
from pty_harness import PtySession  # noqa: E402

from bwtui.clock import FakeClock  # noqa: E402
from bwtui.collector.core import Collector, CollectorInfo  # noqa: E402
from bwtui.collector.metrics import MetricsPage  # noqa: E402
from bwtui.config import AccountConfig  # noqa: E402
from bwtui.history import HistoryStore  # noqa: E402
from bwtui.runtime import AccountRuntime  # noqa: E402
from bwtui.session.core import MonitorSession  # noqa: E402
from bwtui.session.live import LivePollerSource  # noqa: E402

ROWS: list[tuple[str, str, str]] = []  # (what, figure, target) for the closing table


def row(what: str, figure: str, target: str = "") -> None:
    ROWS.append((what, figure, target))
    print(f"  {what}: {figure}" + (f"  (target {target})" if target else ""))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# ----- day --------------------------------------------------------------------------------------
async def bench_day(resources: int, hours: float) -> None:
    print(f"day: {resources} resources, {hours:g} simulated hours")
    clock = FakeClock()
    client = TimedHivelocity("hv", clock, limiter=IpRateLimiter(clock), services=resources)
    runtime = AccountRuntime(AccountConfig("hv", "hivelocity"), client)  # type: ignore[arg-type]
    folder = Path(tempfile.mkdtemp(prefix="bwtui-bench-collector-"))
    history = HistoryStore(folder / "history.sqlite3")
    session = MonitorSession(now=clock.now, history=history)
    source = LivePollerSource([runtime], clock=clock, seed=lambda: session.history.seed)
    collector = Collector([runtime], source=source, session=session,
                          info=CollectorInfo("bench", "http://bench", clock.now()), clock=clock)
    page = MetricsPage(collector)
    scrape_cpu: list[float] = []
    feed_bytes = 0

    async def viewer() -> None:  # one attached viewer draining the feed
        nonlocal feed_bytes
        async for chunk in collector.feed():
            feed_bytes += len(chunk)

    async def scraper() -> None:
        while True:
            await clock.sleep(60)
            started = time.process_time()
            page.render()
            scrape_cpu.append(time.process_time() - started)

    process = psutil.Process()
    cpu_started = time.process_time()
    wall_started = time.perf_counter()
    await collector.start()
    tasks = [asyncio.ensure_future(viewer()), asyncio.ensure_future(scraper())]
    await clock.run(asyncio.Event().wait(), until=clock.now() + hours * 3600)
    for task in tasks:
        task.cancel()
    await collector.stop()
    cpu_s = time.process_time() - cpu_started
    wall_s = time.perf_counter() - wall_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux
    history.close()
    fake = client.fake_cpu_s
    print(f"  wall {wall_s:.1f} s; requests {client.count()}; events {collector.events_applied}; "
          f"feed {feed_bytes / 1e6:.1f} MB; scrapes {len(scrape_cpu)}")
    row(f"collector CPU, {resources} resources, {hours:g} simulated hours (the fake provider's work excluded)",
        f"{cpu_s - fake:.1f} s ({(cpu_s - fake) / (hours * 36):.3f} % of a core)")
    row("of which /metrics scrapes (one a minute)", f"{sum(scrape_cpu):.1f} s "
        f"({statistics.median(scrape_cpu) * 1e3:.1f} ms each, median)")
    row(f"collector RSS, {resources} resources", f"{process.memory_info().rss / 1e6:.0f} MB at the end, "
        f"{peak_mb:.0f} MB peak")


# ----- a simulator on loopback, counting requests and 429s ---------------------------------------
class Door:
    """Counts requests reaching the simulator, and its 429 answers."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests = 0
        self.rejected = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self._lock:
            self.requests += 1

        async def watch(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] == 429:
                with self._lock:
                    self.rejected += 1
            await send(message)

        await self.app(scope, receive, watch)


def simulator(services: int, *, limit_per_hour: int = 3600) -> tuple[Any, Any, Door]:
    from bwtui.simulator import Simulator, SimulatorConfig, serve_in_thread

    sim = Simulator(SimulatorConfig(hivelocity_services=services, altostrat_instances=0, hetzner_servers=0,
                                    vultr_instances=0, rate_limit_per_hour=limit_per_hour))
    door = Door(sim.app)
    sim.app = door  # type: ignore[assignment]
    return sim, serve_in_thread(sim), door


def environment(root: Path, server: Any) -> dict[str, str]:
    config = root / "config.toml"
    config.write_text(f'[[account]]\nname = "hv-sim"\nprovider = "hivelocity"\n'
                      f'base_url = "{server.hivelocity_base_url}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BWTUI_", "XDG_"))}
    for name in ("config", "state", "run", "home"):
        (root / name).mkdir(parents=True, exist_ok=True)
    env.update(BWTUI_CONFIG=str(config), BWTUI_TOKEN_HV_SIM="demo-hv-key", HOME=str(root / "home"),
               XDG_CONFIG_HOME=str(root / "config"), XDG_STATE_HOME=str(root / "state"),
               XDG_RUNTIME_DIR=str(root / "run"), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
               PYTHONPATH=str(ROOT))
    return env


def start_serve(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    discovery = Path(env["XDG_RUNTIME_DIR"]) / "bwtui" / "collector.json"
    process = subprocess.Popen([sys.executable, "-m", "bwtui", "serve", "--listen", "127.0.0.1:0"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            data = json.loads(discovery.read_text())
            if data["pid"] == process.pid:
                return process, data["url"]
        except (OSError, ValueError, KeyError):
            pass
        if process.poll() is not None:
            raise SystemExit("bwtui serve exited")
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


def fully_polled(url: str, resources: int) -> bool:
    """Every resource has a rate and totals in the collector."""
    try:
        text = httpx.get(url + "/metrics", timeout=10).text
    except httpx.HTTPError:
        return False
    rates = text.count('bwtui_resource_rate_bytes_per_second{') // 2
    totals = text.count('bwtui_resource_period_bytes{') // 2
    return rates >= resources and totals >= resources


def wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)


# ----- scrape ------------------------------------------------------------------------------------
def _scrapes(http: httpx.Client, url: str, count: int, until: Callable[[], bool] | None = None,
             ) -> tuple[list[float], int]:
    latencies: list[float] = []
    size = 0
    for _ in range(count):
        if until is not None and until():
            break
        began = time.perf_counter()
        response = http.get(url + "/metrics")
        latencies.append((time.perf_counter() - began) * 1e3)
        size = len(response.content)
        time.sleep(0.05)
    return latencies, size


def bench_scrape(resources: int, scrapes: int) -> None:
    print(f"scrape: a real bwtui serve with {resources} resources, scraped over HTTP")
    sim, server, door = simulator(resources, limit_per_hour=10_000_000)
    with tempfile.TemporaryDirectory(prefix="bwtui-bench-scrape-") as folder:
        env = environment(Path(folder), server)
        process, url = start_serve(env)
        try:
            wait(lambda: httpx.get(url + "/readyz").status_code == 200, 120, "the first listing")
            with httpx.Client(timeout=10) as http:
                began = door.requests
                busy, _ = _scrapes(http, url, scrapes, until=lambda: fully_polled(url, resources))
                during = door.requests - began
                wait(lambda: fully_polled(url, resources), 600, "every resource polled")
                quiet, size = _scrapes(http, url, scrapes // 2)
                # From now on the provider's real budget (3,600 requests/h): a poller that paces
                # itself to what the window has left slows down to it, as against Hivelocity.
                sim.rate_limiter.limit = 3600
                settled = door.requests
                print("  waiting for the next 5-minute round of polls ...")
                wait(lambda: door.requests > settled + 20, 900, "the next round of polls")
                began = door.requests
                started = time.monotonic()
                steady, size = _scrapes(http, url, scrapes)
                steady_rps = (door.requests - began) / (time.monotonic() - started)
        finally:
            stop(process)
            server.stop()
    for label, latencies in (
            (f"during its start-up burst ({during} provider requests meanwhile)", busy),
            ("between rounds (no request in flight)", quiet),
            (f"in its next round of polls ({steady_rps:.1f} provider requests/s meanwhile)", steady)):
        if latencies:
            row(f"/metrics scrape over HTTP, {resources} resources, {label}",
                f"p50 {pct(latencies, 0.5):.1f} ms, p95 {pct(latencies, 0.95):.1f} ms, "
                f"max {max(latencies):.1f} ms ({len(latencies)} scrapes)", "p95 <= 50 ms")
    row(f"/metrics size, {resources} resources", f"{size / 1e6:.2f} MB")


# ----- start -------------------------------------------------------------------------------------
def complete_frame(display: list[str]) -> bool:
    """Every visible resource row (they name the account) shows a rate."""
    rows = [line for line in display if "hv-sim" in line and "account" not in line]
    return bool(rows) and all(RATE.search(line) for line in rows)


# What every viewer shares with the collector, as one user's processes on one host do: the
# config, the token, the state dir (history, the host's request-budget ledger), the runtime dir.
VIEWER_ENV = ("BWTUI_CONFIG", "BWTUI_TOKEN_HV_SIM", "XDG_STATE_HOME", "XDG_RUNTIME_DIR", "PYTHONPATH")


def first_frames(env: dict[str, str], extra: list[str], runs: int) -> tuple[list[float], list[float]]:
    full: list[float] = []
    complete: list[float] = []
    for run in range(runs):
        # Each run a first start: its own state dir, so no history from the previous run helps.
        state = Path(env["XDG_STATE_HOME"]).parent / f"viewer-state-{time.monotonic_ns()}-{run}"
        session = PtySession([sys.executable, "-m", "bwtui", *extra], cols=140, rows=40, cwd=ROOT,
                             env={**{k: env[k] for k in VIEWER_ENV}, "XDG_STATE_HOME": str(state)})
        try:
            started = session.started_at
            full.append(session.wait_until(lambda: full_frame(session.screen.display), timeout=60, what="full") - started)
            complete.append(session.wait_until(lambda: complete_frame(session.screen.display), timeout=120,
                                               what="complete") - started)
            session.send_keys("q")
            session.wait_exit(15)
        finally:
            session.close()
    return full, complete


def bench_start(sizes: list[int], runs: int) -> None:
    for size in sizes:
        print(f"start: {size} resources, {runs} runs each")
        sim, server, door = simulator(size, limit_per_hour=10_000_000)
        with tempfile.TemporaryDirectory(prefix="bwtui-bench-start-") as folder:
            env = environment(Path(folder), server)
            try:
                direct = first_frames(env, ["--collector", "off"], runs)
                process, url = start_serve(env)
                try:
                    wait(lambda: fully_polled(url, size), 600, "the collector to poll everything")
                    attached = first_frames(dict(env), ["--collector", url], runs)
                finally:
                    stop(process)
            finally:
                server.stop()
        for label, (full, complete) in (("polling directly", direct), ("attached to a collector", attached)):
            row(f"viewer start to first full frame, {size} resources, {label}",
                f"{statistics.median(full):.2f} s (complete: {statistics.median(complete):.2f} s)",
                "attached no slower than direct")


# ----- requests ----------------------------------------------------------------------------------
def bench_requests(window_s: float, services: int) -> None:
    print(f"requests: {services} services, {window_s:g} s windows, real rate limit (3,600/h per IP)")
    for collector in (True, False):
        for viewers in (1, 5):
            sim, server, door = simulator(services)
            with tempfile.TemporaryDirectory(prefix="bwtui-bench-requests-") as folder:
                env = environment(Path(folder), server)
                sessions: list[PtySession] = []
                process = None
                try:
                    extra = ["--collector", "off"]
                    if collector:
                        process, url = start_serve(env)
                        extra = ["--collector", url]
                    began = time.monotonic()
                    for _ in range(viewers):
                        sessions.append(PtySession(
                            [sys.executable, "-m", "bwtui", *extra], cols=120, rows=30, cwd=ROOT,
                            env={k: env[k] for k in VIEWER_ENV}))
                    time.sleep(max(0.0, window_s - (time.monotonic() - began)))
                    requests, rejected = door.requests, door.rejected
                finally:
                    for session in sessions:
                        session.send_keys("q")
                        session.wait_exit(15)
                        session.close()
                    if process is not None:
                        stop(process)
                    server.stop()
            label = "collector +" if collector else "no collector,"
            row(f"provider requests in {window_s:g} s, {label} {viewers} monitor{'s' if viewers > 1 else ''}",
                f"{requests} ({rejected} answered 429)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", default=["day", "scrape", "start", "requests"])
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--window", type=float, default=90.0)
    parser.add_argument("--request-services", type=int, default=50)
    args = parser.parse_args()
    random.seed(1)
    if "day" in args.parts:
        asyncio.run(bench_day(args.resources, args.hours))
    if "scrape" in args.parts:
        bench_scrape(args.resources, args.scrapes)
    if "start" in args.parts:
        bench_start([20, args.resources], args.runs)
    if "requests" in args.parts:
        bench_requests(args.window, args.request_services)
    print("\n| what | figure | target |\n| --- | --- | --- |")
    for what, figure, target in ROWS:
        print(f"| {what} | {figure} | {target} |")


if __name__ == "__main__":
    main()
