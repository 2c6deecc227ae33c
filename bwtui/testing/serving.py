"""Serve any ASGI app on a free loopback port in a background thread (for contract tests)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bwtui.simulator.server import RunningServer


def serve_app(app: Any, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start serving ``app``; use the result as a context manager (``.base_url`` is the root)."""
    return RunningServer(SimpleNamespace(app=app), host, port).start()  # type: ignore[arg-type]
