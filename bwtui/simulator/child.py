"""The simulator as a child process of ``bwtui --demo``: ``python -m bwtui.simulator.child SPEC``.

SPEC is a JSON object: :class:`~bwtui.simulator.core.SimulatorConfig` fields, plus ``fd``, a
listening socket the parent bound and passed down (the parent knows the port before this
process has imported anything, and requests sent meanwhile wait in the socket's backlog).
The process serves until its standard input closes, which happens however the parent ends,
or until SIGTERM. Anything it has to say goes to standard error (the parent points that at
a log file: the terminal belongs to the monitor).
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Sequence

STARTUP_TIMEOUT_S = 30.0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    spec = json.loads(args[0])
    sock = socket.socket(fileno=int(spec.pop("fd")))
    host, port = sock.getsockname()[:2]

    from bwtui.simulator.core import Simulator, SimulatorConfig
    from bwtui.simulator.server import RunningServer

    server = RunningServer(Simulator(SimulatorConfig(**spec)), host, port, sock=sock)
    try:
        server.start(timeout_s=STARTUP_TIMEOUT_S)
    except RuntimeError as error:
        print(f"bwtui demo simulator: {error}", file=sys.stderr)
        return 1
    try:
        while sys.stdin.buffer.read(4096):  # the parent never writes: this waits for EOF
            pass
    except (OSError, KeyboardInterrupt):
        pass
    server.stop(timeout_s=1.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
