"""Serving the simulator on loopback: in a background thread (tests, demo) or in the foreground."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from types import TracebackType

import uvicorn

from bwtui.simulator.contract import listen as _listen
from bwtui.simulator.core import Simulator
from bwtui.simulator.replies import DroppedConnection


class _QuietDrops(logging.Filter):
    """Hide uvicorn's traceback for connections the simulator drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


_FILTER = _QuietDrops()


def _silence_uvicorn() -> None:
    """Keep uvicorn's records away from stderr (a TUI in the same process owns the terminal)."""
    logger = logging.getLogger("uvicorn")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


def _config(sim: Simulator, host: str, port: int, *, quiet: bool) -> uvicorn.Config:
    logging.getLogger("uvicorn.error").addFilter(_FILTER)  # idempotent: same filter object
    if quiet:
        _silence_uvicorn()
    return uvicorn.Config(
        sim.app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
        log_config=None if quiet else uvicorn.config.LOGGING_CONFIG,
    )


class _Server(uvicorn.Server):
    """uvicorn with an event-driven main loop: one idle wake-up per second instead of ten, and
    ``request_exit()`` (thread-safe) stops it at once instead of at the next 0.1 s tick."""

    _wake: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()  # set once serving (or once it failed to start)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000  # on_tick refreshes the Date header every 10th
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            except TimeoutError:
                pass

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn's own shutdown, minus its fixed 0.1 s sleeps: tests start and stop many servers.
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        try:
            await asyncio.wait_for(self._drain(), timeout=self.config.timeout_graceful_shutdown)
        except TimeoutError:
            for task in self.server_state.tasks:
                task.cancel(msg="simulator shutting down")
        if not self.force_exit:
            await self.lifespan.shutdown()

    async def _drain(self) -> None:
        while (self.server_state.connections or self.server_state.tasks) and not self.force_exit:
            await asyncio.sleep(0.005)
        for server in self.servers:
            await server.wait_closed()

    def request_exit(self) -> None:
        """Thread-safe: stop serving now."""
        self.should_exit = True
        self._poke()

    def handle_exit(self, sig: int, frame: object) -> None:  # Ctrl-C in `bwtui simulate`
        super().handle_exit(sig, frame)  # type: ignore[arg-type]
        self._poke()

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop closed meanwhile
                pass


class RunningServer:
    """A simulator served by uvicorn in a daemon thread. Use as a context manager or ``stop()``."""

    def __init__(self, sim: Simulator, host: str, port: int, *, quiet: bool = True,
                 sock: socket.socket | None = None) -> None:
        self.sim = sim
        self._sock = sock if sock is not None else _listen(host, port)  # or one already listening
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        self._server = _Server(_config(sim, host, self.port, quiet=quiet))
        self._thread = threading.Thread(target=self._run, name=f"bwtui-sim-{self.port}",
                                        daemon=True)
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: the server root (append the provider paths)."""
        return f"http://{self.host}:{self.port}"

    @property
    def hivelocity_base_url(self) -> str:
        return self.base_url + self.sim.hivelocity_base_url_path

    @property
    def altostrat_base_url(self) -> str:
        return self.base_url + self.sim.altostrat_base_path

    @property
    def hetzner_base_url(self) -> str:
        return self.base_url + self.sim.hetzner_base_path

    @property
    def vultr_base_url(self) -> str:
        return self.base_url + self.sim.vultr_base_path

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self._error = exc

    def start(self, timeout_s: float = 10.0) -> RunningServer:
        """Start serving and wait until the socket accepts requests."""
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        # Woken the moment uvicorn is serving (a fixed 10 ms poll cost the demo's start that much).
        while not self._server.ready.wait(0.05):
            if self._error is not None or not self._thread.is_alive():
                break
            if time.monotonic() > deadline:
                raise RuntimeError("simulator did not start in time")
        if not self._server.started:
            self._thread.join(0.5)  # a failed start: let the thread record why
            raise RuntimeError(f"simulator failed to start: {self._error!r}")
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Shut down cleanly and wait for the thread."""
        self._server.request_exit()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout_s)
        self._sock.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def serve_in_thread(sim: Simulator, host: str = "127.0.0.1", port: int = 0, *,
                    quiet: bool = True) -> RunningServer:
    """Serve ``sim`` on ``host:port`` (0 = any free port) in a daemon thread; returns when ready.

    ``quiet`` (default) keeps uvicorn's log records off stderr entirely, so an in-process TUI
    is never scribbled over."""
    return RunningServer(sim, host, port, quiet=quiet).start()


async def serve(sim: Simulator, host: str = "127.0.0.1", port: int = 8080, *,
                quiet: bool = False) -> None:
    """Serve ``sim`` in the current event loop until cancelled or interrupted."""
    sock = _listen(host, port)
    try:
        await _Server(_config(sim, host, sock.getsockname()[1], quiet=quiet)).serve(sockets=[sock])
    finally:
        sock.close()
