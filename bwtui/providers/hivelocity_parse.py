"""Pure parsers of Hivelocity JSON bodies into the model. They raise only ProviderError(BAD_RESPONSE).

Rules (see "Decisions" in providers.md); every name and unit below is a per-account setting:
- ``legend`` columns are matched by name, case-insensitively: a time name (``time``,
  ``timestamp``, ``ts``, ``date``, ``datetime``) is the timestamp column (epoch seconds or
  ISO-8601); an ``interface`` column names each row's interface; names starting with ``in`` are
  inbound, with ``out`` outbound. Of several inbound (or outbound) columns, the one naming the
  requested interface (``In eth0``), else the one naming an average (``In Avg``), else the bare
  ``In`` beside other statistics (``In Max``); otherwise bad_response: a legend with more in/out
  columns than meant is never "first one wins".
- Rows without a time column are timed ``metadata.start + i*step``, or backwards from
  ``metadata.end``; without ``metadata.step`` such rows cannot be placed: bad_response. Two rows
  at the same time (not an ``interface=all`` sum) are bad_response.
- ``null``/NaN/inf, negative and absurd (> 1 Pbit/s) rates are gaps, never zeros.
- Several array elements: the one whose ``interface`` is the requested one; several named so, or
  none (unless ``all`` was asked, where distinct interfaces are added up on purpose), is a
  bad_response listing what came back: private traffic never counts towards overage silently.
- ``metadata.totals`` ``In Xfer``/``Out Xfer`` are bits over the window (→ bytes with ``// 8``);
  ``In 95th``/``Out 95th`` and rows are bits per second (``UnitRules`` can say bytes). Negative or
  absurd totals are bad_response; null/NaN totals are gaps. Each element's totals are compared
  with Σ(rate × step) over its rows (:mod:`bwtui.providers.hivelocity_units`).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bwtui.model import (
    BillingTerms,
    DataWarning,
    ErrorKind,
    ProviderError,
    Resource,
    Sample,
    Series,
    SkippedItem,
    Usage,
    finite_or_none,
)
from bwtui.providers.hivelocity_services import ServiceFacts
from bwtui.providers.hivelocity_units import UnitsEvidence, units_warnings

MAX_RATE_BPS = 1e15  # 1 Pbit/s: no single port does more; above is garbage → gap
MAX_TOTAL_BITS = 8 * 10**21  # 1 ZB over a window: above is garbage → bad_response
MAX_EPOCH_S = 4_102_444_800  # 2100-01-01: later (or millisecond) timestamps are not believed
MAX_STEP_S = 366 * 86_400
MAX_SAMPLES = 200_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def bad(message: str) -> ProviderError:
    """The one error these parsers raise."""
    return ProviderError(ErrorKind.BAD_RESPONSE, message)


@dataclass(frozen=True, slots=True)
class LegendRules:
    """How legend names map to columns (case-insensitive; a per-account setting)."""

    time_names: tuple[str, ...] = ("time", "timestamp", "ts", "date", "datetime")
    in_prefix: str = "in"
    out_prefix: str = "out"
    interface_names: tuple[str, ...] = ("interface", "iface")


UNIT_NAMES = ("bits", "bytes")


@dataclass(frozen=True, slots=True)
class UnitRules:
    """What unit the answer's numbers are in (a per-account setting; bits is today's rule).

    ``totals``: ``In/Out Xfer`` (bits or bytes over the window); ``rates``: every
    ``bandwidthData`` value and the 95th values (bits or bytes per second).
    """

    totals: str = "bits"
    rates: str = "bits"

    def __post_init__(self) -> None:
        for value in (self.totals, self.rates):
            if value not in UNIT_NAMES:
                raise ValueError(f"unit {value!r} must be 'bits' or 'bytes'")

    @property
    def totals_factor(self) -> int:
        return 8 if self.totals == "bytes" else 1

    @property
    def rates_factor(self) -> int:
        return 8 if self.rates == "bytes" else 1

    def describe(self) -> str:
        return f"read as totals_unit = {self.totals!r}, rates_unit = {self.rates!r}"


@dataclass(frozen=True, slots=True)
class Totals:
    """``metadata.totals`` of one window; None is a gap."""

    in_xfer_bits: float | None
    out_xfer_bits: float | None
    in_95th_bps: float | None
    out_95th_bps: float | None


@dataclass(frozen=True, slots=True)
class DeviceListing:
    """What ``GET /device/`` gave: one Resource per service, and devices left out (with why)."""

    resources: list[Resource]
    skipped: list[SkippedItem]


# ---------------------------------------------------------------- devices


def _id_text(value: object) -> str | None:
    """A positive integer id as text (int or digit string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 < value < 10**18:
        return str(value)
    if isinstance(value, float) and value.is_integer() and 0 < value < 10**15:
        return str(int(value))
    if isinstance(value, str) and value.isascii() and value.isdigit() and 0 < len(value) <= 18:
        return str(int(value))
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def parse_devices(
    body: object,
    account: str,
    services: dict[str, ServiceFacts] | None = None,
    services_problem: str | None = None,
) -> DeviceListing:
    """``GET /device/`` → one ``service`` Resource per device with a service.

    The service is the device's ``servicePlan``, else the service of ``GET /service/`` whose
    ``serviceDevices[0]["id"]`` is the device. Each resource carries that service's billing terms
    (``services``); ``services_problem`` (why ``GET /service/`` could not be read) is noted on each
    resource instead. Devices without a service are listed in ``skipped`` with the reason.
    """
    if not isinstance(body, list):
        raise bad("GET /device/ did not return a list of devices")
    services = services or {}
    by_device: dict[str, str] = {}
    for facts in services.values():
        if facts.device_ids:
            by_device.setdefault(facts.device_ids[0], facts.service_id)
    resources: list[Resource] = []
    skipped: list[SkippedItem] = []
    seen: set[str] = set()
    for index, device in enumerate(body):
        if not isinstance(device, dict):
            skipped.append(SkippedItem(f"#{index}", None, "not a device object"))
            continue
        device_id = _id_text(device.get("deviceId"))
        label = _text(device.get("name")) or _text(device.get("hostname"))
        service_id = _id_text(device.get("servicePlan"))
        if service_id is None and device_id is not None:
            service_id = by_device.get(device_id)
        who = device_id or f"#{index}"
        if service_id is None:
            skipped.append(SkippedItem(who, label, "no servicePlan and no service lists it"))
            continue
        if service_id in seen:
            skipped.append(SkippedItem(who, label, f"service {service_id} is listed twice"))
            continue
        seen.add(service_id)
        location = device.get("location")
        facility = _text(location.get("facility")) if isinstance(location, dict) else None
        facts = services.get(service_id)
        billing = facts.terms if facts is not None else None
        if billing is None and services_problem:
            billing = BillingTerms(notes=(services_problem,))
        resources.append(
            Resource(
                account=account,
                provider="hivelocity",
                kind="service",
                id=service_id,
                name=label or f"service {service_id}",
                location=facility,
                hostname=_text(device.get("hostname")),
                device_id=device_id,
                billing=billing,
            )
        )
    return DeviceListing(resources=resources, skipped=skipped)


# ---------------------------------------------------------------- bandwidth


def _element_name(item: dict[str, object]) -> str | None:
    name = item.get("interface")
    return name.strip().lower() if isinstance(name, str) and name.strip() else None


def _elements(body: object, interface: str, *, first_if_unmatched: bool = False) -> list[dict[str, object]]:
    """The answer elements that hold the requested interface (see module doc).

    One element is used as it is. Of several, the one named like the request; several named
    alike, or none named so, is a bad_response that lists what came back. ``all`` takes every
    element when their names are distinct (one per interface, to be added up on purpose).
    """
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list) or not body:
        raise bad("the bandwidth answer is not a non-empty list")
    if not all(isinstance(item, dict) for item in body):
        raise bad("the bandwidth answer holds an entry that is not an object")
    if len(body) == 1:
        return body
    wanted = interface.lower()
    names = [_element_name(item) for item in body]
    shown = ", ".join(repr(n) if n else "(unnamed)" for n in names[:8])
    matches = [item for item, name in zip(body, names) if name == wanted]
    if len(matches) == 1:
        return matches
    if len(matches) > 1:
        raise bad(f"the answer holds {len(matches)} elements for interface {interface!r} "
                  f"({shown}); bwtui will not add them up into billing")
    if first_if_unmatched:
        return body[:1]
    if wanted == "all" and None not in names and len(set(names)) == len(names):
        return body
    raise bad(f"asked for interface {interface!r}, the answer holds {len(body)} elements "
              f"({shown}); none is {interface!r}. Fix: set interface to the one to bill in the "
              "account's config")


def _metadata(element: dict[str, object]) -> dict[str, object]:
    metadata = element.get("metadata")
    if not isinstance(metadata, dict) or not metadata:
        raise bad("the bandwidth answer has no metadata")
    return metadata


def _norm_key(key: str) -> str:
    return " ".join(key.replace("_", " ").lower().split())


def _total(totals: dict[str, object], name: str, *, maximum: float, factor: int = 1) -> float | None:
    for key, value in totals.items():
        if isinstance(key, str) and _norm_key(key) == name:
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad(f"metadata.totals {key!r} is not a number")
            if isinstance(value, float) and not math.isfinite(value):
                return None
            if value < 0:
                raise bad(f"metadata.totals {key!r} is negative")
            if value * factor > maximum:
                raise bad(f"metadata.totals {key!r} is implausibly large")
            return float(value) * factor
    return None


def _totals(metadata: dict[str, object], units: UnitRules, *, required: bool) -> Totals | None:
    totals = metadata.get("totals")
    if not isinstance(totals, dict) or not totals:
        if required:
            raise bad("the bandwidth answer has no metadata.totals")
        return None
    xfer, rate = units.totals_factor, units.rates_factor
    return Totals(
        in_xfer_bits=_total(totals, "in xfer", maximum=MAX_TOTAL_BITS, factor=xfer),
        out_xfer_bits=_total(totals, "out xfer", maximum=MAX_TOTAL_BITS, factor=xfer),
        in_95th_bps=_total(totals, "in 95th", maximum=MAX_RATE_BPS, factor=rate),
        out_95th_bps=_total(totals, "out 95th", maximum=MAX_RATE_BPS, factor=rate),
    )


def _add(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


@dataclass(frozen=True, slots=True)
class Columns:
    """Where each thing is in a row (None: not there)."""

    time: int | None
    inbound: int
    outbound: int
    interface: int | None


_WORD = re.compile(r"[a-z0-9]+")
_AVERAGE_WORDS = {"avg", "average", "mean"}
_STAT_WORDS = {"max", "maximum", "min", "minimum", "peak", "95th", "p95", "last"}


def _pick(candidates: list[tuple[int, str]], prefix: str, interface: str) -> int | None:
    """Of several columns for one direction, the one meant, or None when it cannot be told.

    First those that name the requested interface (``In eth0`` for ``eth0``), then the one that
    names an average (``In Avg`` over ``In Max``), then the bare name when every other one names
    another statistic (``In`` over ``In Max``). Anything else is not guessed.
    """
    if len(candidates) == 1:
        return candidates[0][0]
    named = [c for c in candidates if interface.lower() in _WORD.findall(c[1])]
    if len(named) == 1:
        return named[0][0]
    pool = named or candidates
    average = [c for c in pool if _AVERAGE_WORDS & set(_WORD.findall(c[1]))]
    if len(average) == 1:
        return average[0][0]
    bare = [c for c in pool if c[1] == prefix.lower()]
    others = [c for c in pool if c not in bare]
    if len(bare) == 1 and all(_STAT_WORDS & set(_WORD.findall(c[1])) for c in others):
        return bare[0][0]
    return None


def _columns(legend: object, rules: LegendRules, interface: str) -> Columns:
    """Indices of the time, in, out and interface columns, by name (see module doc)."""
    if not isinstance(legend, list) or not legend:
        raise bad("the bandwidth answer has no metadata.legend")
    time_names = {name.lower() for name in rules.time_names}
    iface_names = {name.lower() for name in rules.interface_names}
    time_col = iface_col = None
    ins: list[tuple[int, str]] = []
    outs: list[tuple[int, str]] = []
    for index, entry in enumerate(legend):
        if not isinstance(entry, str):
            continue
        name = " ".join(entry.strip().lower().split())
        if name in time_names:
            time_col = index if time_col is None else time_col
        elif name in iface_names:
            iface_col = index if iface_col is None else iface_col
        elif name.startswith(rules.in_prefix.lower()):
            ins.append((index, name))
        elif name.startswith(rules.out_prefix.lower()):
            outs.append((index, name))
    shown = ", ".join(repr(e) for e in legend[:8])
    if not ins or not outs:
        missing = "inbound" if not ins else "outbound"
        raise bad(f"no {missing} column in metadata.legend [{shown}]"[:300])
    in_col = _pick(ins, rules.in_prefix, interface)
    out_col = _pick(outs, rules.out_prefix, interface)
    if in_col is None or out_col is None:
        extra = ins if in_col is None else outs
        raise bad((f"metadata.legend [{shown}] has {len(extra)} "
                   f"{'inbound' if in_col is None else 'outbound'} columns for interface "
                   f"{interface!r} and bwtui cannot tell which one to use. Fix: set the account's "
                   "legend_in / legend_out to the column's name")[:400])
    return Columns(time_col, in_col, out_col, iface_col)


def _epoch(value: object) -> float | None:
    if isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            number = None
            try:
                number = float(text) if text.replace(".", "", 1).isdigit() else None
            except ValueError:
                number = None
            return _epoch(number) if number is not None else None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        value = moment.timestamp()
    number = finite_or_none(value)
    if number is None or not 0 <= number <= MAX_EPOCH_S:
        return None
    return number


def _step(metadata: dict[str, object]) -> int | None:
    step = finite_or_none(metadata.get("step"))
    if step is None or not 1 <= step <= MAX_STEP_S:
        return None
    return int(step)


def _rate(value: object, factor: int) -> float | None:
    """A row's rate in bits/s, or None (a gap) for anything not a plausible rate.

    JSON's floats skip :func:`finite_or_none`: NaN fails ``>= 0`` and infinity the ceiling, so
    the answer is the same (it runs for every row of every series the poller reads)."""
    number = value if type(value) is float else finite_or_none(value)
    if number is None or not number >= 0:
        return None
    number *= factor
    return None if number > MAX_RATE_BPS else number


@dataclass(slots=True)
class _Element:
    """One answer element read: {t: (in_bps, out_bps)}, its step, totals and the rows' span."""

    samples: dict[float, tuple[float | None, float | None]]
    step: int | None
    totals: Totals | None
    span_s: float | None


def _rows_for_interface(rows: list[object], column: int | None, interface: str,
                        has_time: bool) -> list[object]:
    """Rows of the requested interface when a leading ``interface`` column mixes several."""
    if column is None:
        return rows
    values = {str(row[column]).strip().lower() for row in rows
              if isinstance(row, list) and column < len(row)}
    if len(values) <= 1:
        return rows
    wanted = interface.lower()
    chosen = [row for row in rows if isinstance(row, list) and column < len(row)
              and str(row[column]).strip().lower() == wanted]
    if chosen:
        return chosen
    shown = ", ".join(sorted(repr(v) for v in values)[:6])
    if wanted == "all" and has_time:
        return rows  # one row per interface and time: added up per time below, on purpose
    raise bad(f"the rows' interface column holds {shown}; none is {interface!r}. Fix: set "
              "interface to the one to bill in the account's config")


def _read_element(element: dict[str, object], rules: LegendRules, units: UnitRules,
                  interface: str, *, totals_required: bool) -> _Element:
    """One element's rows, step and totals (raises bad_response for shapes it cannot trust)."""
    metadata = _metadata(element)
    totals = _totals(metadata, units, required=totals_required)
    cols = _columns(metadata.get("legend"), rules, interface)
    rows = element.get("bandwidthData")
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        raise bad("bandwidthData is not a list of rows")
    if len(rows) > MAX_SAMPLES:
        raise bad("bandwidthData has implausibly many rows")
    rows = _rows_for_interface(rows, cols.interface, interface, cols.time is not None)
    summing = cols.interface is not None and interface.lower() == "all" and len(
        {str(r[cols.interface]).lower() for r in rows if isinstance(r, list) and cols.interface < len(r)}) > 1
    step = _step(metadata)
    start = _epoch(metadata.get("start"))
    end = _epoch(metadata.get("end"))
    if cols.time is None and rows:
        if step is None:
            raise bad("rows carry no time column and metadata.step is missing")
        if start is None and end is None:
            raise bad("rows carry no time column and metadata has neither start nor end")
    samples: dict[float, tuple[float | None, float | None]] = {}
    time_col, in_col, out_col = cols.time, cols.inbound, cols.outbound
    factor = units.rates_factor
    for index, row in enumerate(rows):
        if not isinstance(row, list):
            raise bad(f"bandwidthData row {index} is not a list")
        size = len(row)
        if time_col is not None:
            t = _epoch(row[time_col]) if time_col < size else None
            if t is None:
                raise bad(f"bandwidthData row {index} has no valid timestamp")
        elif start is not None:
            t = start + index * step  # type: ignore[operator]
        else:
            t = end - (len(rows) - 1 - index) * step  # type: ignore[operator]
        rates = (_rate(row[in_col], factor) if in_col < size else None,
                 _rate(row[out_col], factor) if out_col < size else None)
        if t in samples:
            if not summing:
                raise bad(f"bandwidthData rows share the time {t:.0f}: the rows do not say which "
                          "interface or statistic each one is")
            old = samples[t]
            rates = (_add(old[0], rates[0]), _add(old[1], rates[1]))
        samples[t] = rates
    if step is None and len(samples) >= 2:
        times = sorted(samples)
        gaps = [b - a for a, b in zip(times, times[1:]) if b > a]
        guess = min(gaps) if gaps else None
        step = int(guess) if guess and 1 <= guess <= MAX_STEP_S else None
    span = end - start if start is not None and end is not None and end > start else None
    return _Element(samples, step, totals, span)


def _units_check(element: _Element, units: UnitRules, where: str) -> tuple[DataWarning, ...]:
    if element.totals is None:
        return ()
    rows = [element.samples[t] for t in sorted(element.samples)]
    evidence = (
        UnitsEvidence("In", element.totals.in_xfer_bits, tuple(r[0] for r in rows), element.step, element.span_s),
        UnitsEvidence("Out", element.totals.out_xfer_bits, tuple(r[1] for r in rows), element.step, element.span_s),
    )
    return units_warnings(evidence, where=where, settings=units.describe())


def parse_series(
    body: object,
    *,
    interface: str,
    requested_step_s: int,
    rules: LegendRules | None = None,
    units: UnitRules | None = None,
) -> Series:
    """A bandwidth answer → Series (rates in bits per second, 95th and window totals if given).

    Every element's totals are cross-checked against its rates (``Series.warnings``).
    """
    rules = rules or LegendRules()
    units = units or UnitRules()
    elements = _elements(body, interface)
    merged: dict[float, tuple[float | None, float | None]] = {}
    step_s: int | None = None
    totals: list[Totals | None] = []
    warnings: list[DataWarning] = []
    for item in elements:
        element = _read_element(item, rules, units, interface, totals_required=False)
        step_s = step_s or element.step
        totals.append(element.totals)
        label = _element_name(item) or interface
        warnings.extend(w for w in _units_check(element, units, f"series ({label})") if w not in warnings)
        if not merged:  # the usual single element: adding to nothing changes nothing
            merged.update(element.samples)
            continue
        for t, (in_bps, out_bps) in element.samples.items():
            old_in, old_out = merged.get(t, (None, None))
            merged[t] = (_add(old_in, in_bps), _add(old_out, out_bps))
    window_in, window_out = _sum_xfer(totals)
    single = totals[0] if len(totals) == 1 else None
    return Series(
        step_s=step_s or requested_step_s,
        samples=tuple(Sample(t, i, o) for t, (i, o) in sorted(merged.items())),
        in_95th_bps=single.in_95th_bps if single else None,
        out_95th_bps=single.out_95th_bps if single else None,
        window_in_bytes=window_in,
        window_out_bytes=window_out,
        warnings=tuple(warnings),
    )


def _sum_xfer(totals: list[Totals | None]) -> tuple[int | None, int | None]:
    in_bits = out_bits = None
    for item in totals:
        if item is not None:
            in_bits = _add(in_bits, item.in_xfer_bits)
            out_bits = _add(out_bits, item.out_xfer_bits)
    return (
        int(in_bits) // 8 if in_bits is not None else None,
        int(out_bits) // 8 if out_bits is not None else None,
    )


def parse_usage(
    body: object,
    *,
    interface: str,
    now: float,
    period_start: float | None,
    source: str,
    rules: LegendRules | None = None,
    units: UnitRules | None = None,
) -> Usage:
    """A custom-window bandwidth answer → Usage from ``In Xfer``/``Out Xfer`` (bits // 8).

    The rows of the same answer cross-check the totals' units (``Usage.warnings``); rows that
    cannot be read leave the totals standing and skip that check.
    """
    rules = rules or LegendRules()
    units = units or UnitRules()
    elements = _elements(body, interface)
    totals = [_totals(_metadata(element), units, required=True) for element in elements]
    in_bytes, out_bytes = _sum_xfer(totals)
    if in_bytes is None and out_bytes is None:
        raise bad("metadata.totals has neither 'In Xfer' nor 'Out Xfer'")
    warnings: list[DataWarning] = []
    for item in elements:
        try:
            element = _read_element(item, rules, units, interface, totals_required=True)
        except ProviderError:
            continue
        label = _element_name(item) or interface
        warnings.extend(w for w in _units_check(element, units, f"period totals ({label})") if w not in warnings)
    as_of = now
    if len(elements) == 1:
        end = _epoch(_metadata(elements[0]).get("end"))
        if end is not None and (period_start is None or end >= period_start):
            as_of = min(end, now)
    return Usage(
        period_in_bytes=in_bytes,
        period_out_bytes=out_bytes,
        as_of=as_of,
        period_start=period_start,
        source=source,
        warnings=tuple(warnings),
    )


def parse_image(body: object, *, interface: str) -> bytes:
    """A bandwidth image answer (``[{"graphImage": base64 PNG}]``) → PNG bytes."""
    element = _elements(body, interface, first_if_unmatched=True)[0]
    encoded = element.get("graphImage")
    if not isinstance(encoded, str) or not encoded:
        raise bad("the image answer has no graphImage")
    if encoded.startswith("data:"):
        encoded = encoded.partition(",")[2]
    try:
        png = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise bad("graphImage is not valid base64") from None
    if not png.startswith(PNG_SIGNATURE):
        raise bad("graphImage is not a PNG image")
    return png
