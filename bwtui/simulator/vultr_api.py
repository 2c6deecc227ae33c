"""The simulated Vultr API v2 (instances and their per-UTC-day bandwidth), as ASGI.

Order of checks: the per-IP burst limit (429 above ``vultr_requests_per_s`` in one second of the
simulator's base clock, not sped up) -> routing (404/405) -> ``Authorization: Bearer`` (401) ->
injected fault -> handler. Errors are ``{"error": "...", "status": N}``; no rate-limit headers.
Day figures are as of the last refresh (every ``vultr_refresh_s``), never real time.
"""

from __future__ import annotations

import base64
import hmac
import math
import random
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bwtui.periods import iso_utc
from bwtui.simulator.faults import Fault
from bwtui.simulator.replies import ApiError, Reply, parse_request, send_reply
from bwtui.simulator.traffic import Profile, integral_bits, key_of
from bwtui.simulator.world import HOSTILE_HOSTNAME, HOSTILE_INSTANCE_NAME

if TYPE_CHECKING:
    from bwtui.simulator.core import Simulator

PROVIDER = "vultr"
DAY_S = 86400
MAX_PER_PAGE = 500
MAX_DATE_RANGE = 60
REGIONS = ["ewr", "ord", "ams", "fra", "sjc", "nrt", "syd"]
PLANS = [("vc2-1c-1gb", 1, 1024, 25, 1000), ("vc2-2c-4gb", 2, 4096, 80, 3000),
         ("vhf-2c-4gb", 2, 4096, 128, 3000), ("vc2-4c-8gb", 4, 8192, 160, 4000)]
_LABELS = ["Frontend", "Build box", "Game relay", "Mirror", "Staging", "Mail", "VPN exit"]


@dataclass(frozen=True, slots=True)
class VultrInstance:
    """One Vultr instance."""

    id: str
    label: str
    hostname: str
    region: str
    plan: int  # index into PLANS
    created: float
    profile: Profile


def build_vultr(seed: int, count: int, start: float, hostile: bool) -> list[VultrInstance]:
    """``count`` instances; instance 0 is the busy one that eats most of the pool."""
    rng = random.Random(f"vultr-{seed}")
    instances: list[VultrInstance] = []
    for i in range(count):
        instance_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        profile = Profile.make(key_of(seed, f"vultr:{instance_id}"), low_bps=1e6, high_bps=20e6, in_ratio=(0.2, 0.9))
        if i == 0:
            profile = replace(profile, base_out_bps=14e6, burst_probability=0.0)
        label = _LABELS[i % len(_LABELS)] + ("" if i < len(_LABELS) else f" {i // len(_LABELS) + 1}")
        region = REGIONS[i % len(REGIONS)]
        instances.append(VultrInstance(
            id=instance_id, label=label, region=region, plan=rng.randrange(len(PLANS)),
            hostname=f"{label.lower().replace(' ', '-')}.{region}.example.org",
            created=start - DAY_S * (30 + rng.randrange(500)), profile=profile,
        ))
    if hostile and count >= 2:
        instances[1] = replace(instances[1], label=HOSTILE_INSTANCE_NAME, hostname=HOSTILE_HOSTNAME)
    return instances


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"error": message, "status": status}


class BurstLimiter:
    """At most ``limit`` requests per IP in any one second (Vultr's ~30/s)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seconds: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._seconds.clear()

    def hit(self, ip: str, now: float) -> bool:
        second = int(now)
        with self._lock:
            seen, count = self._seconds.get(ip, (second, 0))
            if seen != second:
                count = 0
            count += 1
            if len(self._seconds) > 10_000:
                self._seconds.clear()
            self._seconds[ip] = (second, count)
            return count <= self.limit


class VultrApi:
    """ASGI app for ``/vultr/v2``."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.by_id = {i.id: i for i in sim.vultr_instances}
        self.limiter = BurstLimiter(sim.config.vultr_requests_per_s)

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        method, path, query = parse_request(scope)
        self.sim.log_request(method, scope["path"], query)
        fault: Fault | None = None
        try:
            client = scope.get("client") or ("unknown", 0)
            if not self.limiter.hit(str(client[0]), self.sim.base_clock()):
                raise ApiError(429, error_body(429, "Rate limit exceeded. Slow down."))
            handler, instance_id = self._match(method, path)
            raw = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            if not self._authorised(raw.get("authorization", "")):
                raise ApiError(401, error_body(401, "Invalid API token."))
            fault = self.sim.faults.take(PROVIDER, (instance_id,) if instance_id else (), path)
            if fault is not None and fault.kind == "status":
                raise ApiError(*_status_fault(fault))
            reply = handler(instance_id, query, fault)
        except ApiError as error:
            reply = error.reply
        await send_reply(send, reply, fault)

    def _authorised(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        expected = self.sim.config.vultr_token.encode()
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected)

    def _match(self, method: str, path: str) -> tuple[Callable[..., Reply], str | None]:
        routes: list[tuple[re.Pattern[str], Callable[..., Reply]]] = [
            (re.compile(r"^/instances/?$"), self.list_instances),
            (re.compile(r"^/instances/(?P<id>[^/]+)/bandwidth/?$"), self.bandwidth),
            (re.compile(r"^/instances/(?P<id>[^/]+)/?$"), self.get_instance),
        ]
        for pattern, handler in routes:
            found = pattern.match(path)
            if found:
                if method not in ("GET", "HEAD"):
                    raise ApiError(405, error_body(405, "Method not allowed."))
                return handler, found.groupdict().get("id")
        raise ApiError(404, error_body(404, "Invalid route."))

    def _instance(self, instance_id: str | None) -> VultrInstance:
        instance = self.by_id.get(instance_id or "")
        if instance is None:
            raise ApiError(404, error_body(404, "Invalid instance-id."))
        return instance

    # -- handlers ----------------------------------------------------------------------------

    def list_instances(self, _: str | None, query: dict[str, str], fault: Fault | None) -> Reply:
        per_page = _int_arg(query, "per_page", 100, 1, MAX_PER_PAGE)
        offset = _cursor_offset(query.get("cursor", ""))
        instances = self.sim.vultr_instances
        chunk = instances[offset: offset + per_page]
        following = offset + per_page
        next_cursor = _cursor(following) if following < len(instances) else ""
        if fault is not None and fault.kind == "stuck_pagination":
            next_cursor = query.get("cursor") or _cursor(0)
        return Reply(200, {
            "instances": [self.instance_body(i) for i in chunk],
            "meta": {"total": len(instances),
                     "links": {"next": next_cursor, "prev": _cursor(max(0, offset - per_page)) if offset else ""}},
        })

    def get_instance(self, instance_id: str | None, query: dict[str, str], fault: Fault | None) -> Reply:
        return Reply(200, {"instance": self.instance_body(self._instance(instance_id))})

    def bandwidth(self, instance_id: str | None, query: dict[str, str], fault: Fault | None) -> Reply:
        instance = self._instance(instance_id)
        days = _int_arg(query, "date_range", 30, 1, MAX_DATE_RANGE)
        now = self.sim.now()
        refreshed = math.floor(now / self.sim.config.vultr_refresh_s) * self.sim.config.vultr_refresh_s
        today = math.floor(now / DAY_S) * DAY_S
        table: dict[str, dict[str, int]] = {}
        for back in range(days - 1, -1, -1):
            start = today - back * DAY_S
            end = min(start + DAY_S, refreshed)
            bits_in, bits_out = integral_bits(instance.profile, max(start, instance.created), end)
            key = datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%d")
            table[key] = {"incoming_bytes": int(bits_in // 8), "outgoing_bytes": int(bits_out // 8)}
        return Reply(200, {"bandwidth": table})

    def day_bytes(self, instance_id: str, day_start: float) -> tuple[int, int]:
        """(incoming, outgoing) the API reports for one UTC day, as of the last refresh."""
        reply = self.bandwidth(instance_id, {"date_range": str(MAX_DATE_RANGE)}, None)
        key = datetime.fromtimestamp(day_start, UTC).strftime("%Y-%m-%d")
        entry = reply.body["bandwidth"][key]
        return entry["incoming_bytes"], entry["outgoing_bytes"]

    def instance_body(self, instance: VultrInstance) -> dict[str, Any]:
        """An ``instance`` object with the fields of Vultr's description."""
        name, vcpus, ram, disk, bandwidth_gb = PLANS[instance.plan]
        index = self.sim.vultr_instances.index(instance)
        return {
            "id": instance.id, "os": "Debian 12 x64 (bookworm)", "ram": ram, "disk": disk,
            "main_ip": f"192.0.2.{index % 250 + 2}", "vcpu_count": vcpus, "region": instance.region,
            "plan": name, "date_created": (iso_utc(instance.created) or "").replace("Z", "+00:00"),
            "status": "active", "allowed_bandwidth": bandwidth_gb, "netmask_v4": "255.255.254.0",
            "gateway_v4": "192.0.2.1", "power_status": "running", "server_status": "ok",
            "v6_networks": [], "label": instance.label, "internal_ip": "",
            "kvm": "https://my.vultr.com/subs/vps/novnc/api.php?data=example",
            "hostname": instance.hostname, "os_id": 2136, "app_id": 0, "image_id": "",
            "firewall_group_id": "", "features": ["ipv6"], "tags": ["demo"], "user_scheme": "root",
        }


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"next__{offset}".encode()).decode().rstrip("=")


def _cursor_offset(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition("__")
        if prefix != "next":
            raise ValueError(text)
        return max(0, int(number))
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, error_body(400, "Invalid cursor.")) from None


def _int_arg(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw, 10)
    except ValueError:
        raise ApiError(400, error_body(400, f"Invalid {name}.")) from None
    if not low <= value <= high:
        raise ApiError(400, error_body(400, f"{name} must be between {low} and {high}."))
    return value


def _status_fault(fault: Fault) -> tuple[int, Any, dict[str, str]]:
    body = fault.body if fault.body is not None else error_body(fault.code, fault.message or f"HTTP {fault.code}")
    headers = {}
    if fault.retry_after_s is not None:
        headers["Retry-After"] = str(math.ceil(fault.retry_after_s))
    return fault.code, body, headers
