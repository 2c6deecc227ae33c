"""Fault control for the contract kit: one interface over any provider simulator.

:class:`FaultControl` is what the kit asks of a simulator. Two implementations ship:
:class:`SimulatorFaults` drives bwtui's own simulator (``Simulator.inject``), and
:class:`FaultInjector` wraps *any* ASGI app, so a plug-in author writes only the happy path of
their simulator and gets every misbehaviour for free.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from bwtui.simulator import faults
from bwtui.simulator.faults import Fault
from bwtui.simulator.replies import Reply, send_reply

Scope = dict[str, Any]
Asgi = Callable[[Scope, Callable[..., Any], Callable[..., Any]], Any]


class FaultControl(Protocol):
    """Make the next requests to the provider misbehave; ``clear`` makes it behave again.

    ``status`` answers with the provider's own error shape for ``code`` (or exactly ``body``).
    """

    def status(self, code: int, *, retry_after_s: float | None = None, body: Any = None) -> None: ...
    def malformed(self) -> None: ...
    def huge(self, size_bytes: int) -> None: ...
    def drop(self) -> None: ...
    def slow(self, bytes_per_s: float) -> None: ...
    def redirect(self, location: str) -> None: ...
    def clear(self) -> None: ...


class SimulatorFaults:
    """FaultControl for one provider of bwtui's own simulator."""

    def __init__(self, simulator: Any, provider: str) -> None:
        self.simulator = simulator
        self.provider = provider

    def _inject(self, fault: Fault) -> None:
        self.simulator.inject(self.provider, None, fault)

    def status(self, code: int, *, retry_after_s: float | None = None, body: Any = None) -> None:
        self._inject(faults.status(code, retry_after_s=retry_after_s, body=body))

    def malformed(self) -> None:
        self._inject(faults.malformed_json())

    def huge(self, size_bytes: int) -> None:
        self._inject(faults.huge(size_bytes))

    def drop(self) -> None:
        self._inject(faults.drop_connection())

    def slow(self, bytes_per_s: float) -> None:
        self._inject(faults.slow_drip(bytes_per_s))

    def redirect(self, location: str) -> None:
        self._inject(faults.redirect(location))

    def clear(self) -> None:
        self.simulator.clear_faults(self.provider)


class FaultInjector:
    """An ASGI app that serves ``app`` and misbehaves on request (a FaultControl).

    A ``status`` fault answers ``error_body(code)`` (the provider's error shape, given by the
    author; default ``{"message": ...}``); body-level faults (``huge``, ``malformed``...) are
    applied to the app's own successful JSON replies.
    """

    def __init__(self, app: Asgi, *, error_body: Callable[[int], Any] | None = None) -> None:
        self.app = app
        self.error_body = error_body or (lambda code: {"message": f"simulated HTTP {code}"})
        self._fault: Fault | None = None
        self._lock = threading.Lock()

    def _set(self, fault: Fault | None) -> None:
        with self._lock:
            self._fault = fault

    def status(self, code: int, *, retry_after_s: float | None = None, body: Any = None) -> None:
        self._set(faults.status(code, retry_after_s=retry_after_s, body=body))

    def malformed(self) -> None:
        self._set(faults.malformed_json())

    def huge(self, size_bytes: int) -> None:
        self._set(faults.huge(size_bytes))

    def drop(self) -> None:
        self._set(faults.drop_connection())

    def slow(self, bytes_per_s: float) -> None:
        self._set(faults.slow_drip(bytes_per_s))

    def redirect(self, location: str) -> None:
        self._set(faults.redirect(location))

    def clear(self) -> None:
        self._set(None)

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        with self._lock:
            fault = self._fault
        if scope["type"] != "http" or fault is None:
            await self.app(scope, receive, send)
            return
        if fault.kind == "status":
            headers = {"Retry-After": str(int(fault.retry_after_s))} if fault.retry_after_s is not None else {}
            body = fault.body if fault.body is not None else self.error_body(fault.code)
            await send_reply(send, Reply(fault.code, body, headers))
            return
        status, headers, body = await _capture(self.app, scope, receive)
        try:
            import json

            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        await send_reply(send, Reply(status, payload, headers), fault)


async def _capture(app: Asgi, scope: Scope, receive: Callable[..., Any]) -> tuple[int, dict[str, str], bytes]:
    """Run ``app`` and collect its reply (status, headers other than length/type, body)."""
    state: dict[str, Any] = {"status": 500, "headers": {}, "body": bytearray()}

    async def collect(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            state["status"] = message["status"]
            state["headers"] = {
                k.decode("latin-1"): v.decode("latin-1")
                for k, v in message.get("headers", [])
                if k.lower() not in (b"content-length", b"content-type")
            }
        elif message["type"] == "http.response.body":
            state["body"] += message.get("body", b"")

    await app(scope, receive, collect)
    return state["status"], state["headers"], bytes(state["body"])
