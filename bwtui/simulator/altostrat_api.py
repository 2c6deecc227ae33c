"""The simulated Altostrat Managed VPN API (instances and their bandwidth counters), as ASGI.

Paths are served both in the v1 style (``/vpn/instances``) and the older style without the
``/vpn`` prefix. Errors: 401 in the auth middleware's ``{"message"}`` shape, 403/404/429 in the
documented ``{type, code, message, doc_url}`` shape.
"""

from __future__ import annotations

import hmac
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bwtui.simulator.faults import Fault, echo_key_reply
from bwtui.simulator.replies import ApiError, Reply, parse_request, send_reply
from bwtui.simulator.traffic import integral_bits
from bwtui.simulator.world import AltoInstance

if TYPE_CHECKING:
    from bwtui.simulator.core import Simulator

PROVIDER = "altostrat"
DOC_URL = "https://altostrat.io/docs/api/en/errors"

_ERRORS = {
    401: ("authentication_error", "unauthenticated", "Unauthenticated."),
    403: ("authorization_error", "forbidden", "This action is unauthorized. Missing scope vpn:view."),
    404: ("invalid_request_error", "resource_missing", "The requested resource was not found."),
    429: ("rate_limit_error", "too_many_requests", "Too Many Attempts."),
}

_LIST = re.compile(r"^(?:/vpn)?/instances/?$")
_ONE = re.compile(r"^(?:/vpn)?/instances/(?P<id>[^/]+)/?$")
_BANDWIDTH = re.compile(r"^(?:/vpn)?/instances/(?P<id>[^/]+)/bandwidth/?$")


def documented_error(status: int, message: str | None = None) -> dict[str, Any]:
    """The documented error body."""
    kind, code, default = _ERRORS.get(status, ("api_error", "server_error", f"HTTP {status}"))
    return {"type": kind, "code": code, "message": message or default, "doc_url": DOC_URL}


def middleware_error(message: str = "Unauthenticated.") -> dict[str, Any]:
    """What the auth middleware really sends on 401."""
    return {"message": message}


class AltostratApi:
    """ASGI app for ``/altostrat``."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.by_id = {i.id: i for i in sim.alto_instances}

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any],
                       send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        method, path, query = parse_request(scope)
        self.sim.log_request(method, scope["path"], query)
        fault: Fault | None = None
        try:
            handler, instance_id = self._match(path)
            if method not in ("GET", "HEAD"):
                raise ApiError(405, {"message": f"The {method} method is not supported for route "
                                                f"{path.lstrip('/')}. Supported methods: GET, HEAD."})
            headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                       for k, v in scope.get("headers", [])}
            if not self._authorised(headers.get("authorization", "")):
                raise ApiError(401, middleware_error())
            ids = (instance_id,) if instance_id else ()
            fault = self.sim.faults.take(PROVIDER, ids, path)
            if fault is not None and fault.kind == "status":
                raise ApiError(*_status_fault(fault))
            if fault is not None and fault.kind == "echo_key":
                token = headers.get("authorization", "").partition(" ")[2].strip()
                raise ApiError(*echo_key_reply(fault, token, documented_error))
            reply = handler(instance_id)
        except ApiError as error:
            reply = error.reply
        await send_reply(send, reply, fault)

    def _authorised(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        expected = self.sim.config.altostrat_token.encode()
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected)

    def _match(self, path: str) -> tuple[Callable[[str | None], Reply], str | None]:
        if _LIST.match(path):
            return self.list_instances, None
        found = _BANDWIDTH.match(path)
        if found:
            return self.bandwidth, found["id"]
        found = _ONE.match(path)
        if found:
            return self.get_instance, found["id"]
        raise ApiError(404, {"message": f"The route {path.lstrip('/')} could not be found."})

    def _instance(self, instance_id: str | None) -> AltoInstance:
        instance = self.by_id.get(instance_id or "")
        if instance is None:
            raise ApiError(404, documented_error(404, "Instance not found."))
        return instance

    def list_instances(self, _: str | None) -> Reply:
        return Reply(200, [instance_body(i) for i in self.sim.alto_instances])

    def get_instance(self, instance_id: str | None) -> Reply:
        return Reply(200, instance_body(self._instance(instance_id)))

    def bandwidth(self, instance_id: str | None) -> Reply:
        instance = self._instance(instance_id)
        now = self.sim.now()
        in_bytes, out_bytes = counters(instance, now)
        return Reply(200, {
            "incoming_bytes": in_bytes,
            "outgoing_bytes": out_bytes,
            "date": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d"),
        })


def counters(instance: AltoInstance, now: float) -> tuple[int, int]:
    """Bytes in and out since the start of the instance's current billing period."""
    bits_in, bits_out = integral_bits(instance.profile, instance.period_start(now), now)
    return int(bits_in // 8), int(bits_out // 8)


def _status_fault(fault: Fault) -> tuple[int, Any, dict[str, str]]:
    code = fault.code
    if fault.body is not None:
        body = fault.body
    elif code == 401:
        body = middleware_error(fault.message or "Unauthenticated.")
    else:
        body = documented_error(code, fault.message)
    headers = {}
    if fault.retry_after_s is not None:
        headers["Retry-After"] = str(math.ceil(fault.retry_after_s))
    return code, body, headers


def instance_body(instance: AltoInstance) -> dict[str, Any]:
    """An ``Instance`` object with every documented field."""
    ready = instance.server_ready
    return {
        "id": instance.id,
        "name": instance.name,
        "region": instance.region,
        "hostname": instance.hostname,
        "configured": ready,
        "rsa_ready": True,
        "diffie_hellman_ready": True,
        "server_ready": ready,
        "status": list(instance.status),
        "pushed_routes": ["10.0.0.0/8", "172.16.0.0/12"],
        "public_dns": ["9.9.9.9", "1.1.1.1"],
        "split_dns": [],
        "domains": ["corp.example"],
        "dns_custom": [{"name": "intranet.corp.example", "type": "A", "value": "10.0.0.10"}],
        "firewall": [{"name": "allow-https", "protocol": "tcp", "port": "443",
                      "source": "0.0.0.0/0", "destination": "10.0.0.0/8"}],
        "created_at": instance.created_at,
    }
