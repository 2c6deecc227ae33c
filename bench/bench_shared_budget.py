"""Three bwtui processes on one IP against the simulator: one request budget, 0 x 429.

A monitor (the poller with the host's ledger, writing history), ``status`` every 30 s and
``check`` every 5 min (simulated) run as separate processes against the simulator on loopback
(200 Hivelocity services, 3,600 requests an hour per IP), sharing a state dir as real ones on a
jump host would. Time is scaled (``--speed``, default 30: a simulated hour in 2 real minutes) for
the simulator and every process alike, so the provider's window, its ``X-RateLimit-Reset`` and
its 5-minute rows keep their meaning (see ``bench/shared_budget_worker.py``).

Prints what each process did and what the simulator counted (requests, 429s).
Usage: .venv/bin/python bench/bench_shared_budget.py [--services 200] [--minutes 60] [--speed 30]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from bwtui.simulator import Simulator, SimulatorConfig, serve_in_thread  # noqa: E402
from bwtui.simulator.ratelimit import RateLimiter, Verdict  # noqa: E402

WORKER = ROOT / "bench" / "shared_budget_worker.py"


class CountingLimiter(RateLimiter):
    """The simulator's per-IP limiter, counting what it let through and what it refused."""

    def __init__(self, limit_per_hour: int) -> None:
        super().__init__(limit_per_hour)
        self.allowed = 0
        self.refused = 0
        self._count_lock = threading.Lock()

    def hit(self, ip: str, now: float) -> Verdict:
        verdict = super().hit(ip, now)
        with self._count_lock:
            if verdict.allowed:
                self.allowed += 1
            else:
                self.refused += 1
        return verdict


def run(services: int, minutes: float, speed: float, status_every_s: float = 30.0, check_every_s: float = 300.0) -> dict[str, Any]:
    """Run the three processes; return what each reported and what the simulator counted."""
    sim = Simulator(SimulatorConfig(
        hivelocity_services=services, altostrat_instances=0, hetzner_servers=0, vultr_instances=0, speed=speed,
    ))
    limiter = CountingLimiter(sim.config.rate_limit_per_hour)
    sim.rate_limiter = limiter
    server = serve_in_thread(sim)
    try:
        with tempfile.TemporaryDirectory() as state:
            common = [
                "--base-url", server.hivelocity_base_url, "--origin", repr(sim.started_at),
                "--speed", str(speed), "--state", state, "--duration", str(minutes * 60),
            ]
            roles = [
                ("monitor", []),
                ("status", ["--every", str(status_every_s)]),
                ("check", ["--every", str(check_every_s)]),
            ]
            processes = [
                subprocess.Popen(
                    [sys.executable, str(WORKER), role, *common, *extra],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                )
                for role, extra in roles
            ]
            reports: dict[str, Any] = {}
            for (role, _), process in zip(roles, processes):
                out, err = process.communicate(timeout=minutes * 60 / speed + 120)
                lines = [line for line in out.splitlines() if line.startswith("{")]
                reports[role] = json.loads(lines[-1]) if lines else {"error": err[-2000:]}
    finally:
        server.stop()
    reports["simulator"] = {"allowed": limiter.allowed, "429s": limiter.refused}
    return reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=60.0, help="simulated minutes")
    parser.add_argument("--speed", type=float, default=30.0, help="simulated seconds per real second")
    args = parser.parse_args()
    reports = run(args.services, args.minutes, args.speed)
    print(f"{args.services} services, {args.minutes:g} simulated minutes at x{args.speed:g} "
          f"(limit {3600}/h per IP, three processes sharing one state dir)")
    for role in ("monitor", "status", "check", "simulator"):
        print(f"{role:>9}: {json.dumps(reports[role])}")


if __name__ == "__main__":
    main()
