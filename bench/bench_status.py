"""Benchmark: cold `bwtui status --json` against the loopback simulator with 50 resources.

Prints wall time and peak RSS of each run (a fresh process each time, so imports count).
Targets from the issue: <= 0.5 s wall and <= 60 MB peak RSS on a 2-core machine.

    .venv/bin/python bench/bench_status.py [--runs 5] [--services 40] [--instances 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"simulator did not start on port {port}")


def run_once(env: dict[str, str], config: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB and exit code of one cold `status --json`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "bwtui", "status", "--json", "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if result.returncode not in (0, 3):
        sys.stderr.write(result.stderr)
    return wall, max(peak_kb, before) / 1024, result.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--services", type=int, default=40)
    parser.add_argument("--instances", type=int, default=10)
    args = parser.parse_args()

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        env = dict(os.environ)
        env.update(
            XDG_CONFIG_HOME=str(tmp_path / "config"),
            XDG_STATE_HOME=str(tmp_path / "state"),
            XDG_DATA_HOME=str(tmp_path / "data"),
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
            BWTUI_TOKEN_HV_BENCH="demo-hv-key",
            BWTUI_TOKEN_VPN_BENCH="alto_sk_demo",
        )
        config = tmp_path / "bench.toml"
        base = f"http://127.0.0.1:{port}"
        config.write_text(
            f'[[account]]\nname = "hv-bench"\nprovider = "hivelocity"\n'
            f'base_url = "{base}/hivelocity/api/v2"\n\n'
            f'[[account]]\nname = "vpn-bench"\nprovider = "altostrat"\n'
            f'base_url = "{base}/altostrat"\n'
        )
        server = subprocess.Popen(
            [
                sys.executable, "-m", "bwtui", "simulate", "--port", str(port),
                "--services", str(args.services), "--instances", str(args.instances),
                "--rate-limit", "100000",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        try:
            wait_for_port(port)
            run_once(env, config)  # warm the simulator's own caches, not ours
            walls, peaks = [], []
            for _ in range(args.runs):
                wall, peak_mb, code = run_once(env, config)
                walls.append(wall)
                peaks.append(peak_mb)
                print(f"run: {wall:.3f} s wall, peak RSS {peak_mb:.1f} MB, exit {code}")
        finally:
            server.terminate()
            server.wait(timeout=10)
    resources = args.services + args.instances
    print(
        f"bwtui status --json, {resources} resources, {args.runs} cold runs: "
        f"median {statistics.median(walls):.3f} s, max {max(walls):.3f} s wall; "
        f"peak RSS {max(peaks):.1f} MB"
    )


if __name__ == "__main__":
    main()
