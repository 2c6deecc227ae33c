"""The viewer feed, version 1: what a collector tells its viewers, and how a viewer reads it back.

Transport: ``GET /api/v1/feed`` answers ``text/event-stream`` (server-sent events, one JSON
object per ``data:`` line, no line breaks inside it):

- ``event: hello``: ``{"protocol": "bwtui-feed", "version": 1, "collector": {...},
  "accounts": [account terms, ...]}``. A viewer refuses another ``version`` (and says so).
- ``event: poll``: one poll event, ``{"type": "ResourceUpdated", ...its fields}``. The first ones
  are the snapshot (everything the collector knows), then every change as it happens.
- ``event: synced``: the snapshot is complete (``{"events": N}``).
- ``event: bye``: the collector is stopping (``{"reason": ...}``); the stream ends.
- ``: keepalive`` comments every 15 s; a viewer that hears nothing for 45 s reconnects.

An event's fields are the fields of its class in :mod:`bwtui.events` (and the model classes
inside it), by name; ``null`` fields are left out; samples travel as columns
``{"t": [...], "in": [...], "out": [...]}`` (bits/s; null is a gap); a provider error is
``{"kind", "message", "status", "retry_after_s"}``. In the change stream a ``ResourceUpdated``
may carry ``"history_keep": n``: its history is the last ``n`` samples of the one this viewer
holds for the resource, followed by the samples sent (usually a point or two instead of a day). Readers ignore event types
and fields they do not know, so a newer collector can add them within version 1. Account terms
are the account's config minus where and how it is reached (no ``base_url``, no provider
settings); the feed never carries a token.

``GET /api/v1/snapshot`` returns the same hello and snapshot events as one JSON document.
Nothing here does I/O: encoding and decoding only.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import types
import typing
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Union, get_args, get_origin, get_type_hints

from bwtui.config import AccountConfig
from bwtui.events import PollEvent, ResourceUpdated, SourceChanged
from bwtui.history import ExportRow
from bwtui.model import ErrorKind, ProviderError, ResourceState, Sample
from bwtui.samples import SampleRun

FEED_PROTOCOL = "bwtui-feed"
FEED_VERSION = 1
FEED_PATH = "/api/v1/feed"
SNAPSHOT_PATH = "/api/v1/snapshot"
SERIES_PATH = "/api/v1/series"
EXPORT_PATH = "/api/v1/export"
KEEPALIVE_S = 15.0
SILENCE_TIMEOUT_S = 45.0

# Events a source makes for its own view; they never travel over a feed.
_LOCAL_ONLY: tuple[type, ...] = (SourceChanged,)
EVENT_TYPES: dict[str, type] = {
    cls.__name__: cls for cls in get_args(PollEvent) if cls not in _LOCAL_ONLY
}
# Account config fields that say where and how an account is reached: never sent.
_PRIVATE_ACCOUNT_FIELDS = frozenset({"base_url", "settings", "path_prefix", "interface"})


class FeedError(Exception):
    """The feed broke the protocol (bad JSON, wrong shape, another version)."""


# ----- encoding -----------------------------------------------------------------------------------
def to_plain(value: object) -> Any:
    """``value`` as JSON-ready data (see the module docstring for the shapes)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Sample):
        return [to_plain(value.t), to_plain(value.in_bps), to_plain(value.out_bps)]
    if isinstance(value, ProviderError):
        return _without_none({"kind": value.kind.value, "message": value.message,
                              "status": value.status, "retry_after_s": to_plain(value.retry_after_s)})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _without_none({f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)})
    if isinstance(value, SampleRun):
        return {"t": [_compact(t) for t in value.times()], "in": [_compact(v) for v in value.ins()],
                "out": [_compact(v) for v in value.outs()]}
    if isinstance(value, (tuple, list)):
        if value and all(type(item) is Sample for item in value):
            return _samples_plain(value)
        return [to_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items()}
    raise TypeError(f"cannot encode {type(value).__name__} for the feed")


def _compact(value: float | None) -> float | int | None:
    """A number as JSON carries it shortest: whole floats as integers, NaN and inf as null."""
    if value is None or not math.isfinite(value):
        return None
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value


def _samples_plain(samples: Any) -> dict[str, list[Any]]:
    """A run of samples as three columns (fewer, shorter JSON values than one array each)."""
    return {"t": [_compact(s.t) for s in samples], "in": [_compact(s.in_bps) for s in samples],
            "out": [_compact(s.out_bps) for s in samples]}


def _without_none(data: dict[str, Any]) -> dict[str, Any]:
    return {key: item for key, item in data.items() if item is not None}


def encode_event(event: PollEvent) -> str:
    """One poll event as a single line of JSON."""
    data = {"type": type(event).__name__, **to_plain(event)}
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


HISTORY_KEEP = "history_keep"


def history_delta(previous: Sequence[Sample] | None, current: Sequence[Sample]) -> tuple[int, Sequence[Sample]]:
    """``(keep, tail)`` with ``current == previous[-keep:] + tail`` (``keep`` 0: send it all).

    A resource's history usually moves on by a few points: the oldest leave, new ones arrive.
    """
    if not previous or not current:
        return 0, current
    first = current[0].t
    times = previous.times() if isinstance(previous, SampleRun) else [s.t for s in previous]
    index = bisect_left(times, first)
    if index >= len(times) or times[index] != first:
        return 0, current
    keep = len(times) - index
    if keep > len(current) or list(previous[index:]) != list(current[:keep]):
        return 0, current
    return keep, current[keep:]


def encode_state_change(state: ResourceState, previous: Sequence[Sample] | None) -> str:
    """A ``ResourceUpdated`` for viewers that hold ``previous`` as this resource's history: only
    the new samples travel, with ``history_keep`` saying how many of the old ones stay."""
    keep, tail = history_delta(previous, state.history)
    if keep == 0:
        return encode_event(ResourceUpdated(state))
    data = {"type": "ResourceUpdated", **to_plain(ResourceUpdated(dataclasses.replace(state, history=tail))),
            HISTORY_KEEP: keep}
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class HistoryJoiner:
    """The viewer's side of :func:`encode_state_change`: rebuilds each whole history."""

    def __init__(self) -> None:
        self._histories: dict[tuple[str, str], Sequence[Sample]] = {}

    def join(self, raw: Mapping[str, Any], event: PollEvent) -> PollEvent:
        if not isinstance(event, ResourceUpdated):
            return event
        keep = raw.get(HISTORY_KEEP, 0)
        state = event.state
        if keep:
            previous = self._histories.get(event.key)
            if not isinstance(keep, int) or previous is None or keep > len(previous):
                raise FeedError("a history change does not follow what this viewer holds")
            kept = previous[len(previous) - keep:]
            tail = list(state.history)
            state.history = (kept.extended(tail) if isinstance(kept, SampleRun)
                             else SampleRun([*kept, *tail]))
        self._histories[event.key] = state.history
        return event


def account_terms(account: AccountConfig) -> dict[str, Any]:
    """What a viewer needs of an account's config (billing, thresholds), nothing about access."""
    return {
        f.name: to_plain(getattr(account, f.name))
        for f in dataclasses.fields(account)
        if f.name not in _PRIVATE_ACCOUNT_FIELDS and getattr(account, f.name) is not None
    }


def hello(accounts: Iterable[AccountConfig], collector: Mapping[str, Any]) -> dict[str, Any]:
    """The ``hello`` document that opens a feed and a snapshot."""
    return {"protocol": FEED_PROTOCOL, "version": FEED_VERSION, "collector": dict(collector),
            "accounts": [account_terms(account) for account in accounts]}


def sse(event: str, data: str, *, event_id: int | None = None) -> bytes:
    """One server-sent event; ``data`` must be a single line (JSON without raw line breaks)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {data}\n\n".encode()


KEEPALIVE = b": keepalive\n\n"


EXPORT_FIELDS = ("account", "resource_id", "record", "tier", "t", "in_bps", "out_bps", "in_bytes",
                 "out_bytes")


def encode_export_row(row: ExportRow) -> str:
    """One stored history row as a JSON array in :data:`EXPORT_FIELDS` order."""
    return json.dumps([to_plain(getattr(row, name)) for name in EXPORT_FIELDS], allow_nan=False)


def decode_export_row(line: str) -> ExportRow:
    """A history row from :func:`encode_export_row`'s line."""
    data = parse_json(line)
    if not isinstance(data, list) or len(data) != len(EXPORT_FIELDS):
        raise FeedError("an export line is not a history row")
    try:
        return typing.cast(ExportRow, _from_plain(ExportRow, dict(zip(EXPORT_FIELDS, data, strict=True))))
    except (TypeError, ValueError, KeyError) as error:
        raise FeedError(f"an export line has the wrong shape: {error}") from None


# ----- decoding -----------------------------------------------------------------------------------
def decode_event(data: Mapping[str, Any]) -> PollEvent | None:
    """A poll event from its JSON object; None for a type this viewer does not know."""
    cls = EVENT_TYPES.get(str(data.get("type")))
    if cls is None:
        return None
    try:
        return typing.cast(PollEvent, _from_plain(cls, data))
    except (TypeError, ValueError, KeyError) as error:
        raise FeedError(f"a {cls.__name__} event has the wrong shape: {error}") from None


def decode_accounts(items: object) -> tuple[AccountConfig, ...]:
    """Account terms from a ``hello`` (name and provider required)."""
    if not isinstance(items, list):
        raise FeedError("hello.accounts is not a list")
    accounts: list[AccountConfig] = []
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise FeedError("an account in hello has no name")
        try:
            accounts.append(typing.cast(AccountConfig, _from_plain(AccountConfig, item)))
        except (TypeError, ValueError, KeyError) as error:
            raise FeedError(f"account {item.get('name')!r} has the wrong shape: {error}") from None
    return tuple(accounts)


def check_hello(data: object) -> Mapping[str, Any]:
    """The hello document, or FeedError when it is not a version-1 bwtui feed."""
    if not isinstance(data, Mapping) or data.get("protocol") != FEED_PROTOCOL:
        raise FeedError("this is not a bwtui collector feed")
    version = data.get("version")
    if version != FEED_VERSION:
        raise FeedError(f"the collector speaks feed version {version}; this bwtui reads version "
                        f"{FEED_VERSION}. Run the same bwtui version on both sides")
    return data


def parse_json(line: str) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        raise FeedError("a feed message is not valid JSON") from None


class SseReader:
    """Turns the lines of an event stream into ``(event, data)`` pairs (comments are skipped)."""

    def __init__(self) -> None:
        self._event = "message"
        self._data: list[str] = []

    def feed(self, line: str) -> tuple[str, str] | None:
        """One line (without its line break); returns a complete event at a blank line."""
        if line == "":
            if not self._data:
                self._event = "message"
                return None
            event, data = self._event, "\n".join(self._data)
            self._event, self._data = "message", []
            return event, data
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        return None

    def feed_all(self, lines: Iterable[str]) -> Iterator[tuple[str, str]]:
        for line in lines:
            done = self.feed(line)
            if done is not None:
                yield done


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = get_type_hints(cls)
    return hints


def _from_plain(tp: Any, data: Any) -> Any:
    """``data`` read back as type ``tp`` (a class, ``X | None``, ``tuple[X, ...]``, a mapping)."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        if data is None:
            if type(None) in options:
                return None
            raise ValueError("a value is missing")
        errors: list[str] = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _from_plain(option, data)
            except (TypeError, ValueError, KeyError) as error:
                errors.append(str(error))
        raise ValueError("; ".join(errors) or "no type fits")
    if origin is Sequence and get_args(tp) == (Sample,):
        return _sample_run(data)  # a resource's history: kept as a compact run
    if origin is Sequence:
        _need(data, list)
        return tuple(_from_plain(get_args(tp)[0], item) for item in data)
    if origin is tuple:
        args = get_args(tp)
        if args == (Sample, Ellipsis):
            return _samples(data)
        _need(data, list)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_plain(args[0], item) for item in data)
        if len(args) != len(data):
            raise ValueError(f"expected {len(args)} items, got {len(data)}")
        return tuple(_from_plain(arg, item) for arg, item in zip(args, data, strict=True))
    if origin in (list,):
        _need(data, list)
        return [_from_plain(get_args(tp)[0], item) for item in data]
    if origin in (dict, Mapping) or tp is Mapping:
        _need(data, dict)
        value_type = get_args(tp)[1] if get_args(tp) else Any
        return {str(key): _from_plain(value_type, item) for key, item in data.items()}
    if tp is Any or tp is object:
        return data
    if tp is Sample:
        _need(data, list)
        if len(data) != 3:
            raise ValueError("a sample is [t, in_bps, out_bps]")
        return Sample(_number(data[0]), _optional_number(data[1]), _optional_number(data[2]))
    if tp is ProviderError:
        _need(data, dict)
        return ProviderError(ErrorKind(data["kind"]), str(data.get("message", "")),
                             status=_optional_int(data.get("status")),
                             retry_after_s=_optional_number(data.get("retry_after_s")))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    if tp is float:
        return _number(data)
    if tp is bool:
        _need(data, bool)
        return data
    if tp is int:
        return _whole(data)
    if tp is str:
        _need(data, str)
        return data
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        _need(data, dict)
        hints = _hints(tp)
        kwargs: dict[str, Any] = {}
        for field in dataclasses.fields(tp):
            if not field.init:
                continue
            if field.name in data:
                kwargs[field.name] = _from_plain(hints[field.name], data[field.name])
            elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                kwargs[field.name] = _from_plain(hints[field.name], None)
        return tp(**kwargs)
    raise TypeError(f"cannot read {tp!r} from the feed")


def _samples(data: Any) -> tuple[Sample, ...]:
    """Samples from their columns (``{"t": [...], "in": [...], "out": [...]}``) or a list of
    ``[t, in, out]``. Every value becomes a float (or None for a rate gap); anything else in a
    column (a list, an object) is an error."""
    if isinstance(data, list):
        return tuple(_from_plain(Sample, item) for item in data)
    _need(data, dict)
    times, ins, outs = data.get("t"), data.get("in"), data.get("out")
    if not (isinstance(times, list) and isinstance(ins, list) and isinstance(outs, list)
            and len(times) == len(ins) == len(outs)):
        raise ValueError("sample columns t, in and out must be lists of one length")
    try:
        return tuple(map(Sample, [float(t) for t in times],
                         [None if v is None else float(v) for v in ins],
                         [None if v is None else float(v) for v in outs]))
    except (TypeError, ValueError, OverflowError):
        raise ValueError("a sample holds something other than a number") from None


def _sample_run(data: Any) -> SampleRun:
    """A compact run from sample columns (or from a list of ``[t, in, out]``)."""
    if isinstance(data, list):
        return SampleRun(_samples(data))
    _need(data, dict)
    times, ins, outs = data.get("t"), data.get("in"), data.get("out")
    if not (isinstance(times, list) and isinstance(ins, list) and isinstance(outs, list)):
        raise ValueError("sample columns t, in and out must be lists")
    try:
        return SampleRun.from_columns([float(t) for t in times],
                                      [None if v is None else float(v) for v in ins],
                                      [None if v is None else float(v) for v in outs])
    except (TypeError, ValueError, OverflowError):
        raise ValueError("sample columns must be numbers of one length") from None


def _need(data: Any, kind: type) -> None:
    if not isinstance(data, kind):
        raise ValueError(f"expected {kind.__name__}, got {type(data).__name__}")


def _number(data: Any) -> float:
    if isinstance(data, bool) or not isinstance(data, (int, float)):
        raise ValueError(f"expected a number, got {type(data).__name__}")
    return float(data)


def _optional_number(data: Any) -> float | None:
    return None if data is None else _number(data)


def _whole(data: Any) -> int:
    if isinstance(data, float) and data.is_integer():
        return int(data)
    if isinstance(data, bool) or not isinstance(data, int):
        raise ValueError(f"expected a whole number, got {type(data).__name__}")
    return data


def _optional_int(data: Any) -> int | None:
    return None if data is None else _whole(data)
