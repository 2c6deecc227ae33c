"""What Hivelocity's ``GET /service/`` states about each service's billing, read tolerantly.

The swagger gives the fields and their JSON types, not their meaning or values: ``lastRenew`` and
``renewDate`` are integers (epoch seconds, as Hivelocity's own WHMCS module formats
``renewDate`` with PHP's ``date()``), ``period`` and every ``bandwidthBilling`` field are free
strings. So every value is parsed only where it is unambiguous; anything else is left out of
:class:`~bwtui.model.BillingTerms` with a note saying what came and that the config decides
instead. A note is never a guess presented as fact.

``serviceDevices`` is read as the WHMCS module reads it (``serviceDevices[0]["id"]`` is the
device), tolerating the ``deviceId`` spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bwtui.model import BillingTerms
from bwtui.periods import add_months
from bwtui.text import printable

MIN_EPOCH_S = 946_684_800  # 2000-01-01: earlier (or relative) values are not believed
MAX_EPOCH_S = 4_102_444_800  # 2100-01-01: later (or millisecond) values are not believed
MONTH_S = (27 * 86400, 32 * 86400)
_LONG_PERIODS = ("quarter", "semi", "annual", "year", "bienn", "trienn", "month")
_BYTES = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15}
_AMOUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)b(?:ytes?)?\s*$", re.IGNORECASE)
_PRICE = re.compile(
    r"^\s*(?:usd\s*)?\$?\s*(\d+(?:\.\d+)?)\s*(?:usd)?\s*(?:/|per)\s*([gt])b\s*$", re.IGNORECASE
)
_TRANSFER_WORDS = ("transfer", "xfer", "total", "usage", "bandwidth", "data")
_PERCENTILE_WORDS = ("95", "percentile", "burst")


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    """One service of ``GET /service/``: its billing terms and the devices it runs on."""

    service_id: str
    terms: BillingTerms
    device_ids: tuple[str, ...]


def _shown(value: object) -> str:
    return printable(repr(value))[:60]


def _epoch(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, (int, float)) and MIN_EPOCH_S <= value <= MAX_EPOCH_S:
        return float(value)
    return None


def _id_text(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 < value < 10**18:
        return str(value)
    if isinstance(value, float) and value.is_integer() and 0 < value < 10**15:
        return str(int(value))
    if isinstance(value, str) and value.isascii() and value.isdigit() and 0 < len(value) <= 18:
        return str(int(value))
    return None


def device_ids(service: dict[str, object]) -> tuple[str, ...]:
    """``serviceDevices[*]["id"]`` (or ``deviceId``), first one first."""
    devices = service.get("serviceDevices")
    found: list[str] = []
    if isinstance(devices, list):
        for device in devices:
            if isinstance(device, dict):
                ident = _id_text(device.get("id"))
                ident = ident if ident is not None else _id_text(device.get("deviceId"))
                if ident is not None and ident not in found:
                    found.append(ident)
    return tuple(found)


def _cycle(service: dict[str, object], notes: list[str]) -> tuple[float | None, float | None]:
    """(start, end) of the bandwidth billing cycle the service states, or (None, None)."""
    raw_start, raw_end, period = service.get("lastRenew"), service.get("renewDate"), service.get("period")
    start, end = _epoch(raw_start), _epoch(raw_end)
    for name, raw, value in (("lastRenew", raw_start, start), ("renewDate", raw_end, end)):
        if raw is not None and value is None:
            notes.append(f"{name} {_shown(raw)} is not a time; the config decides the period")
    period_text = period.strip().lower() if isinstance(period, str) else ""
    if start is not None and end is not None and start < end:
        span = end - start
        if MONTH_S[0] <= span <= MONTH_S[1]:
            return start, end
        if span > MONTH_S[1]:
            notes.append(
                f"the service renews {_shown(period) if period else 'every ' + str(round(span / 86400)) + ' days'}; "
                "its bandwidth period is taken as monthly from lastRenew (unverified)"
            )
            return start, add_months(start, 1)
        notes.append(f"the service's period {_shown(period)} is shorter than a month; no monthly cycle stated; the config decides the period")
        return None, None
    if start is not None and end is not None:
        notes.append("renewDate is not after lastRenew; the config decides the period")
        return None, None
    if period_text and not any(word in period_text for word in _LONG_PERIODS):
        return None, None  # e.g. hourly: no monthly cycle to take from a single date
    if start is not None:
        notes.append("no renewDate: the period is taken as one month from lastRenew")
        return start, add_months(start, 1)
    if end is not None:
        notes.append("no lastRenew: the period is taken as the month before renewDate")
        return add_months(end, -1), end
    return None, None


def _bandwidth_billing(
    service: dict[str, object], notes: list[str]
) -> tuple[int | None, float | None]:
    """(allowance_out_bytes, overage_usd_per_gb) from ``bandwidthBilling`` where they parse."""
    billing = service.get("bandwidthBilling")
    if billing is None:
        return None, None
    if not isinstance(billing, dict):
        notes.append(f"bandwidthBilling {_shown(billing)} is not an object; allowance and price from the config")
        return None, None
    method = billing.get("billingMethod")
    if isinstance(method, str) and method.strip():
        lowered = method.lower()
        if any(word in lowered for word in _PERCENTILE_WORDS):
            notes.append(
                f"billingMethod {_shown(method)}: billed on the 95th percentile, so the transfer "
                "allowance and overage shown may not apply"
            )
        elif not any(word in lowered for word in _TRANSFER_WORDS):
            notes.append(f"billingMethod {_shown(method)} is not understood; allowance and price from the config")
    allowance = None
    included = billing.get("includedTransferUnit")
    if isinstance(included, (int, float)) and not isinstance(included, bool):
        notes.append(f"includedTransferUnit {_shown(included)} names no unit; the allowance comes from the config")
    elif isinstance(included, str) and included.strip():
        match = _AMOUNT.match(included)
        if match:
            allowance = round(float(match.group(1)) * _BYTES[match.group(2).lower()])
        else:
            notes.append(f"includedTransferUnit {_shown(included)} names no amount bwtui can read; the allowance comes from the config")
    price = None
    overage = billing.get("overageUnit")
    if isinstance(overage, str) and overage.strip():
        match = _PRICE.match(overage)
        if match:
            per = 1.0 if match.group(2).lower() == "g" else 1 / 1000
            price = float(match.group(1)) * per
        elif overage.strip().lower() not in ("gb", "per gb", "/gb"):
            notes.append(f"overageUnit {_shown(overage)} is not a price per GB bwtui can read; the price comes from the config")
    return allowance, price


def service_facts(service: dict[str, object]) -> ServiceFacts | None:
    """One ``FastService-dump`` read; None without a usable ``serviceId``."""
    service_id = _id_text(service.get("serviceId"))
    if service_id is None:
        return None
    notes: list[str] = []
    start, end = _cycle(service, notes)
    allowance, price = _bandwidth_billing(service, notes)
    if allowance is not None and not 0 < allowance <= 10**18:
        notes.append("includedTransferUnit is out of range; the allowance comes from the config")
        allowance = None
    if notes:
        notes = [f"GET /service/: {note}" for note in notes]
    terms = BillingTerms(
        period_start=start if end is not None else None,
        period_end=end if start is not None else None,
        allowance_out_bytes=allowance,
        overage_usd_per_gb=price,
        notes=tuple(notes),
    )
    return ServiceFacts(service_id, terms, device_ids(service))


def parse_services(body: object) -> dict[str, ServiceFacts]:
    """``GET /service/`` (a list) → facts by service id; entries it cannot read are left out."""
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        body = body["data"]
    if not isinstance(body, list):
        return {}
    found: dict[str, ServiceFacts] = {}
    for item in body:
        if isinstance(item, dict):
            facts = service_facts(item)
            if facts is not None and facts.service_id not in found:
                found[facts.service_id] = facts
    return found
