"""A simulator in a child process, serving on a loopback port this process chose.

``bwtui --demo`` runs its simulator this way: the monitor's process then holds only what a
user with real accounts runs (no Starlette, uvicorn or simulated world in its memory, no
simulated provider competing with the screen for the interpreter lock), and the simulated
providers start on the machine's other core while the monitor imports its UI. Requests sent
before the child is serving wait in the listening socket's backlog; none fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import bwtui
from bwtui.simulator.contract import listen

STOP_TIMEOUT_S = 2.0
TOKEN_PREFIX = "BWTUI_TOKEN_"  # see bwtui.secrets.token_env_var


class SimulatorProcess:
    """``python -m bwtui.simulator.child`` with ``config`` (SimulatorConfig fields, JSON-able).

    ``log``: where the child's standard error goes (None: nowhere). :meth:`stop` ends it; so
    does this process's end, whatever the cause (the child waits for EOF on a pipe from here).
    """

    def __init__(self, config: dict[str, Any], *, host: str = "127.0.0.1",
                 log: Path | None = None) -> None:
        sock = listen(host, 0)
        self.host = host
        self.log: Path | None = None  # set once the log is open
        self._stopping = False
        self.port: int = sock.getsockname()[1]
        spec = json.dumps({**config, "fd": sock.fileno()})
        stderr: IO[bytes] | int = subprocess.DEVNULL
        if log is not None:
            try:
                stderr = log.open("wb")
                self.log = log
            except OSError:
                pass
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "bwtui.simulator.child", spec],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr,
                pass_fds=(sock.fileno(),), env=_child_env(), start_new_session=True)
        finally:
            sock.close()  # the child's copy serves; if it dies, connections are refused
            if not isinstance(stderr, int):
                stderr.close()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self._proc.pid

    def ended(self) -> str | None:
        """None while the child serves (or once :meth:`stop` ended it); else why the demo's
        accounts cannot connect, for the user: its exit and where what it said is."""
        code = self._proc.poll()
        if code is None or self._stopping:
            return None
        said = f"; what it said is in {self.log}" if self.log is not None else ""
        return (f"The demo's simulator stopped (exit code {code}){said}. Quit and start the "
                "demo again.")

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """End the child and wait for it (killed if it outlasts ``timeout_s``)."""
        self._stopping = True
        proc = self._proc
        if proc.stdin is not None and not proc.stdin.closed:
            proc.stdin.close()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _child_env() -> dict[str, str]:
    """This environment without account tokens (the simulator needs none), with this copy of
    bwtui first on the child's path (a source checkout run as ``python -m bwtui`` from
    elsewhere must start the same code)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(TOKEN_PREFIX)}
    root = str(Path(bwtui.__file__).resolve().parent.parent)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = root if not path else os.pathsep.join([root, path])
    return env
