"""The simulated Hivelocity API v2 (the parts bwtui uses), as an ASGI app.

Order of checks, as a flask-restx service behind a rate-limiting gateway would do it:
rate limit (429) -> routing (404/405) -> ``X-API-KEY`` (401) -> injected fault -> handler.
Every reply carries ``X-RateLimit-Limit/Remaining/Reset``.
"""

from __future__ import annotations

import base64
import hmac
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bwtui.periods import iso_utc
from bwtui.simulator import hivelocity_variants as hv_variants
from bwtui.simulator import png
from bwtui.simulator.faults import Fault, echo_key_reply
from bwtui.simulator.replies import ApiError, Reply, parse_request, send_reply
from bwtui.simulator.traffic import integral_bits, percentile_95, series
from bwtui.simulator.hivelocity_bodies import device_dump, service_dump
from bwtui.simulator.world import HvService

if TYPE_CHECKING:
    from bwtui.simulator.core import Simulator

PROVIDER = "hivelocity"
PERIODS = ("day", "week", "month", "custom")
INTERFACES = ("eth0", "eth1", "public", "private", "all")
INTERFACE_SCALE = {"eth0": 1.0, "public": 1.0, "eth1": 0.2, "private": 0.2, "all": 1.2}
PERIOD_S = {"day": 86400, "week": 7 * 86400, "month": 30 * 86400}
FINE_STEP_S = 300
COARSE_STEP_S = 3600
FINE_RETENTION_S = 2 * 86400  # 5-minute data is kept for 2 days, hourly beyond
RETENTION_S = 400 * 86400
MAX_ROWS = 5000
IMAGE_STEP_S = {"day": 300, "week": 3600, "month": 7200}

NOT_FOUND_URL = (
    "The requested URL was not found on the server. If you entered the URL manually please "
    "check your spelling and try again."
)
METHOD_NOT_ALLOWED = "The method is not allowed for the requested URL."


def error_body(status: int, message: str) -> dict[str, Any]:
    """Hivelocity's error shapes: ``message`` for 400, ``description`` otherwise."""
    if status == 400:
        return {"code": 400, "message": message}
    return {"code": status, "description": message}


_DEFAULT_MESSAGES = {
    400: "Bad request.",
    401: "Your API key is invalid or missing.",
    403: "You have not been granted permission to complete this action. Please contact your "
         "account manager to grant the proper permission.",
    404: "Not found.",
    429: "Your IP is rate limited.",
    500: "Internal server error.",
    502: "Bad gateway.",
    503: "Service temporarily unavailable.",
}


@dataclass(frozen=True, slots=True)
class BandwidthArgs:
    """Validated query parameters of a bandwidth call."""

    period: str
    interface: str
    step: int | None
    start: int | None
    end: int | None
    historical: bool | None


@dataclass(frozen=True, slots=True)
class _Route:
    pattern: re.Pattern[str]
    methods: tuple[str, ...]
    handler: str


_ROUTES = [
    _Route(re.compile(r"^/device/?$"), ("GET",), "list_devices"),
    _Route(re.compile(r"^/device/(?P<device_id>\d+)/?$"), ("GET",), "get_device"),
    _Route(re.compile(r"^/service/?$"), ("GET",), "list_services"),
    _Route(re.compile(r"^/bandwidth/(?P<kind>device|service)/(?P<rid>\d+)(?P<image>/image)?/?$"),
           ("POST",), "bandwidth"),
]


def _parse_int(name: str, raw: str) -> int:
    try:
        return int(raw, 10)
    except ValueError:
        raise ApiError(400, error_body(400, f"{name}: invalid literal for int() with base 10: "
                                            f"{raw!r}")) from None


def parse_bandwidth_args(query: dict[str, str], *, image: bool, device: bool) -> BandwidthArgs:
    """Validate the query string per the spec; raise ``ApiError(400)`` on the first problem."""

    def required(name: str) -> str:
        value = query.get(name)
        if value is None or value == "":
            raise ApiError(400, error_body(400, f"{name}: Missing required parameter in the "
                                                "query string"))
        return value

    period = required("period")
    if period not in PERIODS:
        raise ApiError(400, error_body(400, f"period: {period!r} is not a valid choice"))
    interface = required("interface")
    if interface not in INTERFACES:
        raise ApiError(400, error_body(400, f"interface: {interface!r} is not a valid choice"))
    step = None
    if not image:
        step = _parse_int("step", required("step"))
        if step <= 0:
            raise ApiError(400, error_body(400, "step: must be a positive number of seconds"))
    start = _parse_int("start", query["start"]) if query.get("start") else None
    end = _parse_int("end", query["end"]) if query.get("end") else None
    historical = None
    if device and not image and "historical" in query:
        raw = query["historical"].lower()
        if raw not in ("true", "false", "1", "0"):
            raise ApiError(400, error_body(400, f"historical: {query['historical']!r} is not a "
                                                "valid boolean"))
        historical = raw in ("true", "1")
    if period == "custom" and start is not None and end is not None and start >= end:
        raise ApiError(400, error_body(400, "start must be before end"))
    return BandwidthArgs(period, interface, step, start, end, historical)


def window(args: BandwidthArgs, now: float) -> tuple[float, float]:
    """The [start, end] the call covers: rolling periods end now; custom is clamped to now."""
    if args.period == "custom":
        end = float(args.end) if args.end is not None else now
        start = float(args.start) if args.start is not None else 0.0
        end = min(end, now)
        start = max(start, now - RETENTION_S)
        return start, max(start, end)
    return now - PERIOD_S[args.period], now


def effective_step(requested: int, start: float, end: float, now: float) -> int:
    """The step served: never finer than what is stored for the window's oldest data."""
    finest = FINE_STEP_S if start >= now - FINE_RETENTION_S else COARSE_STEP_S
    step = max(requested, finest)
    step = math.ceil(step / finest) * finest
    if end > start and (end - start) / step > MAX_ROWS:
        step = math.ceil((end - start) / MAX_ROWS / finest) * finest
    return int(step)


def rows_for(service: HvService, start: float, end: float, step: int,
             scale: float) -> list[tuple[int, float, float]]:
    """(t, in_bps, out_bps) for every complete step-aligned row inside the window."""
    first = int(start // step) * step
    count = max(0, (int(end // step) * step - first) // step)
    values = series(service.profile, first, step, count)
    return [(first + i * step, round(in_bps * scale, 1), round(out_bps * scale, 1))
            for i, (in_bps, out_bps) in enumerate(values)]


class HivelocityApi:
    """ASGI app for ``/hivelocity/api/v2``. Holds no state of its own besides lookups."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.by_service = {s.service_id: s for s in sim.hv_services}
        self.by_device = {s.device_id: s for s in sim.hv_services}
        # Answer shapes per service id (see hivelocity_variants): tests set these.
        self.variants: dict[int, set[str]] = {}

    def set_variant(self, service_id: int | str, *names: str) -> None:
        """Serve these answer variants for one service (none: the documented shapes)."""
        chosen = set(names)
        hv_variants.check(chosen)
        self.variants[int(service_id)] = chosen

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any],
                       send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        method, path, query = parse_request(scope)
        self.sim.log_request(method, scope["path"], query)
        client = scope.get("client") or ("unknown", 0)
        verdict = self.sim.rate_limiter.hit(str(client[0]), self.sim.now())
        rl_headers = verdict.headers()
        fault: Fault | None = None
        try:
            if not verdict.allowed:
                raise ApiError(429, error_body(429, _DEFAULT_MESSAGES[429]))
            route, params = self._match(method, path)
            headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                       for k, v in scope.get("headers", [])}
            if not hmac.compare_digest(headers.get("x-api-key", "").encode(),
                                       self.sim.config.hivelocity_token.encode()):
                raise ApiError(401, error_body(401, _DEFAULT_MESSAGES[401]))
            fault = self.sim.faults.take(PROVIDER, self._resource_ids(params), path)
            if fault is not None and fault.kind == "status":
                raise ApiError(*_status_fault(fault))
            if fault is not None and fault.kind == "echo_key":
                raise ApiError(*echo_key_reply(fault, headers.get("x-api-key", ""), error_body))
            reply = getattr(self, route.handler)(params, query, fault)
        except ApiError as error:
            reply = error.reply
        if reply.status == 429 and verdict.allowed:  # an injected 429: headers agree with it
            rl_headers["X-RateLimit-Remaining"] = "0"
            if fault is not None and fault.retry_after_s is not None:
                rl_headers["X-RateLimit-Reset"] = str(math.ceil(fault.retry_after_s))
        reply.headers.update(rl_headers)
        await send_reply(send, reply, fault)

    # -- routing ---------------------------------------------------------------------------

    def _match(self, method: str, path: str) -> tuple[_Route, dict[str, str]]:
        for route in _ROUTES:
            found = route.pattern.match(path)
            if not found:
                continue
            allowed = route.methods
            if route.handler == "bandwidth" and self.sim.config.accept_get_on_bandwidth:
                allowed = (*allowed, "GET")
            if method not in allowed:
                raise ApiError(405, {"message": METHOD_NOT_ALLOWED})
            return route, {k: v for k, v in found.groupdict().items() if v is not None}
        raise ApiError(404, {"message": NOT_FOUND_URL})

    def _resource_ids(self, params: dict[str, str]) -> tuple[str, ...]:
        """Fault keys a request touches: the service id, and the device id where there is one."""
        service = self._service_for(params)
        if service is None:
            return ()
        return (str(service.service_id), str(service.device_id))

    def _service_for(self, params: dict[str, str]) -> HvService | None:
        if "device_id" in params:
            return self.by_device.get(int(params["device_id"]))
        if params.get("kind") == "device":
            return self.by_device.get(int(params["rid"]))
        if params.get("kind") == "service":
            return self.by_service.get(int(params["rid"]))
        return None

    # -- handlers ----------------------------------------------------------------------------

    def list_devices(self, params: dict[str, str], query: dict[str, str], fault: Fault | None) -> Reply:
        if query.get("rack_id"):
            _parse_int("rack_id", query["rack_id"])
        return Reply(200, [device_dump(s, self.variants.get(s.service_id, set()))
                           for s in self.sim.hv_services])

    def get_device(self, params: dict[str, str], query: dict[str, str], fault: Fault | None) -> Reply:
        service = self._service_for(params)
        if service is None:
            raise ApiError(404, error_body(404, f"Device {params['device_id']} not found."))
        return Reply(200, device_dump(service, self.variants.get(service.service_id, set())))

    def list_services(self, params: dict[str, str], query: dict[str, str], fault: Fault | None) -> Reply:
        status = query.get("status")
        if not status:
            raise ApiError(400, error_body(400, "status: Missing required parameter in the "
                                                "query string"))
        statuses = ("all", "active", "deactivated", "pending", "suspended", "cancelled")
        if status not in statuses:
            raise ApiError(400, error_body(400, f"status: {status!r} is not a valid choice"))
        if query.get("orderId"):
            _parse_int("orderId", query["orderId"])
        services = self.sim.hv_services if status in ("all", "active") else []
        if not services:
            raise ApiError(404, error_body(404, "You don't own any services"))
        now = self.sim.now()
        return Reply(200, [service_dump(s, now, self.variants.get(s.service_id, set()))
                           for s in services])

    def bandwidth(self, params: dict[str, str], query: dict[str, str], fault: Fault | None) -> Reply:
        image = "image" in params
        device = params["kind"] == "device"
        args = parse_bandwidth_args(query, image=image, device=device)
        service = self._service_for(params)
        if service is None:
            what = "Device" if device else "Service"
            raise ApiError(404, error_body(404, f"{what} {params['rid']} not found."))
        now = self.sim.now()
        start, end = window(args, now)
        scale = INTERFACE_SCALE[args.interface]
        if image:
            step = effective_step(IMAGE_STEP_S.get(args.period, 300), start, end, now)
            rows = rows_for(service, start, end, step, scale)
            picture = png.bar_graph([r[1] for r in rows], [r[2] for r in rows])
            return Reply(200, [{
                "interface": args.interface,
                "switchId": service.switch_id,
                "graphImage": base64.b64encode(picture).decode("ascii"),
            }])
        assert args.step is not None
        step = effective_step(args.step, start, end, now)
        variants = self.variants.get(service.service_id, set())
        hv_variants.check(variants)
        if args.interface == "all" or "split_elements" in variants:
            # One element per interface, as a switch reports its ports.
            parts = [("eth0", 1.0), ("eth1", INTERFACE_SCALE["eth1"])]
        elif "duplicate_elements" in variants:
            parts = [(args.interface, scale), (args.interface, scale * 0.5)]
        else:
            parts = [(args.interface, scale)]
        return Reply(200, [
            self._element(service, args, name, part_scale, start, end, step, fault, variants)
            for name, part_scale in parts
        ])

    def _element(self, service: HvService, args: BandwidthArgs, interface: str, scale: float,
                 start: float, end: float, step: int, fault: Fault | None,
                 variants: set[str]) -> dict[str, Any]:
        """One ``Bandwidth`` element: metadata (legend, totals, args) and the rows."""
        rows = rows_for(service, start, end, step, scale)
        bits_in, bits_out = integral_bits(service.profile, start, end)
        config = self.sim.config
        with_time = config.timestamp_column or (fault is not None and fault.kind == "timestamp_column")
        legend, make_row = hv_variants.legend_and_row(variants, list(config.legend))
        rate_div = 8 if "rates_bytes" in variants else 1
        lead: list[str] = []
        if "date_column" in variants:
            lead.append("date")
        elif with_time:
            lead.append("time")
        if "interface_column" in variants:
            lead.append("interface")
        data: list[list[Any]] = []
        for t, in_bps, out_bps in rows:
            head: list[Any] = []
            if "date_column" in variants:
                head.append(iso_utc(t))
            elif with_time:
                head.append(t)
            if "interface_column" in variants:
                head.append(interface)
            data.append([*head, *make_row(round(in_bps / rate_div, 1), round(out_bps / rate_div, 1))])
        if fault is not None and fault.kind == "gaps":
            gap = math.nan if fault.gap_style == "nan" else None
            every = max(1, fault.every)
            keep = len(lead)
            for index in range(every - 1, len(data), every):
                data[index] = [*data[index][:keep], *([gap] * (len(data[index]) - keep))]
        args_echo: dict[str, Any] = {"period": args.period, "interface": args.interface,
                                     "step": args.step}
        if args.start is not None:
            args_echo["start"] = args.start
        if args.end is not None:
            args_echo["end"] = args.end
        if args.historical is not None:
            args_echo["historical"] = args.historical
        xfer_div = 8 if "totals_bytes" in variants else 1
        metadata: dict[str, Any] = {
            "start": rows[0][0] if rows else int(start),
            "end": rows[-1][0] + step if rows else int(end),
            "step": step,
            "legend": [*lead, *legend],
            "totals": {
                "In Xfer": round(bits_in * scale / xfer_div),
                "Out Xfer": round(bits_out * scale / xfer_div),
                "In 95th": round(percentile_95([r[1] for r in rows]) / rate_div, 2),
                "Out 95th": round(percentile_95([r[2] for r in rows]) / rate_div, 2),
            },
            "args": args_echo,
        }
        if fault is not None and fault.kind == "empty_metadata":
            metadata = {}
        return {
            "interface": interface,
            "switchId": service.switch_id,
            "metadata": metadata,
            "bandwidthData": data,
        }


def _status_fault(fault: Fault) -> tuple[int, Any, dict[str, str]]:
    code = fault.code
    message = fault.message or _DEFAULT_MESSAGES.get(code, f"HTTP {code}")
    body = fault.body if fault.body is not None else error_body(code, message)
    headers = {}
    if fault.retry_after_s is not None:
        headers["Retry-After"] = str(math.ceil(fault.retry_after_s))
    return code, body, headers
