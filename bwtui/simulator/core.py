"""The simulator: configuration, the simulated clock, and the Starlette app serving both APIs."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from bwtui.simulator import contract
from bwtui.simulator.altostrat_api import AltostratApi, counters
from bwtui.simulator.faults import Fault, FaultTable
from bwtui.simulator.hetzner_api import HetznerApi, HzServer, build_hetzner
from bwtui.simulator.hivelocity_api import HivelocityApi
from bwtui.simulator.ratelimit import RateLimiter
from bwtui.simulator.traffic import integral_bits
from bwtui.simulator.vultr_api import VultrApi, VultrInstance, build_vultr
from bwtui.simulator.world import AltoInstance, HvService, build_altostrat, build_hivelocity


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything that shapes the simulated accounts. Tokens never appear in the repr."""

    seed: int = 7
    hivelocity_services: int = 12
    altostrat_instances: int = 6
    clock: Callable[[], float] | None = None  # default time.time
    speed: float = 1.0  # simulated seconds per clock second, counted from the simulator's start
    started_at: float | None = None  # the clock time it starts at (default: the clock's now)
    hivelocity_token: str = field(default=contract.HIVELOCITY_TOKEN, repr=False)
    altostrat_token: str = field(default=contract.ALTOSTRAT_TOKEN, repr=False)
    rate_limit_per_hour: int = 3600
    accept_get_on_bandwidth: bool = False
    timestamp_column: bool = False
    legend: tuple[str, ...] = ("In", "Out")
    hostile_names: bool = False
    altostrat_reset_after_s: float | None = 240.0  # instance 0's period ends this long after start
    altostrat_reset_at: float | None = None  # or at this epoch time (wins over reset_after_s)
    request_log_size: int = 1000
    hetzner_servers: int = 4
    hetzner_token: str = field(default=contract.HETZNER_TOKEN, repr=False)
    hetzner_requests_per_hour: int = 3600
    vultr_instances: int = 4
    vultr_token: str = field(default=contract.VULTR_TOKEN, repr=False)
    vultr_requests_per_s: int = 30
    vultr_refresh_s: float = 900.0  # how often Vultr re-sums the day's bytes (periodically, [?])


class LoggedRequest(NamedTuple):
    """One request as the simulator saw it (full path, query as a dict)."""

    method: str
    path: str
    query: dict[str, str]


class Simulator:
    """Both simulated provider APIs in one ASGI app (``.app``)."""

    hivelocity_base_url_path = contract.HIVELOCITY_PATH
    altostrat_base_path = contract.ALTOSTRAT_PATH
    hetzner_base_path = contract.HETZNER_PATH
    vultr_base_path = contract.VULTR_PATH
    PROVIDERS = ("hivelocity", "altostrat", "hetzner", "vultr")

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self._clock: Callable[[], float] = self.config.clock or time.time
        started_at = self.config.started_at
        self.started_at = float(self._clock() if started_at is None else started_at)
        self.hv_services: list[HvService] = build_hivelocity(
            self.config.seed, self.config.hivelocity_services, self.started_at,
            self.config.hostile_names)
        self.alto_instances: list[AltoInstance] = build_altostrat(
            self.config.seed, self.config.altostrat_instances, self.started_at,
            self.config.hostile_names, self._altostrat_reset_at())
        self.hz_servers: list[HzServer] = build_hetzner(
            self.config.seed, self.config.hetzner_servers, self.started_at, self.config.hostile_names)
        self.vultr_instances: list[VultrInstance] = build_vultr(
            self.config.seed, self.config.vultr_instances, self.started_at, self.config.hostile_names)
        self.faults = FaultTable()
        self.rate_limiter = RateLimiter(self.config.rate_limit_per_hour)
        self.requests: deque[LoggedRequest] = deque(maxlen=self.config.request_log_size)
        self._log_lock = threading.Lock()
        self.hivelocity = HivelocityApi(self)
        self.altostrat = AltostratApi(self)
        self.hetzner = HetznerApi(self)
        self.vultr = VultrApi(self)
        self.app = Starlette(routes=[
            Mount(self.hivelocity_base_url_path, app=self.hivelocity),
            Mount(self.altostrat_base_path, app=self.altostrat),
            Mount(self.hetzner_base_path, app=self.hetzner),
            Mount(self.vultr_base_path, app=self.vultr),
        ])

    # -- time ----------------------------------------------------------------------------------

    def now(self) -> float:
        """Simulated epoch seconds: the clock, sped up by ``speed`` since the simulator started."""
        return contract.sped_up(self.started_at, self.config.speed, float(self._clock()))

    def base_clock(self) -> float:
        """The clock itself, not sped up (Vultr's per-second burst limit counts real seconds)."""
        return float(self._clock())

    # -- control -------------------------------------------------------------------------------

    def inject(self, provider: str, resource_id: str | None, fault: Fault) -> None:
        """Make ``provider`` (one resource, or all when ``resource_id`` is None) misbehave."""
        if provider not in self.PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}")
        self.faults.inject(provider, None if resource_id is None else str(resource_id), fault)

    def clear_faults(self, provider: str | None = None, resource_id: str | None = None) -> None:
        """Remove injected faults (all of them by default)."""
        self.faults.clear(provider, resource_id)

    def _altostrat_reset_at(self) -> float | None:
        """When instance 0's billing period turns over (None: on the calendar month like the rest)."""
        if self.config.altostrat_reset_at is not None:
            return self.config.altostrat_reset_at
        if self.config.altostrat_reset_after_s is None:
            return None
        return self.started_at + self.config.altostrat_reset_after_s

    def reset_rate_limit(self) -> None:
        """Forget every client's budget (all providers)."""
        self.rate_limiter.reset()
        self.hetzner.bucket.reset()
        self.vultr.limiter.reset()

    def log_request(self, method: str, path: str, query: dict[str, str]) -> None:
        with self._log_lock:
            self.requests.append(LoggedRequest(method, path, query))

    # -- conveniences for tests and the demo --------------------------------------------------

    def transport(self, client_ip: str = "127.0.0.1") -> httpx.ASGITransport:
        """An in-process httpx transport onto the app (no sockets)."""
        return httpx.ASGITransport(app=self.app, client=(client_ip, 40000))

    def hivelocity_base_url(self, server_url: str = "http://127.0.0.1") -> str:
        """The Hivelocity ``base_url`` for a client (server root + ``/hivelocity/api/v2``)."""
        return server_url.rstrip("/") + self.hivelocity_base_url_path

    def altostrat_base_url(self, server_url: str = "http://127.0.0.1") -> str:
        """The Altostrat ``base_url`` for a client (its ``path_prefix`` stays ``/vpn``)."""
        return server_url.rstrip("/") + self.altostrat_base_path

    def hivelocity_service_ids(self) -> list[str]:
        """Service ids (the Hivelocity ``Resource.id``), in listing order."""
        return [str(s.service_id) for s in self.hv_services]

    def hivelocity_device_ids(self) -> list[str]:
        """Device ids, in the same order as the service ids."""
        return [str(s.device_id) for s in self.hv_services]

    def altostrat_instance_ids(self) -> list[str]:
        """Instance ids (the Altostrat ``Resource.id``), in listing order."""
        return [i.id for i in self.alto_instances]

    def hivelocity_totals_bits(self, service_id: str | int, start: float,
                               end: float) -> tuple[int, int]:
        """(In Xfer, Out Xfer) bits the API reports for ``interface=public`` over a window."""
        service = next(s for s in self.hv_services if s.service_id == int(service_id))
        bits_in, bits_out = integral_bits(service.profile, start, end)
        return round(bits_in), round(bits_out)

    def altostrat_counters(self, instance_id: str, at: float | None = None) -> tuple[int, int]:
        """(incoming_bytes, outgoing_bytes) the API reports at ``at`` (default: now)."""
        instance = next(i for i in self.alto_instances if i.id == instance_id)
        return counters(instance, self.now() if at is None else at)

    def altostrat_period_start(self, instance_id: str, at: float | None = None) -> float:
        """Start of the instance's billing period at ``at`` (default: now)."""
        instance = next(i for i in self.alto_instances if i.id == instance_id)
        return instance.period_start(self.now() if at is None else at)

    def hetzner_base_url(self, server_url: str = "http://127.0.0.1") -> str:
        """The Hetzner Cloud ``base_url`` for a client (server root + ``/hetzner/v1``)."""
        return server_url.rstrip("/") + self.hetzner_base_path

    def vultr_base_url(self, server_url: str = "http://127.0.0.1") -> str:
        """The Vultr ``base_url`` for a client (server root + ``/vultr/v2``)."""
        return server_url.rstrip("/") + self.vultr_base_path

    def hetzner_server_ids(self) -> list[str]:
        """Server ids (the Hetzner ``Resource.id``), in listing order."""
        return [str(s.id) for s in self.hz_servers]

    def vultr_instance_ids(self) -> list[str]:
        """Instance ids (the Vultr ``Resource.id``), in listing order."""
        return [i.id for i in self.vultr_instances]

    def hetzner_traffic(self, server_id: str) -> tuple[int, int]:
        """(ingoing_traffic, outgoing_traffic) bytes the API reports now."""
        server = next(s for s in self.hz_servers if str(s.id) == str(server_id))
        return self.hetzner.traffic(server)

    def vultr_day_bytes(self, instance_id: str, day_start: float) -> tuple[int, int]:
        """(incoming_bytes, outgoing_bytes) the API reports for one UTC day."""
        return self.vultr.day_bytes(instance_id, day_start)

    def describe(self) -> dict[str, Any]:
        """A summary for ``bwtui simulate`` to print (no secrets)."""
        return {
            "hivelocity_path": self.hivelocity_base_url_path,
            "altostrat_path": self.altostrat_base_path,
            "hivelocity_services": len(self.hv_services),
            "altostrat_instances": len(self.alto_instances),
            "hetzner_path": self.hetzner_base_path,
            "vultr_path": self.vultr_base_path,
            "hetzner_servers": len(self.hz_servers),
            "vultr_instances": len(self.vultr_instances),
            "seed": self.config.seed,
            "speed": self.config.speed,
        }
