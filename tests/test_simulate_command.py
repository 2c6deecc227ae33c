"""`bwtui simulate` serves and names all four simulated providers, each sized by its own flag."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_simulate_prints_four_apis_and_serves_the_sizes_asked_for() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bwtui", "simulate", "--port", str(port), "--hetzner-servers", "2",
         "--vultr-instances", "3"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(5)]  # type: ignore[union-attr]
        assert [line.split(":")[0] for line in lines[:4]] == [
            "Hivelocity API", "Altostrat API", "Hetzner API", "Vultr API"]
        assert f"http://127.0.0.1:{port}/hetzner/v1" in lines[2]
        servers = httpx.get(f"http://127.0.0.1:{port}/hetzner/v1/servers",
                            headers={"Authorization": "Bearer demo-hz-token"}, timeout=20).json()
        assert len(servers["servers"]) == 2
        instances = httpx.get(f"http://127.0.0.1:{port}/vultr/v2/instances",
                              headers={"Authorization": "Bearer demo-vultr-key"}, timeout=20).json()
        assert len(instances["instances"]) == 3
    finally:
        proc.terminate()
        proc.wait(10)
