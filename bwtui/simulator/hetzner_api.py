"""The simulated Hetzner Cloud API (servers, their traffic counters, network metrics), as ASGI.

Order of checks: routing (404/405) -> ``Authorization: Bearer`` (401) -> the project's token
bucket (429; 3,600 requests an hour, refilled one a second) -> injected fault -> handler. Every
authenticated reply carries ``RateLimit-Limit``/``-Remaining``/``-Reset`` (Reset: the epoch when
the bucket is full again). Errors are ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

import hmac
import math
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bwtui.periods import iso_utc, period_bounds
from bwtui.simulator.faults import Fault
from bwtui.simulator.replies import ApiError, Reply, parse_request, send_reply
from bwtui.simulator.traffic import Profile, integral_bits, key_of, series
from bwtui.simulator.world import HOSTILE_NAME, HOSTILE_VARIABLE_NAME

if TYPE_CHECKING:
    from bwtui.simulator.core import Simulator

PROVIDER = "hetzner"
TIB = 2**40
METRICS_RETENTION_S = 30 * 86400
MAX_SAMPLES = 500
DEFAULT_SAMPLES = 200
MAX_PER_PAGE = 50
# (name, city, country, network zone, latitude, longitude)
LOCATIONS = [
    ("fsn1", "Falkenstein", "DE", "eu-central", 50.47612, 12.370071),
    ("nbg1", "Nuremberg", "DE", "eu-central", 49.452102, 11.076665),
    ("hel1", "Helsinki", "FI", "eu-central", 60.169855, 24.938379),
    ("ash", "Ashburn, VA", "US", "us-east", 39.045821, -77.487073),
    ("sin", "Singapore", "SG", "ap-southeast", 1.283333, 103.833333),
]
# (name, cores, memory GB, disk GB, included TiB, EUR per TiB)
SERVER_TYPES = [
    ("cx22", 2, 4.0, 40, 20, "1.0000"),
    ("cpx31", 4, 8.0, 160, 20, "1.0000"),
    ("ccx23", 4, 16.0, 160, 20, "1.0000"),
    ("cax11", 2, 4.0, 40, 20, "1.0000"),
]
_ROLES = ["web", "db", "api", "cache", "worker", "edge", "mail", "git"]
_ERRORS = {
    400: ("invalid_input", "invalid input"),
    401: ("unauthorized", "unable to authenticate"),
    403: ("forbidden", "insufficient permissions for this request"),
    404: ("not_found", "server not found"),
    429: ("rate_limit_exceeded", "limit of 3600 requests per hour reached"),
    500: ("server_error", "internal server error"),
    503: ("unavailable", "service temporarily unavailable"),
}


@dataclass(frozen=True, slots=True)
class HzServer:
    """One Hetzner Cloud server."""

    id: int
    name: str
    location: int  # index into LOCATIONS
    server_type: int  # index into SERVER_TYPES
    created: float
    profile: Profile


def build_hetzner(seed: int, count: int, start: float, hostile: bool) -> list[HzServer]:
    """``count`` servers; server 0 runs hot (it passes its 20 TiB before the month ends)."""
    rng = random.Random(f"hz-{seed}")
    servers: list[HzServer] = []
    for i in range(count):
        server_id = 4_200_000 + i * 97 + rng.randrange(90)
        profile = Profile.make(key_of(seed, f"hz:{server_id}"), low_bps=3e6, high_bps=60e6, in_ratio=(0.1, 0.6))
        if i == 0:
            profile = replace(profile, base_out_bps=75e6, burst_probability=0.0, weekend_factor=1.0)
        role = _ROLES[i % len(_ROLES)]
        servers.append(HzServer(
            id=server_id,
            name=f"{role}-{i // len(_ROLES) + 1:02d}",
            location=i % len(LOCATIONS),
            server_type=rng.randrange(len(SERVER_TYPES)),
            created=start - 86400 * (20 + rng.randrange(400)),
            profile=profile,
        ))
    if hostile and count >= 2:
        servers[1] = replace(servers[1], name=HOSTILE_NAME)
        if count >= 3:
            servers[2] = replace(servers[2], name=HOSTILE_VARIABLE_NAME)
    return servers


def error_body(status: int, message: str | None = None, code: str | None = None) -> dict[str, Any]:
    default_code, default_message = _ERRORS.get(status, ("server_error", f"HTTP {status}"))
    return {"error": {"code": code or default_code, "message": message or default_message, "details": {}}}


class TokenBucket:
    """Hetzner's per-project budget: ``capacity`` requests, refilled ``rate`` a second."""

    def __init__(self, capacity: int, rate_per_s: float) -> None:
        self.capacity = capacity
        self.rate = rate_per_s
        self._state: dict[str, tuple[float, float]] = {}  # token fingerprint -> (level, at)
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._state.clear()

    def hit(self, key: str, now: float) -> tuple[bool, int, float]:
        """(allowed, remaining, epoch when full again) after counting one request."""
        with self._lock:
            level, at = self._state.get(key, (float(self.capacity), now))
            level = min(self.capacity, level + max(0.0, now - at) * self.rate)
            allowed = level >= 1.0
            if allowed:
                level -= 1.0
            self._state[key] = (level, now)
            full_at = now + (self.capacity - level) / self.rate
            return allowed, int(level), full_at


def _location_body(index: int) -> dict[str, Any]:
    name, city, country, zone, lat, lon = LOCATIONS[index]
    return {"id": index + 1, "name": name, "description": f"{city} DC Park 1", "country": country,
            "city": city, "latitude": lat, "longitude": lon, "network_zone": zone}


def _price(value: str) -> dict[str, str]:
    gross = f"{float(value) * 1.19:.4f}"
    return {"net": value, "gross": gross}


def server_type_body(index: int) -> dict[str, Any]:
    name, cores, memory, disk, included_tib, per_tb = SERVER_TYPES[index]
    return {
        "id": index + 100, "name": name, "description": name.upper(), "category": "shared",
        "cores": cores, "memory": memory, "disk": disk, "deprecated": False, "deprecation": None,
        "storage_type": "local", "cpu_type": "shared", "architecture": "arm" if name.startswith("cax") else "x86",
        "locations": [{"id": i + 1, "name": loc[0], "deprecation": None} for i, loc in enumerate(LOCATIONS)],
        "prices": [{"location": loc[0], "price_hourly": _price("0.0060"), "price_monthly": _price("3.7900"),
                    "included_traffic": included_tib * TIB, "price_per_tb_traffic": _price(per_tb)}
                   for loc in LOCATIONS],
    }


class HetznerApi:
    """ASGI app for ``/hetzner/v1``."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.by_id = {s.id: s for s in sim.hz_servers}
        config = sim.config
        self.bucket = TokenBucket(config.hetzner_requests_per_hour, config.hetzner_requests_per_hour / 3600.0)

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        method, path, query = parse_request(scope)
        self.sim.log_request(method, scope["path"], query)
        fault: Fault | None = None
        headers: dict[str, str] = {}
        try:
            handler, server_id = self._match(method, path)
            raw = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            token = self._token(raw.get("authorization", ""))
            if token is None:
                raise ApiError(401, error_body(401))
            now = self.sim.now()
            allowed, remaining, full_at = self.bucket.hit(token, now)
            headers = {"RateLimit-Limit": str(self.bucket.capacity), "RateLimit-Remaining": str(remaining),
                       "RateLimit-Reset": str(math.ceil(full_at))}
            if not allowed:
                raise ApiError(429, error_body(429))
            fault = self.sim.faults.take(PROVIDER, (server_id,) if server_id else (), path)
            if fault is not None and fault.kind == "status":
                raise ApiError(*_status_fault(fault))
            reply = handler(server_id, query, fault)
        except ApiError as error:
            reply = error.reply
        if reply.status == 429 and headers:
            headers["RateLimit-Remaining"] = "0"
        reply.headers.update(headers)
        await send_reply(send, reply, fault)

    def _token(self, header: str) -> str | None:
        scheme, _, token = header.partition(" ")
        expected = self.sim.config.hetzner_token.encode()
        ok = scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected)
        return "project-1" if ok else None

    def _match(self, method: str, path: str) -> tuple[Callable[..., Reply], str | None]:
        routes: list[tuple[re.Pattern[str], Callable[..., Reply]]] = [
            (re.compile(r"^/servers/?$"), self.list_servers),
            (re.compile(r"^/servers/(?P<id>[^/]+)/metrics/?$"), self.metrics),
            (re.compile(r"^/servers/(?P<id>[^/]+)/?$"), self.get_server),
        ]
        for pattern, handler in routes:
            found = pattern.match(path)
            if found:
                if method not in ("GET", "HEAD"):
                    raise ApiError(405, error_body(405, "method not allowed", "method_not_allowed"))
                return handler, found.groupdict().get("id")
        raise ApiError(404, error_body(404, "not found"))

    def _server(self, server_id: str | None) -> HzServer:
        try:
            number = int(server_id or "")
        except ValueError:
            raise ApiError(400, error_body(400, "invalid server id")) from None
        server = self.by_id.get(number)
        if server is None:
            raise ApiError(404, error_body(404, f"server with ID '{number}' not found"))
        return server

    # -- handlers ----------------------------------------------------------------------------

    def list_servers(self, _: str | None, query: dict[str, str], fault: Fault | None) -> Reply:
        page = _int_arg(query, "page", 1, minimum=1)
        per_page = _int_arg(query, "per_page", 25, minimum=1)
        per_page = min(per_page, MAX_PER_PAGE)
        servers = self.sim.hz_servers
        last = max(1, math.ceil(len(servers) / per_page))
        chunk = servers[(page - 1) * per_page: page * per_page]
        next_page: int | None = page + 1 if page < last else None
        if fault is not None and fault.kind == "stuck_pagination":
            next_page = page
        return Reply(200, {
            "servers": [self.server_body(s) for s in chunk],
            "meta": {"pagination": {"page": page, "per_page": per_page,
                                    "previous_page": page - 1 if page > 1 else None,
                                    "next_page": next_page, "last_page": last,
                                    "total_entries": len(servers)}},
        })

    def get_server(self, server_id: str | None, query: dict[str, str], fault: Fault | None) -> Reply:
        return Reply(200, {"server": self.server_body(self._server(server_id))})

    def metrics(self, server_id: str | None, query: dict[str, str], fault: Fault | None) -> Reply:
        server = self._server(server_id)
        types = query.get("type", "")
        if not types or any(t not in ("cpu", "disk", "network") for t in types.split(",")):
            raise ApiError(400, error_body(400, "invalid type: expected cpu, disk or network"))
        start, end = _time_arg(query, "start"), _time_arg(query, "end")
        if end <= start:
            raise ApiError(400, error_body(400, "end must be after start"))
        now = self.sim.now()
        end = min(end, now)
        start = max(start, now - METRICS_RETENTION_S)
        step = _int_arg(query, "step", 0, minimum=1) if query.get("step") else math.ceil((end - start) / DEFAULT_SAMPLES)
        step = max(step, math.ceil((end - start) / MAX_SAMPLES), 1)
        first = math.ceil(start / step) * step
        count = max(0, int((end - first) // step))
        rows = series(server.profile, first, step, count) if count else []
        time_series: dict[str, Any] = {}
        if "network" in types:
            every = max(1, fault.every) if fault is not None and fault.kind == "gaps" else 0
            ins, outs = [], []
            for index, (in_bps, out_bps) in enumerate(rows):
                t = float(first + index * step)
                gap = every and (index + 1) % every == 0
                ins.append([t, "NaN" if gap else f"{in_bps / 8:.3f}"])
                outs.append([t, "NaN" if gap else f"{out_bps / 8:.3f}"])
            time_series.update({
                "network.0.bandwidth.in": {"values": ins}, "network.0.bandwidth.out": {"values": outs},
                "network.0.pps.in": {"values": [[t, f"{float(v) / 900:.1f}" if v != "NaN" else v] for t, v in ins]},
                "network.0.pps.out": {"values": [[t, f"{float(v) / 900:.1f}" if v != "NaN" else v] for t, v in outs]},
            })
        if "cpu" in types:
            time_series["cpu"] = {"values": [[float(first + i * step), "3.5"] for i in range(count)]}
        return Reply(200, {"metrics": {"start": iso_utc(start), "end": iso_utc(end), "step": step,
                                       "time_series": time_series}})

    # -- bodies ------------------------------------------------------------------------------

    def traffic(self, server: HzServer) -> tuple[int, int]:
        """(ingoing, outgoing) bytes in the current (calendar-month) billing period."""
        now = self.sim.now()
        start = max(period_bounds(now)[0], server.created)
        bits_in, bits_out = integral_bits(server.profile, start, now)
        return int(bits_in // 8), int(bits_out // 8)

    def server_body(self, server: HzServer) -> dict[str, Any]:
        """A ``server`` object with every field the description requires."""
        ingoing, outgoing = self.traffic(server)
        location = _location_body(server.location)
        server_type = server_type_body(server.server_type)
        index = self.sim.hz_servers.index(server)
        created = iso_utc(server.created) or ""
        return {
            "id": server.id, "name": server.name, "status": "running", "created": created,
            "public_net": {
                "ipv4": {"id": server.id + 1, "ip": f"203.0.113.{index % 250 + 2}", "blocked": False,
                         "dns_ptr": f"static.{index}.example.your-server.de"},
                "ipv6": {"id": server.id + 2, "ip": f"2001:db8:{index:x}::/64", "blocked": False,
                         "dns_ptr": []},
                "floating_ips": [], "firewalls": [],
            },
            "private_net": [],
            "server_type": server_type,
            "datacenter": {"id": server.location + 1, "name": f"{location['name']}-dc1",
                           "description": f"{location['city']} 1 DC 1", "location": location,
                           "server_types": {"supported": [server_type["id"]], "available": [server_type["id"]],
                                            "available_for_migration": [server_type["id"]]}},
            "image": None, "iso": None, "rescue_enabled": False, "locked": False, "backup_window": None,
            "outgoing_traffic": outgoing, "ingoing_traffic": ingoing,
            "included_traffic": SERVER_TYPES[server.server_type][4] * TIB,
            "protection": {"delete": False, "rebuild": False}, "labels": {"env": "demo"},
            "volumes": [], "load_balancers": [], "primary_disk_size": SERVER_TYPES[server.server_type][3],
            "placement_group": None, "location": location,
        }


def _int_arg(query: dict[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw, 10)
    except ValueError:
        raise ApiError(400, error_body(400, f"invalid {name}: not an integer")) from None
    if value < minimum:
        raise ApiError(400, error_body(400, f"invalid {name}: must be at least {minimum}"))
    return value


def _time_arg(query: dict[str, str], name: str) -> float:
    raw = query.get(name)
    if not raw:
        raise ApiError(400, error_body(400, f"missing required parameter {name}"))
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise ApiError(400, error_body(400, f"invalid {name}: not an RFC 3339 time with an offset"))
    return when.astimezone(UTC).timestamp()


def _status_fault(fault: Fault) -> tuple[int, Any, dict[str, str]]:
    body = fault.body if fault.body is not None else error_body(fault.code, fault.message)
    headers = {}
    if fault.retry_after_s is not None:
        headers["Retry-After"] = str(math.ceil(fault.retry_after_s))
    return fault.code, body, headers
