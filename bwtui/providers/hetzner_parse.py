"""Hetzner Cloud answers → the model. Pure functions; they raise only ProviderError(BAD_RESPONSE).

Shapes follow Hetzner's OpenAPI description (``specs/hetzner-cloud-subset.json``): ``GET
/servers`` → ``{"servers": [...], "meta": {"pagination": {...}}}``; ``GET /servers/{id}`` →
``{"server": {...}}``; ``GET /servers/{id}/metrics`` → ``{"metrics": {"step", "time_series":
{"network.0.bandwidth.in": {"values": [[epoch, "bytes/s"], ...]}, ...}}}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bwtui.model import BillingTerms, Resource, Sample, Series, Usage
from bwtui.providers.parsing import bad, byte_counter, text_or_none

IN_SERIES = "network.0.bandwidth.in"
OUT_SERIES = "network.0.bandwidth.out"
GB = 10**9




def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value



@dataclass(frozen=True, slots=True)
class PriceRules:
    """How to read ``price_per_tb_traffic``: which figure, what a "TB" is, which currency."""

    kind: str = "net"  # "net" or "gross" (with VAT)
    tb_bytes: int = 2**40  # Hetzner's included 20 TB is 21,990,232,555,520 bytes: a TiB [I]
    currency: str = "EUR"  # Hetzner Cloud prices in EUR unless the project says otherwise [I]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the server list and where the pagination says to go next."""

    resources: list[Resource]
    page: int | None
    next_page: object  # as sent: None on the last page, else (should be) a larger int
    last_page: int | None


def _price_per_gb(server_type: object, location: str | None, rules: PriceRules) -> tuple[float | None, str | None]:
    """(price per 10^9 bytes, note) for the server's location; note says why there is none."""
    if not isinstance(server_type, dict):
        return None, "the server has no server_type, so no traffic price"
    prices = server_type.get("prices")
    if not isinstance(prices, list):
        return None, "the server type lists no prices"
    for entry in prices:
        if not isinstance(entry, dict) or entry.get("location") != location:
            continue
        per_tb = entry.get("price_per_tb_traffic")
        raw = per_tb.get(rules.kind) if isinstance(per_tb, dict) else None
        try:
            price = Decimal(str(raw)) if isinstance(raw, (str, int, float)) else None
        except InvalidOperation:
            price = None
        if price is None or not price.is_finite() or price < 0:
            return None, f"price_per_tb_traffic.{rules.kind} {raw!r} is not a price; set overage_usd_per_gb"
        return float(price * GB / rules.tb_bytes), None
    return None, f"the server type has no price for location {location!r}"


def parse_server(item: dict[str, object], account: str, rules: PriceRules) -> Resource | None:
    """One ``server`` object → a ``server`` Resource with the billing facts it states."""
    server_id = _int(item.get("id"))
    if server_id is None or server_id < 0:
        return None
    location_obj = item.get("location")
    location = text_or_none(location_obj.get("name")) if isinstance(location_obj, dict) else None
    notes: list[str] = []
    included = item.get("included_traffic")
    allowance = _int(included)
    if included is not None and (allowance is None or allowance < 0):
        notes.append(f"included_traffic {included!r} is not a byte count; using the config")
        allowance = None
    per_gb, note = _price_per_gb(item.get("server_type"), location, rules)
    if note:
        notes.append(note)
    usd = rules.currency.upper() == "USD"
    billing = BillingTerms(
        allowance_out_bytes=allowance,
        overage_usd_per_gb=per_gb if usd else None,
        overage_price_per_gb=per_gb,
        currency=rules.currency.upper() if per_gb is not None else None,
        notes=tuple(notes),
    )
    return Resource(
        account=account,
        provider="hetzner",
        kind="server",
        id=str(server_id),
        name=text_or_none(item.get("name")) or str(server_id),
        location=location,
        billing=billing,
    )


def parse_servers_page(body: object, account: str, rules: PriceRules) -> Page:
    """``GET /servers`` → a Page. Entries without a usable ``id`` are skipped."""
    if not isinstance(body, dict) or not isinstance(body.get("servers"), list):
        raise bad("the server list has no 'servers' array")
    resources = [
        resource
        for item in body["servers"]
        if isinstance(item, dict) and (resource := parse_server(item, account, rules)) is not None
    ]
    meta = body.get("meta")
    pagination = meta.get("pagination") if isinstance(meta, dict) else None
    if not isinstance(pagination, dict):
        return Page(resources, None, None, None)
    return Page(resources, _int(pagination.get("page")), pagination.get("next_page"),
                _int(pagination.get("last_page")))


def parse_server_usage(body: object, *, as_of: float, source: str) -> Usage:
    """``GET /servers/{id}`` → the billing period's traffic counters (null stays None)."""
    server = body.get("server") if isinstance(body, dict) else None
    if not isinstance(server, dict):
        raise bad("the answer has no 'server' object")
    if "outgoing_traffic" not in server and "ingoing_traffic" not in server:
        raise bad("the server has neither outgoing_traffic nor ingoing_traffic")
    return Usage(
        period_in_bytes=byte_counter(server, "ingoing_traffic"),
        period_out_bytes=byte_counter(server, "outgoing_traffic"),
        as_of=as_of,
        source=source,
    )


def _rate(value: object) -> float | None:
    """A ``"123.4"`` bytes/s value (or a number) as bits/s; anything else is a gap."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, (int, float, str)) else math.nan
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return number * 8.0


def _points(time_series: dict[str, object], name: str) -> dict[float, float | None] | None:
    entry = time_series.get(name)
    if entry is None:
        return None
    values = entry.get("values") if isinstance(entry, dict) else None
    if not isinstance(values, list):
        raise bad(f"{name} has no 'values' list")
    points: dict[float, float | None] = {}
    for row in values:
        if not isinstance(row, list) or len(row) < 2:
            continue
        t = row[0]
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
            continue
        points[float(t)] = _rate(row[1])
    return points


def parse_metrics(body: object, *, requested_step_s: int) -> Series:
    """``GET /servers/{id}/metrics?type=network`` → a Series in bits/s (bytes/s × 8)."""
    metrics = body.get("metrics") if isinstance(body, dict) else None
    if not isinstance(metrics, dict):
        raise bad("the answer has no 'metrics' object")
    time_series = metrics.get("time_series")
    if not isinstance(time_series, dict):
        raise bad("the metrics have no 'time_series' object")
    ins = _points(time_series, IN_SERIES)
    outs = _points(time_series, OUT_SERIES)
    if ins is None and outs is None:
        raise bad(f"the metrics hold neither {IN_SERIES} nor {OUT_SERIES}")
    ins, outs = ins or {}, outs or {}
    step = _int(metrics.get("step"))
    samples = tuple(
        Sample(t, ins.get(t), outs.get(t)) for t in sorted(set(ins) | set(outs))
    )
    return Series(step_s=step if step is not None and step > 0 else requested_step_s, samples=samples)
