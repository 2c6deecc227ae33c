"""CPU the provider clients spend per request, against `bwtui simulate` in a child process.

Usage: .venv/bin/python bench/bench_request_cpu.py [--rounds 20] [--size 6]
Starts the simulator (no rate limit to speak of) with the demo's fleet at --size (6: 6
Hivelocity services, 6 Altostrat instances, 4 Hetzner, 4 Vultr = 20 resources), then on one
thread's event loop, as the poller thread does: a first round (list every account, then each
resource's usage and DAY series), then --rounds more rounds on the kept-alive connections.
Prints this thread's CPU (time.thread_time) for the first round and per request after it,
overall and per provider (parse included; the simulator's own CPU is in another process).
Then the same rounds replayed from recorded answers through httpx.MockTransport: the CPU of
bwtui's HTTP layer, httpx's client layer and the parsers, without sockets (steadier figures).
A script, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from bwtui.model import Period  # noqa: E402
from bwtui.providers import make_client  # noqa: E402
from bwtui.simulator import contract  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_simulator(port: int, size: int) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "bwtui", "simulate", "--port", str(port),
            "--rate-limit", "1000000", "--services", str(size), "--instances", str(size),
            "--hetzner-servers", str(max(size * 2 // 3, 1)),
            "--vultr-instances", str(max(size * 2 // 3, 1))]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the simulator did not start")


def clients(base: str, http: Callable[[], httpx.AsyncClient] | None = None) -> list:
    plan = [("hv", "hivelocity", contract.HIVELOCITY_PATH, contract.HIVELOCITY_TOKEN, {}),
            ("vpn", "altostrat", contract.ALTOSTRAT_PATH, contract.ALTOSTRAT_TOKEN,
             {"path_prefix": "/vpn"}),
            ("hz", "hetzner", contract.HETZNER_PATH, contract.HETZNER_TOKEN, {}),
            ("vultr", "vultr", contract.VULTR_PATH, contract.VULTR_TOKEN, {})]
    return [make_client(provider, name, token, base_url=base + path,
                        http=http() if http is not None else None, **settings)
            for name, provider, path, token, settings in plan]


def replay_key(request: httpx.Request) -> tuple[str, str, str]:
    return request.method, request.url.path, request.url.params.get("period", "")


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests on and keeps each answer (by method, path and period) for the replay."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.answers: dict[tuple[str, str, str], tuple[int, list[tuple[bytes, bytes]], bytes]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        self.answers[replay_key(request)] = (response.status_code, response.headers.raw, body)
        return httpx.Response(response.status_code, headers=response.headers.raw, content=body)

    async def aclose(self) -> None:
        await self.inner.aclose()


def replayer(answers: dict) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        status, headers, body = answers[replay_key(request)]
        return httpx.Response(status, headers=headers, content=body)

    return httpx.MockTransport(handle)


async def one_round(accounts: list, cpu: dict[str, list[float]]) -> int:
    """List every account and fetch each resource's usage and DAY series; the request count."""
    requests = 0
    now = time.time()
    for client in accounts:
        started = time.thread_time()
        resources = await client.list_resources()
        for resource in resources:
            await client.fetch_usage(resource, now - 86400 * 10, now)
            await client.fetch_series(resource, Period.DAY)
        cpu[client.provider].append(time.thread_time() - started)
        requests += 1 + 2 * len(resources)
    return requests


async def timed_rounds(accounts: list, rounds: int, label: str) -> None:
    """Time ``rounds`` rounds on this thread's CPU clock; print per call and per provider."""
    per_round: list[float] = []
    later: dict[str, list[float]] = defaultdict(list)
    count = 0
    for _ in range(rounds):
        started = time.thread_time()
        count = await one_round(accounts, later)
        per_round.append(time.thread_time() - started)
    per_request = statistics.median(per_round) / count * 1000
    print(f"{label}: median {statistics.median(per_round) * 1000:.1f} ms for ~{count} calls = "
          f"{per_request:.3f} ms per call (fastest round {min(per_round) / count * 1000:.3f})")
    for provider, values in later.items():
        print(f"  {provider:<11} median {statistics.median(values) * 1000:6.2f} ms per round")


async def replayed(rounds: int, base: str) -> None:
    """Record one round's answers, then time rounds served from them (no sockets)."""
    recorder = Recorder()
    recording = clients(base, lambda: httpx.AsyncClient(transport=recorder))
    await one_round(recording, defaultdict(list))
    accounts = clients(base, lambda: httpx.AsyncClient(transport=replayer(recorder.answers)))
    await one_round(accounts, defaultdict(list))
    await timed_rounds(accounts, rounds * 3, "replayed rounds (no sockets)")
    for client in recording + accounts:
        await client.aclose()


async def main(rounds: int, base: str) -> None:
    accounts = clients(base)
    first: dict[str, list[float]] = defaultdict(list)
    started = time.thread_time()
    first_requests = await one_round(accounts, first)
    first_cpu = time.thread_time() - started
    print(f"first round: {first_cpu * 1000:.1f} ms CPU, ~{first_requests} calls "
          f"(imports and connections included)")
    await timed_rounds(accounts, rounds, "later rounds (keep-alive)")
    for client in accounts:
        await client.aclose()
    await replayed(rounds, base)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--size", type=int, default=6)
    parser.add_argument("--port", type=int, help="an already running simulator's port")
    args = parser.parse_args()
    proc = None if args.port else start_simulator(port := free_port(), args.size)
    try:
        asyncio.run(main(args.rounds, f"http://127.0.0.1:{args.port or port}"))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
