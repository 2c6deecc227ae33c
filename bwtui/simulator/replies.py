"""Sending replies over raw ASGI, with the transport-level faults applied on the way out."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from bwtui.simulator.faults import Fault

Send = Any  # the ASGI send callable


@dataclass(slots=True)
class Reply:
    """A JSON reply: status, body (JSON-able) and extra headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """Raised by handlers to answer with an error reply."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.reply = Reply(status, body, dict(headers or {}))


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised by the app to drop the connection.

    It is an ``httpx.RemoteProtocolError`` so that an in-process ``httpx.ASGITransport``
    (which re-raises app exceptions) looks to the client exactly like a dropped socket.
    """


def route_path(scope: dict[str, Any]) -> str:
    """The path below the mount point (Starlette's ``Mount`` keeps the full path in scope)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        return path[len(root):] or "/"
    return path


def parse_request(scope: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    """Method, path below the mount point, and query parameters of an ASGI HTTP request."""
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    return scope["method"], route_path(scope), query


def stringify_numbers(value: Any) -> Any:
    """Every int/float in a JSON value turned into a string (the ``wrong_types`` fault)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return [stringify_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: stringify_numbers(v) for k, v in value.items()}
    return value


def _encode(body: Any) -> bytes:
    """Compact JSON; a non-finite float is written as ``NaN``/``Infinity`` as providers do.

    (It walked the whole body first to pass ``allow_nan`` only when one was there: the same
    bytes either way, and a fifth of the simulator's time on a 5,000-service listing.)"""
    return json.dumps(body, separators=(",", ":"), allow_nan=True).encode()


def _padded(body: Any, pad: str) -> Any:
    """The body with a large string field added where it stays valid for its shape."""
    if isinstance(body, dict):
        return {**body, "padding": pad}
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return [{**body[0], "padding": pad}, *body[1:]]
    return {"data": body, "padding": pad}


def render(reply: Reply, fault: Fault | None) -> bytes:
    """The body bytes, with body-level faults applied to successful replies (bytes: as is)."""
    body = reply.body
    if isinstance(body, bytes):
        return body
    if fault is not None and reply.status == 200:
        if fault.kind == "wrong_types":
            body = stringify_numbers(body)
        elif fault.kind == "malformed_json":
            return b"<html><body>502 Bad Gateway</body></html>{\"metadata\": [1, 2,,}"
        elif fault.kind == "huge":
            return _encode(_padded(body, "x" * max(0, fault.size_bytes)))
    data = _encode(body)
    if fault is not None and reply.status == 200 and fault.kind == "truncated_json":
        return data[: max(1, len(data) // 2)]
    return data


async def send_reply(send: Send, reply: Reply, fault: Fault | None = None) -> None:
    """Write ``reply`` to the ASGI ``send`` channel, misbehaving as ``fault`` says."""
    if fault is not None and fault.kind == "drop_connection":
        await send({
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        })
        raise DroppedConnection("Server disconnected without sending a complete response.")
    if fault is not None and fault.kind == "redirect":
        reply = Reply(fault.code, {"message": "moved"}, {**reply.headers, "Location": fault.message or "/"})
    data = render(reply, fault)
    headers = [(k.lower().encode(), v.encode()) for k, v in reply.headers.items()]
    if not any(name == b"content-type" for name, _ in headers):
        headers.insert(0, (b"content-type", b"application/json"))
    headers.append((b"content-length", str(len(data)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    if fault is not None and fault.kind == "slow_drip":
        rate = max(1.0, fault.bytes_per_s)
        chunk = max(1, int(rate / 10))
        for offset in range(0, len(data), chunk):
            await send({"type": "http.response.body", "body": data[offset: offset + chunk],
                        "more_body": True})
            await asyncio.sleep(chunk / rate)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    await send({"type": "http.response.body", "body": data, "more_body": False})
