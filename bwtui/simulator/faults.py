"""Fault injection: what can go wrong, per provider or per resource.

Build faults with the constructors (``faults.status(503)``, ``faults.slow_drip(50)``...) and
hand them to ``Simulator.inject(provider, resource_id, fault)``. A fault with ``resource_id``
None applies to every request to that provider; a resource fault wins over a provider fault.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import quote

FaultKind = Literal[
    "status",
    "slow_drip",
    "malformed_json",
    "truncated_json",
    "wrong_types",
    "empty_metadata",
    "gaps",
    "timestamp_column",
    "drop_connection",
    "huge",
    "stuck_pagination",
    "redirect",
    "echo_key",
]
EchoShape = Literal["json", "text", "header", "redirect"]
ECHO_SHAPES: tuple[EchoShape, ...] = ("json", "text", "header", "redirect")


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour.

    ``times``: how many matching requests it affects before it clears itself (None: until
    ``clear_faults``). ``path_contains``: only requests whose path contains this text.
    """

    kind: FaultKind
    code: int = 200  # the HTTP status of a ``status`` fault
    message: str | None = None
    retry_after_s: float | None = None
    body: Any = None  # exact JSON body for a status fault (overrides the provider shape)
    bytes_per_s: float = 200.0
    every: int = 4  # gaps: every N-th row is a gap
    gap_style: Literal["null", "nan"] = "null"
    size_bytes: int = 5_000_000
    times: int | None = None
    path_contains: str | None = None
    echo_shape: EchoShape = "json"

    @classmethod
    def status(cls, code: int, message: str | None = None, *, retry_after_s: float | None = None,
               body: Any = None, times: int | None = None,
               path_contains: str | None = None) -> Fault:
        """Answer with this HTTP status and the provider's error body (or exactly ``body``)."""
        return cls("status", code=code, message=message, retry_after_s=retry_after_s, body=body,
                   times=times, path_contains=path_contains)

    @classmethod
    def slow_drip(cls, bytes_per_s: float = 200.0, **kw: Any) -> Fault:
        """Send the normal body slowly, a few bytes at a time."""
        return cls("slow_drip", bytes_per_s=bytes_per_s, **kw)

    @classmethod
    def malformed_json(cls, **kw: Any) -> Fault:
        """200 with a body that is not JSON at all."""
        return cls("malformed_json", **kw)

    @classmethod
    def truncated_json(cls, **kw: Any) -> Fault:
        """200 with the normal body cut in half."""
        return cls("truncated_json", **kw)

    @classmethod
    def wrong_types(cls, **kw: Any) -> Fault:
        """200 with every number in the body turned into a string."""
        return cls("wrong_types", **kw)

    @classmethod
    def empty_metadata(cls, **kw: Any) -> Fault:
        """Hivelocity bandwidth data with ``metadata: {}`` (valid under the spec, useless)."""
        return cls("empty_metadata", **kw)

    @classmethod
    def gaps(cls, every: int = 4, style: Literal["null", "nan"] = "null", **kw: Any) -> Fault:
        """Hivelocity bandwidth rows where every N-th row's values are null (or bare NaN)."""
        return cls("gaps", every=every, gap_style=style, **kw)

    @classmethod
    def timestamp_column(cls, **kw: Any) -> Fault:
        """Hivelocity bandwidth rows carry a leading epoch column; the legend starts "time"."""
        return cls("timestamp_column", **kw)

    @classmethod
    def drop_connection(cls, **kw: Any) -> Fault:
        """Close the connection without a complete response."""
        return cls("drop_connection", **kw)

    @classmethod
    def huge(cls, size_bytes: int = 5_000_000, **kw: Any) -> Fault:
        """200 with a valid JSON body padded to about ``size_bytes``."""
        return cls("huge", size_bytes=size_bytes, **kw)

    @classmethod
    def echo_key(cls, shape: EchoShape = "json", code: int = 401, **kw: Any) -> Fault:
        """An error that repeats the API key the request carried, as careless servers do.

        ``json``: the provider's error body, the key in its message and in nested field errors;
        ``text``: a ``text/plain`` body; ``header``: a clean body, the key in response headers;
        ``redirect``: a 302 whose ``Location`` carries the key.
        """
        if shape not in ECHO_SHAPES:
            raise ValueError(f"echo shape must be one of {ECHO_SHAPES}")
        return cls("echo_key", code=302 if shape == "redirect" else code, echo_shape=shape, **kw)


    @classmethod
    def stuck_pagination(cls, **kw: Any) -> Fault:
        """A paginated list (Hetzner, Vultr) whose next page/cursor never advances."""
        return cls("stuck_pagination", **kw)


    @classmethod
    def redirect(cls, location: str, code: int = 307, **kw: Any) -> Fault:
        """Answer with a redirect to ``location`` (a client must never follow it)."""
        return cls("redirect", code=code, message=location, **kw)


# Module-level constructors: ``faults.status(503)`` is the same as ``Fault.status(503)``.
status = Fault.status
slow_drip = Fault.slow_drip
malformed_json = Fault.malformed_json
truncated_json = Fault.truncated_json
wrong_types = Fault.wrong_types
empty_metadata = Fault.empty_metadata
gaps = Fault.gaps
timestamp_column = Fault.timestamp_column
drop_connection = Fault.drop_connection
huge = Fault.huge
stuck_pagination = Fault.stuck_pagination
redirect = Fault.redirect
echo_key = Fault.echo_key


def echo_key_reply(
    fault: Fault, key: str, error_body: Callable[[int, str], Any]
) -> tuple[int, Any, dict[str, str]]:
    """(status, body, headers) of an ``echo_key`` fault; ``error_body`` is the provider's shape.

    A ``bytes`` body is sent as it is (``text/plain``); anything else is sent as JSON.
    """
    said = f"API key {key} is not valid for this request"
    if fault.echo_shape == "json":
        body = error_body(fault.code, said)
        if isinstance(body, dict):
            body = {**body, "errors": {"api_key": [f"{key}: rejected", {"value": key}]}}
        return fault.code, body, {}
    if fault.echo_shape == "text":
        text = f"{fault.code} Error: {said} (key={key}, encoded={quote(key, safe='')})\n"
        return fault.code, text.encode(), {"Content-Type": "text/plain; charset=utf-8"}
    if fault.echo_shape == "header":
        return fault.code, error_body(fault.code, "The request was rejected."), {
            "X-Echo-Api-Key": key,
            "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{said}"',
        }
    location = f"https://login.example.invalid/sso?api_key={quote(key, safe='')}&raw={key}"
    return 302, {"message": f"Redirecting: {said}"}, {"Location": location}


class FaultTable:
    """The injected faults, keyed by (provider, resource_id or None). Thread-safe, bounded."""

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._faults: dict[tuple[str, str | None], Fault] = {}
        self._lock = threading.Lock()

    def inject(self, provider: str, resource_id: str | None, fault: Fault) -> None:
        with self._lock:
            if len(self._faults) >= self.MAX_ENTRIES and (provider, resource_id) not in self._faults:
                raise ValueError("too many faults injected; clear_faults() first")
            self._faults[(provider, resource_id)] = fault

    def clear(self, provider: str | None = None, resource_id: str | None = None) -> None:
        with self._lock:
            if provider is None:
                self._faults.clear()
                return
            for key in [k for k in self._faults if k[0] == provider]:
                if resource_id is None or key[1] == resource_id:
                    del self._faults[key]

    def take(self, provider: str, resource_ids: tuple[str, ...], path: str) -> Fault | None:
        """The fault for this request (resource first, then provider-wide), counting one use."""
        with self._lock:
            for key in [(provider, rid) for rid in resource_ids] + [(provider, None)]:
                fault = self._faults.get(key)
                if fault is None:
                    continue
                if fault.path_contains is not None and fault.path_contains not in path:
                    continue
                if fault.times is not None:
                    if fault.times <= 1:
                        del self._faults[key]
                    else:
                        self._faults[key] = replace(fault, times=fault.times - 1)
                return fault
            return None
