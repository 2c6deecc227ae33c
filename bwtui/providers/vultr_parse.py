"""Vultr API v2 answers → the model. Pure functions; they raise only ProviderError(BAD_RESPONSE).

Shapes follow Vultr's OpenAPI description (``specs/vultr-subset.json``): ``GET /instances`` →
``{"instances": [...], "meta": {"total", "links": {"next", "prev"}}}``; ``GET
/instances/{id}/bandwidth`` → ``{"bandwidth": {"YYYY-MM-DD": {"incoming_bytes",
"outgoing_bytes"}}}``, one entry per UTC day, refreshed periodically (not real time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from bwtui.model import BillingTerms, Resource, Sample, Series, Usage
from bwtui.providers.parsing import MAX_COUNTER_BYTES, bad, text_or_none

DAY_S = 86400
MIN_DAY_ELAPSED_S = 60.0  # today's average needs at least this much of the day behind it
POOL = "account"  # Vultr pools bandwidth across an account's instances




@dataclass(frozen=True, slots=True)
class Page:
    """One page of the instance list and the cursor of the next ("" or None: the last)."""

    resources: list[Resource]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Day:
    """One UTC day's traffic as Vultr reports it."""

    start: float
    in_bytes: int | None
    out_bytes: int | None


def parse_instance(item: dict[str, object], account: str, gb_bytes: int) -> Resource | None:
    """One ``instance`` → an ``instance`` Resource; ``allowed_bandwidth`` (GB a month) as bytes."""
    instance_id = text_or_none(item.get("id"))
    if instance_id is None or instance_id in (".", "..") or len(instance_id) > 200:
        return None
    allowed = item.get("allowed_bandwidth")
    notes: tuple[str, ...] = ()
    allowance: int | None = None
    if isinstance(allowed, (int, float)) and not isinstance(allowed, bool) and math.isfinite(allowed) and allowed >= 0:
        allowance = int(allowed * gb_bytes)
    elif allowed is not None:
        notes = (f"allowed_bandwidth {allowed!r} is not a number of GB; using the config",)
    return Resource(
        account=account,
        provider="vultr",
        kind="instance",
        id=instance_id,
        name=text_or_none(item.get("label")) or text_or_none(item.get("hostname")) or instance_id,
        location=text_or_none(item.get("region")),
        hostname=text_or_none(item.get("hostname")),
        billing=BillingTerms(allowance_out_bytes=allowance, notes=notes, pool=POOL),
        rate_basis="daily_average",
    )


def parse_instances_page(body: object, account: str, gb_bytes: int = 10**9) -> Page:
    """``GET /instances`` → a Page. Entries without a usable ``id`` are skipped."""
    if not isinstance(body, dict) or not isinstance(body.get("instances"), list):
        raise bad("the instance list has no 'instances' array")
    resources = [
        resource
        for item in body["instances"]
        if isinstance(item, dict) and (resource := parse_instance(item, account, gb_bytes)) is not None
    ]
    meta = body.get("meta")
    links = meta.get("links") if isinstance(meta, dict) else None
    following = links.get("next") if isinstance(links, dict) else None
    if following is not None and not isinstance(following, str):
        raise bad("meta.links.next is not a string")
    return Page(resources, following or None)


def _counter(data: dict[str, object], key: str, day: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise bad(f"{key} of {day} is not a number")
    if value < 0 or value > MAX_COUNTER_BYTES:
        raise bad(f"{key} of {day} is out of range")
    return int(value)


def day_start(key: str) -> float:
    """Midnight UTC of a ``YYYY-MM-DD`` day as epoch seconds; ValueError when it is no date.

    The usual zero-padded key is read without ``strptime`` (ten times slower, and its first use
    imports ``_strptime`` on the poll thread); any other key is left to ``strptime`` as before.
    """
    if len(key) == 10 and key[4] == key[7] == "-" and key.isascii():
        year, month, day = key[:4], key[5:7], key[8:]
        if year.isdigit() and month.isdigit() and day.isdigit():
            return datetime(int(year), int(month), int(day), tzinfo=UTC).timestamp()
    return datetime.strptime(key, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()


def parse_bandwidth(body: object) -> list[Day]:
    """``GET /instances/{id}/bandwidth`` → the UTC days it lists, oldest first."""
    table = body.get("bandwidth") if isinstance(body, dict) else None
    if not isinstance(table, dict):
        raise bad("the answer has no 'bandwidth' object")
    days: list[Day] = []
    for key, entry in table.items():
        try:
            start = day_start(str(key))
        except ValueError:
            raise bad(f"bandwidth key {str(key)[:40]!r} is not a YYYY-MM-DD date") from None
        if not isinstance(entry, dict):
            raise bad(f"bandwidth of {key} is not an object")
        days.append(Day(start, _counter(entry, "incoming_bytes", key), _counter(entry, "outgoing_bytes", key)))
    days.sort(key=lambda d: d.start)
    return days


def daily_series(days: list[Day], now: float, since: float) -> Series:
    """Each UTC day's average rate (bits/s); today's covers the day so far. Days before
    ``since`` and after ``now`` are left out. ``step_s`` is a day: these are never live rates."""
    samples: list[Sample] = []
    for day in days:
        if day.start < since - DAY_S or day.start > now:
            continue
        span = min(DAY_S, now - day.start)
        if span < MIN_DAY_ELAPSED_S:
            samples.append(Sample(day.start, None, None))
            continue
        samples.append(Sample(
            day.start,
            None if day.in_bytes is None else day.in_bytes * 8.0 / span,
            None if day.out_bytes is None else day.out_bytes * 8.0 / span,
        ))
    return Series(step_s=DAY_S, samples=tuple(samples))


def period_usage(days: list[Day], period_start: float, *, as_of: float, source: str) -> Usage:
    """Totals of the UTC days from ``period_start``'s day to now."""
    first_day = math.floor(period_start / DAY_S) * DAY_S
    kept = [d for d in days if first_day <= d.start <= as_of]
    ins = [d.in_bytes for d in kept if d.in_bytes is not None]
    outs = [d.out_bytes for d in kept if d.out_bytes is not None]
    return Usage(
        period_in_bytes=sum(ins) if ins or not kept else None,
        period_out_bytes=sum(outs) if outs or not kept else None,
        as_of=as_of,
        period_start=first_day,
        source=source,
    )
