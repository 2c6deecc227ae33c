"""``bwtui serve`` as a process: build the accounts, start polling, serve HTTP, stop cleanly.

One asyncio loop runs uvicorn (the endpoints) and the :class:`~bwtui.collector.core.Collector`;
the poller runs on its own thread (as in the monitor). SIGTERM and SIGINT stop the server, the
poller and the feed, write what is pending to history, remove the discovery file and exit 0.
If polling itself dies, the same happens with exit 1 (systemd's ``Restart=on-failure`` then
restarts it). The last line on stderr says how many provider requests the collector made.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from bwtui import __version__
from bwtui.clock import RealClock
from bwtui.collector.access import Access, Listen
from bwtui.collector.core import Collector, CollectorInfo
from bwtui.collector.discovery import remove_discovery, write_discovery
from bwtui.collector.requests import CountingClient, RequestCounters, counting_http
from bwtui.collector.server import build_app
from bwtui.config import AccountConfig, Config
from bwtui.exits import EXIT_FAILED, EXIT_OK
from bwtui.runtime import AccountRuntime, build_runtime
from bwtui.secrets import token_env_var
from bwtui.session.core import MonitorSession
from bwtui.session.live import LivePollerSource

log = logging.getLogger("bwtui.collector")


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """How to run: where to listen, who may read, where history goes."""

    listen: Listen
    access: Access
    history_path: Path | None = None  # None: the default file in the state dir
    history: bool = True
    discovery: bool = True
    discovery_dir: Path | None = None


def counted_runtime(account: AccountConfig, counters: RequestCounters) -> AccountRuntime:
    """The account's runtime, its HTTP requests and errors counted for ``/metrics``."""
    plain = (account.base_url or "").startswith("http://")  # a loopback API: no TLS to set up
    http = counting_http(counters, account.provider, account.name, tls=not plain)
    runtime = build_runtime(account, http=http)
    if runtime.client is None:
        return runtime
    runtime.client = CountingClient(runtime.client, counters, account.provider, account.name,
                                    http=http)
    return runtime


def load_systemd_credentials() -> list[str]:
    """Provider tokens given as systemd credentials (``LoadCredential=BWTUI_TOKEN_<NAME>:...``):
    read from ``$CREDENTIALS_DIRECTORY`` into this process's token variables (an environment
    variable already set wins). Returns the variable names loaded."""
    folder = os.environ.get("CREDENTIALS_DIRECTORY", "").strip()
    if not folder or not os.path.isdir(folder):
        return []
    loaded: list[str] = []
    for entry in sorted(Path(folder).iterdir()):
        if not entry.name.startswith("BWTUI_TOKEN_") or entry.name in os.environ:
            continue
        try:
            value = entry.read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if value:
            os.environ[entry.name] = value
            loaded.append(entry.name)
    return loaded


def bind(listen: Listen) -> socket.socket:
    """A listening socket (TCP_NODELAY); OSError when the address is taken or not ours."""
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((listen.host, listen.port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the service stops it in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def install_signal_handlers(self) -> None:  # uvicorn before 0.29
        pass


def configure_logging() -> None:
    """Log lines on stderr (journald adds its own time when under systemd)."""
    handler = logging.StreamHandler(sys.stderr)
    stamp = "" if os.environ.get("JOURNAL_STREAM") else "%(asctime)s "
    handler.setFormatter(logging.Formatter(f"{stamp}%(levelname)s %(message)s"))
    logger = logging.getLogger("bwtui")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logging.getLogger("uvicorn").addHandler(logging.NullHandler())
    logging.getLogger("uvicorn").propagate = False


def serve(config: Config, options: ServeOptions) -> int:
    """Run the collector until SIGTERM/SIGINT; returns the exit code."""
    try:
        sock = bind(options.listen)
    except OSError as error:
        hint = (" (is another `bwtui serve` running? viewers attach to it)"
                if error.errno == errno.EADDRINUSE else "")
        print(f"bwtui: cannot listen on {options.listen.host}:{options.listen.port}: "
              f"{error.strerror or error}{hint}", file=sys.stderr)
        return EXIT_FAILED
    return asyncio.run(_serve(config, options, sock))


async def _serve(config: Config, options: ServeOptions, sock: socket.socket) -> int:
    from bwtui.history import HistoryStore, open_history

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    port = sock.getsockname()[1]
    url = options.listen.url(port)
    counters = RequestCounters()
    runtimes = await asyncio.to_thread(lambda: [counted_runtime(a, counters) for a in config.accounts])
    history: HistoryStore | None = None
    problem: str | None = "turned off (--no-history)"
    if options.history:
        history, problem = await asyncio.to_thread(open_history, options.history_path)
    session = MonitorSession(now=time.time, history=history)
    source = LivePollerSource(runtimes, clock=RealClock(), seed=lambda: session.history.seed)
    collector = Collector(runtimes, source=source, session=session, counters=counters,
                         info=CollectorInfo(__version__, url, time.time()))
    app = build_app(collector, options.access)
    server = _Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off",
                                    timeout_graceful_shutdown=2, log_level="warning"))
    discovery: Path | None = None
    try:
        await collector.start()
        serving = loop.create_task(server.serve(sockets=[sock]), name="http")
        if options.discovery:
            try:
                discovery = write_discovery(url, token_required=options.access.token is not None,
                                            directory=options.discovery_dir)
            except OSError as error:
                log.warning("no discovery file (%s): viewers need collector = %r in their config",
                            error.strerror or error, url)
        missing = [rt.name for rt in runtimes if rt.client is None]
        log.info("bwtui serve %s: listening on %s; %d account(s)%s; history: %s; token: %s",
                 __version__, url, len(runtimes),
                 f" ({len(missing)} without a token: {', '.join(missing)})" if missing else "",
                 history.path if history is not None else problem,
                 "required" if options.access.token else "none (loopback)")
        waits = {loop.create_task(stop.wait()), loop.create_task(collector.finished.wait()), serving}
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in waits - {serving}:
            task.cancel()
        crashed = collector.failure is not None or (serving.done() and serving.exception() is not None)
        server.should_exit = True
        await collector.stop()  # bye to viewers first: their streams end, the server can stop
        await asyncio.gather(serving, return_exceptions=True)
    finally:
        if discovery is not None:
            remove_discovery(discovery)
        sock.close()
        if history is not None:
            history.close()
    counts = counters.view()
    log.info("bwtui serve: stopped; %d provider requests made (%d answered, %d without an "
             "answer); history %s", counts.requests, sum(counts.answered.values()),
             sum(counts.unanswered.values()), "flushed" if history is not None else "off")
    return EXIT_FAILED if crashed else EXIT_OK


def demo_accounts() -> tuple[list[AccountConfig], object]:
    """The demo's simulated accounts (the simulator runs in this process until exit): their
    configs, with their simulated tokens set in this process's token variables."""
    from bwtui.demo import start_demo

    from bwtui.simulator import contract

    demo = start_demo()
    tokens = {"hivelocity": contract.HIVELOCITY_TOKEN, "altostrat": contract.ALTOSTRAT_TOKEN,
              "hetzner": contract.HETZNER_TOKEN, "vultr": contract.VULTR_TOKEN}
    for account in demo.accounts:
        os.environ[token_env_var(account.name)] = tokens[account.provider]
    accounts = list(demo.accounts)
    for runtime in demo.runtimes:  # start_demo's own clients are not used: ours are counted
        client = runtime.client
        if client is not None:
            with contextlib.suppress(Exception):
                asyncio.run(client.aclose())
    return accounts, demo
