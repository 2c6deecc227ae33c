"""The viewer feed's wire format: every poll event survives the trip, literally, and nothing
private travels."""

from __future__ import annotations

import json
import typing

import pytest

from bwtui.collector.protocol import (
    EVENT_TYPES,
    FEED_VERSION,
    FeedError,
    SseReader,
    account_terms,
    check_hello,
    decode_accounts,
    decode_event,
    decode_export_row,
    encode_event,
    encode_export_row,
    hello,
    parse_json,
    sse,
)
from bwtui.config import AccountConfig, ResourceOverride, Thresholds
from bwtui.events import (
    AccountFailed,
    AccountListed,
    PollerPaused,
    PollEvent,
    RateLimitUpdated,
    ResourceUpdated,
    SeriesUpdated,
    SourceChanged,
)
from bwtui.history import ExportRow
from bwtui.model import (
    BillingTerms,
    ErrorKind,
    Period,
    ProviderError,
    RateLimit,
    Resource,
    ResourceState,
    Sample,
    Series,
    Usage,
)
from ui_support import HOSTILE_NAMES

HOSTILE = Resource("hv-prod", "hivelocity", "service", "152515", HOSTILE_NAMES[2] + HOSTILE_NAMES[0],
                   location="TPA1", hostname="\x1b]0;pwned\x07evil.example.net",
                   billing=BillingTerms(allowance_out_bytes=10**13, notes=("price did not parse",),
                                        currency="EUR", overage_price_per_gb=1.19, pool="acct"),
                   rate_basis="daily_average")


def _round_trip(event: PollEvent) -> PollEvent | None:
    line = encode_event(event)
    assert "\n" not in line and "\r" not in line  # one SSE data line
    return decode_event(parse_json(line))


def _errors_equal(a: ProviderError | None, b: ProviderError | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.kind, a.message, a.status, a.retry_after_s) == (b.kind, b.message, b.status, b.retry_after_s)


def test_every_poll_event_type_travels_except_the_sources_own() -> None:
    union = set(typing.get_args(PollEvent))
    assert set(EVENT_TYPES.values()) == union - {SourceChanged}
    assert "SourceChanged" not in EVENT_TYPES


def test_a_resource_state_with_hostile_text_comes_back_identical() -> None:
    error = ProviderError(ErrorKind.SERVER, "[b]boom[/b] \x1b[31m", status=502, retry_after_s=30.0)
    state = ResourceState(HOSTILE, in_bps=1.5e6, out_bps=2.25e7, rate_at=1_767_000_000.0,
                          usage=Usage(123, 456, 1_767_000_100.0, 1_766_000_000.0, "POST /x"),
                          error=error, updated_at=1_767_000_100.0, stale=True,
                          history=(Sample(1.0, 2.0, None), Sample(2.0, None, 3.0)))
    back = _round_trip(ResourceUpdated(state))
    assert isinstance(back, ResourceUpdated)
    got = back.state
    assert got.resource == HOSTILE
    assert got.resource.name == HOSTILE.name  # control characters and markup verbatim
    assert (got.in_bps, got.out_bps, got.rate_at, got.usage, got.updated_at, got.stale) == (
        state.in_bps, state.out_bps, state.rate_at, state.usage, state.updated_at, True)
    assert list(got.history) == list(state.history)
    assert _errors_equal(got.error, error)


@pytest.mark.parametrize("event", [
    AccountListed("hv-prod", "hivelocity", (HOSTILE, Resource("hv-prod", "hivelocity", "service", "2", ""))),
    SeriesUpdated(("hv-prod", "152515"), Period.WEEK,
                  Series(1800, (Sample(1.0, 2.0, 3.0), Sample(1801.0, None, None)), in_95th_bps=2.0,
                         out_95th_bps=3.0, window_in_bytes=10, window_out_bytes=20)),
    RateLimitUpdated("hv-prod", RateLimit(3600, 12, 1800.0, 1_767_000_000.0)),
    PollerPaused(True),
])
def test_plain_events_come_back_equal(event: PollEvent) -> None:
    assert _round_trip(event) == event


def test_an_account_failure_keeps_its_kind_and_the_providers_words() -> None:
    event = AccountFailed("vpn", ProviderError(ErrorKind.AUTH, "Unauthenticated. [red]x[/red]", status=401))
    back = _round_trip(event)
    assert isinstance(back, AccountFailed) and back.account == "vpn"
    assert _errors_equal(back.error, event.error)


def test_a_compact_sample_run_travels_as_columns_and_comes_back_a_run() -> None:
    from bwtui.samples import SampleRun

    run = SampleRun([Sample(1_767_000_000.0, 1.5e6, None), Sample(1_767_000_300.0, None, 2.25e7),
                     Sample(1_767_000_600.5, 3.0, 4.0)], maxlen=288)
    line = encode_event(ResourceUpdated(ResourceState(HOSTILE, history=run)))
    assert '"history":{"t":[1767000000,1767000300,1767000600.5]' in line
    back = _round_trip(ResourceUpdated(ResourceState(HOSTILE, history=run)))
    assert isinstance(back, ResourceUpdated) and isinstance(back.state.history, SampleRun)
    assert back.state.history == run
    with pytest.raises(FeedError):
        decode_event({"type": "ResourceUpdated", "state": {
            "resource": {"account": "a", "provider": "p", "kind": "k", "id": "1", "name": "n"},
            "history": {"t": [1.0], "in": [[1]], "out": [None]}}})


def test_a_history_change_sends_only_the_new_points_and_the_viewer_rebuilds_the_whole() -> None:
    from bwtui.collector.protocol import HistoryJoiner, encode_state_change, history_delta
    from bwtui.samples import SampleRun

    day = SampleRun([Sample(1000.0 + 300 * i, float(i), 2.0 * i) for i in range(288)], maxlen=288)
    later = day.extended([Sample(1000.0 + 300 * 288, 5.0, None), Sample(1000.0 + 300 * 289, 6.0, 7.0)])
    assert len(later) == 288 and later[0].t == day[2].t
    keep, tail = history_delta(day, later)
    assert keep == 286 and list(tail) == list(later[286:])
    joiner = HistoryJoiner()
    first = encode_event(ResourceUpdated(ResourceState(HOSTILE, history=day)))
    joiner.join(parse_json(first), decode_event(parse_json(first)))  # type: ignore[arg-type]
    change = encode_state_change(ResourceState(HOSTILE, out_bps=7.0, history=later), day)
    assert len(change) < len(first) / 5 and '"history_keep":286' in change
    rebuilt = joiner.join(parse_json(change), decode_event(parse_json(change)))  # type: ignore[arg-type]
    assert isinstance(rebuilt, ResourceUpdated) and list(rebuilt.state.history) == list(later)
    # A history that does not continue the old one travels whole.
    other = SampleRun([Sample(5.0, 1.0, 1.0)])
    assert history_delta(day, other) == (0, other)
    assert '"history_keep"' not in encode_state_change(ResourceState(HOSTILE, history=other), day)
    # A change for a resource the viewer holds nothing of is a broken feed, not a wrong screen.
    with pytest.raises(FeedError):
        HistoryJoiner().join(parse_json(change), decode_event(parse_json(change)))  # type: ignore[arg-type]


def test_numbers_json_cannot_carry_become_gaps() -> None:
    state = ResourceState(HOSTILE, in_bps=float("nan"), out_bps=float("inf"),
                          history=(Sample(1.0, float("-inf"), 5.0),))
    back = _round_trip(ResourceUpdated(state))
    assert isinstance(back, ResourceUpdated)
    assert back.state.in_bps is None and back.state.out_bps is None
    assert list(back.state.history) == [Sample(1.0, None, 5.0)]


def test_unknown_event_types_and_fields_are_ignored_for_newer_collectors() -> None:
    assert decode_event({"type": "SomethingNew", "x": 1}) is None
    back = decode_event({"type": "PollerPaused", "paused": False, "reason": "later versions"})
    assert back == PollerPaused(False)


def test_a_wrongly_shaped_event_is_a_feed_error_not_a_crash() -> None:
    with pytest.raises(FeedError):
        decode_event({"type": "PollerPaused", "paused": "yes"})
    with pytest.raises(FeedError):
        decode_event({"type": "SeriesUpdated", "key": ["a"], "period": "day", "series": {}})
    with pytest.raises(FeedError):
        parse_json("{not json")


def test_account_terms_carry_billing_and_thresholds_but_not_where_or_how_to_reach_the_account() -> None:
    account = AccountConfig(
        "hv-prod", "hivelocity", base_url="http://127.0.0.1:9/secret-path", path_prefix="/vpn",
        billing_day=5, allowance_out_bytes=20 * 10**12, overage_usd_per_gb=0.02,
        thresholds=Thresholds(warn_out_bps=5e8, crit_projected_pct=100.0),
        resources={"152515": ResourceOverride(allowance_out_bytes=10**12)},
        settings={"interface": "public"})
    terms = account_terms(account)
    assert "base_url" not in terms and "settings" not in terms and "path_prefix" not in terms
    assert "secret-path" not in json.dumps(terms)
    back = decode_accounts([terms])[0]
    assert (back.name, back.provider, back.billing_day, back.allowance_out_bytes,
            back.overage_usd_per_gb, back.thresholds, back.resources) == (
        "hv-prod", "hivelocity", 5, 20 * 10**12, 0.02, account.thresholds, account.resources)
    assert back.base_url is None


def test_hello_names_protocol_and_version_and_other_versions_are_refused_with_a_reason() -> None:
    document = hello([AccountConfig("a", "vultr")], {"version": "x"})
    assert check_hello(json.loads(json.dumps(document)))["version"] == FEED_VERSION
    with pytest.raises(FeedError, match="version 2"):
        check_hello({**document, "version": 2})
    with pytest.raises(FeedError, match="not a bwtui"):
        check_hello({"hello": "world"})


def test_server_sent_events_are_read_back_line_by_line() -> None:
    stream = (sse("hello", '{"a":1}') + b": keepalive\n\n" + sse("poll", '{"b":2}', event_id=7)).decode()
    reader = SseReader()
    assert list(reader.feed_all(stream.split("\n"))) == [("hello", '{"a":1}'), ("poll", '{"b":2}')]


def test_an_export_row_travels_as_one_array() -> None:
    rows = [ExportRow("hv", "1", "sample", "raw", 1_767_000_000.0, 1.5, None),
            ExportRow("vpn", "a", "reading", None, 5.0, in_bytes=10, out_bytes=20)]
    assert [decode_export_row(encode_export_row(row)) for row in rows] == rows
    with pytest.raises(FeedError):
        decode_export_row("[1, 2]")
