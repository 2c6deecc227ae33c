"""Helpers for the collector tests: an in-process collector on loopback, a request-counting
simulator, real ``bwtui serve`` processes, and the real tools (promtool, Prometheus, Chromium).

Real tools are Debian packages; :func:`system_tool` installs a missing one with apt-get (once
per session) and, only when that is impossible, skips the test saying so loudly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from bwtui.collector.access import Access, Listen
from bwtui.collector.core import Collector, CollectorInfo
from bwtui.collector.server import build_app
from bwtui.collector.service import _Server, bind
from bwtui.runtime import AccountRuntime
from bwtui.session.core import MonitorSession
from bwtui.session.live import LivePollerSource
from ui_support import T0, FakeClock, FakePoller, runtimes

ROOT = Path(__file__).resolve().parents[1]
ACCOUNTS = (("hv-prod", "hivelocity"), ("vpn", "altostrat"))


# ----- an in-process collector (scripted poller) ---------------------------------------------
@dataclass
class InProcess:
    collector: Collector
    url: str
    port: int
    pollers: list[FakePoller]

    @property
    def poller(self) -> FakePoller:
        return self.pollers[-1]


@contextlib.asynccontextmanager
async def running_collector(
    script: Callable[[FakePoller], Iterable[Any]] | None,
    *,
    token: str | None = None,
    port: int = 0,
    accounts: tuple[tuple[str, str], ...] = ACCOUNTS,
    history: Any = None,
    runtime_list: list[AccountRuntime] | None = None,
) -> AsyncIterator[InProcess]:
    """A Collector fed by a FakePoller running ``script``, served on 127.0.0.1 in this loop."""
    pollers: list[FakePoller] = []

    def factory(rts: Any, *, clock: Any, on_event: Any, history: Any = None) -> FakePoller:
        poller = FakePoller(rts, clock=clock, on_event=on_event, script=script)
        pollers.append(poller)
        return poller

    rts = runtime_list if runtime_list is not None else runtimes(*accounts)
    sock = bind(Listen("127.0.0.1", port))
    bound = sock.getsockname()[1]
    url = f"http://127.0.0.1:{bound}"
    session = MonitorSession(now=lambda: T0, history=history)
    source = LivePollerSource(rts, clock=FakeClock(), factory=factory)
    collector = Collector(rts, source=source, session=session, info=CollectorInfo("test", url, T0),
                          clock=FakeClock())  # type: ignore[arg-type]
    app = build_app(collector, Access(token))
    server = _Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=False,
                                    timeout_graceful_shutdown=1))
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    try:
        await collector.start()
        for _ in range(500):
            if server.started and pollers and pollers[-1].ran.is_set():
                break
            await asyncio.sleep(0.01)
        yield InProcess(collector, url, bound, pollers)
    finally:
        server.should_exit = True
        await collector.stop()
        await asyncio.wait_for(task, 10)
        sock.close()


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Poll ``condition`` on the loop until it holds (no fixed sleeps in the assertions)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.02)


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    """The same, for synchronous tests."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


# ----- the simulator, counting every request it receives ------------------------------------
class CountingASGI:
    """Counts every HTTP request that reaches the wrapped ASGI app (thread-safe)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._lock = threading.Lock()
        self.count = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            with self._lock:
                self.count += 1
        await self.app(scope, receive, send)


@dataclass
class CountedSimulator:
    sim: Any
    server: Any
    counter: CountingASGI

    @property
    def requests(self) -> int:
        return self.counter.count


@contextlib.contextmanager
def counted_simulator(**config: Any) -> Iterator[CountedSimulator]:
    """The project's simulator on loopback, every request counted at its door."""
    from bwtui.simulator import Simulator, SimulatorConfig, serve_in_thread

    sim = Simulator(SimulatorConfig(**config))
    counter = CountingASGI(sim.app)
    sim.app = counter  # type: ignore[assignment]
    server = serve_in_thread(sim)
    try:
        yield CountedSimulator(sim, server, counter)
    finally:
        server.stop()


def simulator_config_toml(server: Any, *, hetzner: bool = False, vultr: bool = False,
                          extra: str = "") -> str:
    """A config file for the simulator's accounts (tokens come from BWTUI_TOKEN_*)."""
    text = extra + f"""
[[account]]
name = "hv-sim"
provider = "hivelocity"
base_url = "{server.hivelocity_base_url}"

[[account]]
name = "vpn-sim"
provider = "altostrat"
base_url = "{server.altostrat_base_url}"
path_prefix = "/vpn"
"""
    if hetzner:
        text += f'\n[[account]]\nname = "hz-sim"\nprovider = "hetzner"\nbase_url = "{server.hetzner_base_url}"\n'
    if vultr:
        text += f'\n[[account]]\nname = "vultr-sim"\nprovider = "vultr"\nbase_url = "{server.vultr_base_url}"\n'
    return text


SIM_TOKENS = {"BWTUI_TOKEN_HV_SIM": "demo-hv-key", "BWTUI_TOKEN_VPN_SIM": "alto_sk_demo",
              "BWTUI_TOKEN_HZ_SIM": "demo-hz-token", "BWTUI_TOKEN_VULTR_SIM": "demo-vultr-key"}


def isolated_env(root: Path, **extra: str) -> dict[str, str]:
    """An environment for bwtui subprocesses: own HOME/XDG dirs (runtime dir too), no keyring,
    no inherited BWTUI_* variables."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BWTUI_", "XDG_", "TEXTUAL", "PYTHON_KEYRING"))}
    for name in ("home", "config", "state", "data", "cache", "run"):
        (root / name).mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(root / "home"), XDG_CONFIG_HOME=str(root / "config"),
               XDG_STATE_HOME=str(root / "state"), XDG_DATA_HOME=str(root / "data"),
               XDG_CACHE_HOME=str(root / "cache"), XDG_RUNTIME_DIR=str(root / "run"),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", LANG="C.UTF-8")
    env.update(extra)
    return env


@dataclass
class ServeProcess:
    """A real ``bwtui serve`` child process."""

    process: subprocess.Popen[str]
    url: str
    discovery: Path
    stderr_path: Path
    _stderr: Any = field(repr=False, default=None)

    def stop(self, timeout: float = 20.0) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM, as systemd does
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(5)
        if self._stderr is not None:
            self._stderr.close()
        return code, self.stderr_path.read_text(encoding="utf-8", errors="replace")


def start_serve(env: dict[str, str], workdir: Path, *args: str, timeout: float = 30.0) -> ServeProcess:
    """``bwtui serve --listen 127.0.0.1:0 ARGS``; returns once its discovery file names its URL."""
    discovery = Path(env["XDG_RUNTIME_DIR"]) / "bwtui" / "collector.json"
    stderr_path = workdir / f"serve-{time.monotonic_ns()}.log"
    stderr = open(stderr_path, "w", encoding="utf-8")  # noqa: SIM115 - closed by stop()
    process = subprocess.Popen([sys.executable, "-m", "bwtui", "serve", "--listen", "127.0.0.1:0", *args],
                               env=env, stdout=subprocess.DEVNULL, stderr=stderr, text=True, cwd=ROOT)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            stderr.close()
            raise AssertionError(f"bwtui serve exited {process.returncode}: {stderr_path.read_text()}")
        try:
            data = json.loads(discovery.read_text())
            if data.get("pid") == process.pid:
                return ServeProcess(process, data["url"], discovery, stderr_path, stderr)
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            process.kill()
            stderr.close()
            raise AssertionError(f"bwtui serve did not start: {stderr_path.read_text()}")
        time.sleep(0.05)


def bwtui(env: dict[str, str], *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bwtui", *args], env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


# ----- real tools from Debian packages ---------------------------------------------------------
@cache
def _apt_updated(prefix: tuple[str, ...]) -> bool:
    result = subprocess.run([*prefix, "apt-get", "update"], capture_output=True, text=True, timeout=600)
    return result.returncode == 0


@cache
def _install(package: str) -> str | None:
    """apt-get install ``package``; None when done, else why it could not be."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available on this machine"
    prefix: tuple[str, ...] = ()
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        sudo = shutil.which("sudo")
        if sudo is None:
            return "not root and no sudo"
        prefix = (sudo, "-n")
    if not _apt_updated(prefix):
        return "apt-get update failed"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    result = subprocess.run([*prefix, "apt-get", "install", "-y", "--no-install-recommends", package],
                            capture_output=True, text=True, env=env, timeout=1800)
    if result.returncode != 0:
        return f"apt-get install {package} failed: {result.stderr.strip()[-300:]}"
    return None


def system_tool(command: str, package: str) -> str:
    """The path of ``command``, installing Debian's ``package`` when it is missing; the test is
    skipped (loudly) only when the package cannot be installed."""
    found = shutil.which(command)
    if found:
        return found
    problem = _install(package)
    found = shutil.which(command)
    if found:
        return found
    message = (f"SKIPPED: `{command}` is missing and Debian's `{package}` package could not be "
               f"installed ({problem or 'installed, but the command is still missing'})")
    warnings.warn(message, stacklevel=2)
    print(f"\n*** {message} ***", file=sys.stderr)
    pytest.skip(message)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
