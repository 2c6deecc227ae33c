"""Pure parsers of Hivelocity JSON bodies into the model. They raise only ProviderError(BAD_RESPONSE).

Rules (see "Decisions" in providers.md):
- ``legend`` columns are matched by name, case-insensitively: a time name (``time``, ``timestamp``,
  ``ts``) is the timestamp column; else the first starting with ``in`` is inbound, the first
  starting with ``out`` outbound. Both must be there. The names are settings
  (:class:`LegendRules`), never guessed.
- Rows without a time column are timed ``metadata.start + i*step``, or backwards from
  ``metadata.end``; without ``metadata.step`` such rows cannot be placed: bad_response.
- ``null``/NaN/inf, negative and absurd (> 1 Pbit/s) rates are gaps, never zeros.
- Several array elements (``interface=all``, or an API that splits interfaces): the element whose
  ``interface`` equals the requested one is used; if none matches, the elements are summed per
  timestamp (a timestamp is a gap only if every element has a gap there; 95th values are dropped
  because they do not add up).
- ``metadata.totals`` ``In Xfer``/``Out Xfer`` are bits over the window (→ bytes with ``// 8``);
  ``In 95th``/``Out 95th`` are bits per second. Negative or absurd totals are bad_response;
  null/NaN totals are gaps.
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass

from bwtui.model import ErrorKind, ProviderError, Resource, Sample, Series, Usage, finite_or_none

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
    """How legend names map to columns (case-insensitive)."""

    time_names: tuple[str, ...] = ("time", "timestamp", "ts")
    in_prefix: str = "in"
    out_prefix: str = "out"


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
    skipped: list[str]


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


def parse_devices(body: object, account: str) -> DeviceListing:
    """``GET /device/`` → one ``service`` Resource per device with a ``servicePlan``."""
    if not isinstance(body, list):
        raise bad("GET /device/ did not return a list of devices")
    resources: list[Resource] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for index, device in enumerate(body):
        if not isinstance(device, dict):
            skipped.append(f"entry {index}: not an object")
            continue
        device_id = _id_text(device.get("deviceId"))
        label = _text(device.get("name")) or _text(device.get("hostname"))
        service_id = _id_text(device.get("servicePlan"))
        if service_id is None:
            skipped.append(f"device {device_id or index}: no servicePlan")
            continue
        if service_id in seen:
            skipped.append(f"device {device_id or index}: service {service_id} listed twice")
            continue
        seen.add(service_id)
        location = device.get("location")
        facility = _text(location.get("facility")) if isinstance(location, dict) else None
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
            )
        )
    return DeviceListing(resources=resources, skipped=skipped)


# ---------------------------------------------------------------- bandwidth


def _elements(body: object, interface: str) -> list[dict[str, object]]:
    """The array elements to use (see module doc); bad_response for wrong shapes."""
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list) or not body:
        raise bad("the bandwidth answer is not a non-empty list")
    if not all(isinstance(item, dict) for item in body):
        raise bad("the bandwidth answer holds an entry that is not an object")
    if len(body) == 1:
        return body
    wanted = interface.lower()
    for item in body:
        name = item.get("interface")
        if isinstance(name, str) and name.lower() == wanted:
            return [item]
    return body


def _metadata(element: dict[str, object]) -> dict[str, object]:
    metadata = element.get("metadata")
    if not isinstance(metadata, dict) or not metadata:
        raise bad("the bandwidth answer has no metadata")
    return metadata


def _norm_key(key: str) -> str:
    return " ".join(key.replace("_", " ").lower().split())


def _total(totals: dict[str, object], name: str, *, maximum: float) -> float | None:
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
            if value > maximum:
                raise bad(f"metadata.totals {key!r} is implausibly large")
            return float(value)
    return None


def _totals(metadata: dict[str, object], *, required: bool) -> Totals | None:
    totals = metadata.get("totals")
    if not isinstance(totals, dict) or not totals:
        if required:
            raise bad("the bandwidth answer has no metadata.totals")
        return None
    return Totals(
        in_xfer_bits=_total(totals, "in xfer", maximum=MAX_TOTAL_BITS),
        out_xfer_bits=_total(totals, "out xfer", maximum=MAX_TOTAL_BITS),
        in_95th_bps=_total(totals, "in 95th", maximum=MAX_RATE_BPS),
        out_95th_bps=_total(totals, "out 95th", maximum=MAX_RATE_BPS),
    )


def _add(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _columns(legend: object, rules: LegendRules) -> tuple[int | None, int | None, int | None]:
    """Indices of (time, in, out) columns by name."""
    if not isinstance(legend, list) or not legend:
        raise bad("the bandwidth answer has no metadata.legend")
    time_names = {name.lower() for name in rules.time_names}
    time_col = in_col = out_col = None
    for index, entry in enumerate(legend):
        if not isinstance(entry, str):
            continue
        name = entry.strip().lower()
        if name in time_names:
            time_col = index if time_col is None else time_col
        elif name.startswith(rules.in_prefix.lower()):
            in_col = index if in_col is None else in_col
        elif name.startswith(rules.out_prefix.lower()):
            out_col = index if out_col is None else out_col
    if in_col is None or out_col is None:
        shown = ", ".join(repr(e) for e in legend[:8])
        missing = "inbound" if in_col is None else "outbound"
        raise bad(f"no {missing} column in metadata.legend [{shown}]"[:300])
    return time_col, in_col, out_col


def _epoch(value: object) -> float | None:
    number = finite_or_none(value)
    if number is None or not 0 <= number <= MAX_EPOCH_S:
        return None
    return number


def _step(metadata: dict[str, object]) -> int | None:
    step = finite_or_none(metadata.get("step"))
    if step is None or not 1 <= step <= MAX_STEP_S:
        return None
    return int(step)


def _rate(row: list[object], column: int | None) -> float | None:
    if column is None or column >= len(row):
        return None
    value = finite_or_none(row[column])
    if value is None or value < 0 or value > MAX_RATE_BPS:
        return None
    return value


def _element_samples(
    element: dict[str, object], metadata: dict[str, object], rules: LegendRules
) -> tuple[dict[float, tuple[float | None, float | None]], int | None]:
    """One element's rows as {t: (in_bps, out_bps)}, and its step."""
    time_col, in_col, out_col = _columns(metadata.get("legend"), rules)
    rows = element.get("bandwidthData")
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        raise bad("bandwidthData is not a list of rows")
    if len(rows) > MAX_SAMPLES:
        raise bad("bandwidthData has implausibly many rows")
    step = _step(metadata)
    start = end = None
    if time_col is None and rows:
        if step is None:
            raise bad("rows carry no time column and metadata.step is missing")
        start = _epoch(metadata.get("start"))
        end = _epoch(metadata.get("end"))
        if start is None and end is None:
            raise bad("rows carry no time column and metadata has neither start nor end")
    samples: dict[float, tuple[float | None, float | None]] = {}
    for index, row in enumerate(rows):
        if not isinstance(row, list):
            raise bad(f"bandwidthData row {index} is not a list")
        if time_col is not None:
            t = _epoch(row[time_col]) if time_col < len(row) else None
            if t is None:
                raise bad(f"bandwidthData row {index} has no valid timestamp")
        elif start is not None:
            t = start + index * step  # type: ignore[operator]
        else:
            t = end - (len(rows) - 1 - index) * step  # type: ignore[operator]
        samples[t] = (_rate(row, in_col), _rate(row, out_col))
    if step is None and len(samples) >= 2:
        times = sorted(samples)
        gaps = [b - a for a, b in zip(times, times[1:]) if b > a]
        guess = min(gaps) if gaps else None
        step = int(guess) if guess and 1 <= guess <= MAX_STEP_S else None
    return samples, step


def parse_series(
    body: object, *, interface: str, requested_step_s: int, rules: LegendRules | None = None
) -> Series:
    """A bandwidth answer → Series (rates in bits per second, 95th and window totals if given)."""
    rules = rules or LegendRules()
    elements = _elements(body, interface)
    merged: dict[float, tuple[float | None, float | None]] = {}
    step_s: int | None = None
    totals: list[Totals | None] = []
    for element in elements:
        metadata = _metadata(element)
        samples, step = _element_samples(element, metadata, rules)
        step_s = step_s or step
        totals.append(_totals(metadata, required=False))
        for t, (in_bps, out_bps) in samples.items():
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
    body: object, *, interface: str, now: float, period_start: float | None, source: str
) -> Usage:
    """A custom-window bandwidth answer → Usage from ``In Xfer``/``Out Xfer`` bits // 8."""
    elements = _elements(body, interface)
    totals = [_totals(_metadata(element), required=True) for element in elements]
    in_bytes, out_bytes = _sum_xfer(totals)
    if in_bytes is None and out_bytes is None:
        raise bad("metadata.totals has neither 'In Xfer' nor 'Out Xfer'")
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
    )


def parse_image(body: object, *, interface: str) -> bytes:
    """A bandwidth image answer (``[{"graphImage": base64 PNG}]``) → PNG bytes."""
    element = _elements(body, interface)[0]
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
