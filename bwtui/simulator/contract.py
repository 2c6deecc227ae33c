"""What the demo's clients and a simulator agree on, importable without the simulator itself.

A simulator may run in this process (tests) or in a child process (``bwtui --demo``, see
:mod:`bwtui.simulator.process`); either way its clients need the API paths, the simulated
tokens and the simulated clock, and the process that builds them should not have to import
Starlette and uvicorn to know them.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

HIVELOCITY_PATH = "/hivelocity/api/v2"
ALTOSTRAT_PATH = "/altostrat"
HETZNER_PATH = "/hetzner/v1"
VULTR_PATH = "/vultr/v2"

# The simulated accounts' keys (not secrets: they open nothing but the simulator).
HIVELOCITY_TOKEN = "demo-hv-key"
ALTOSTRAT_TOKEN = "alto_sk_demo"
HETZNER_TOKEN = "demo-hz-token"
VULTR_TOKEN = "demo-vultr-key"


def sped_up(started_at: float, speed: float, now: float) -> float:
    """Simulated epoch seconds at clock time ``now``: ``speed`` times faster since ``started_at``."""
    return started_at + (now - started_at) * speed


def simulated_clock(started_at: float, speed: float) -> Callable[[], float]:
    """The simulated clock as a client reads it (``time.time`` itself at speed 1)."""
    if speed == 1.0:
        return time.time
    return lambda: sped_up(started_at, speed, time.time())


def listen(host: str, port: int) -> socket.socket:
    """A listening socket with TCP_NODELAY (inherited by accepted sockets on Linux): uvicorn
    writes headers and body separately, and Nagle + delayed ACK would add 40 ms per reply."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock
