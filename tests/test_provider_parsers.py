"""Property tests: every response parser either returns a valid model or raises ProviderError.

Inputs are arbitrary JSON-like values and near-valid bodies with hostile numbers (NaN, inf,
negative, huge) in every place; the outcome must be a gap or a bad_response, never a crash, a
negative total or a non-finite rate.
"""

from __future__ import annotations

import base64
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bwtui.model import ErrorKind, ProviderError, Series, Usage
from bwtui.providers.altostrat import parse_bandwidth, parse_instances
from bwtui.providers.hivelocity_parse import (
    MAX_RATE_BPS,
    LegendRules,
    UnitRules,
    parse_devices,
    parse_image,
    parse_series,
    parse_usage,
)
from bwtui.providers.http import MESSAGE_MAX_CHARS, error_for_status, parse_retry_after, read_rate_limit

KEYS = [
    "metadata", "bandwidthData", "legend", "totals", "start", "end", "step", "interface",
    "In Xfer", "Out Xfer", "In 95th", "Out 95th", "graphImage", "deviceId", "servicePlan",
    "name", "hostname", "location", "facility", "id", "region", "incoming_bytes",
    "outgoing_bytes", "date", "data", "In", "Out", "time",
]  # fmt: skip

hostile_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e308, -0.0, 2**63, 2**64, 4_102_444_801, 1.5e15]),
)
scalars = st.one_of(st.none(), st.booleans(), hostile_numbers, st.text(max_size=12))
json_like = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children, max_size=6),
    ),
    max_leaves=30,
)
legend_names = st.sampled_from(["In", "Out", "in_bps", "OUT", "time", "Timestamp", "ts", "x", 5])
good_rates = st.floats(min_value=0, max_value=1e10)
cells = st.one_of(good_rates, hostile_numbers, scalars)
near_valid_hv = st.fixed_dictionaries(
    {
        "interface": st.sampled_from(["public", "eth0", "all", None]),
        "metadata": st.one_of(
            st.fixed_dictionaries(
                {
                    "legend": st.one_of(
                        st.sampled_from([["In", "Out"], ["time", "In", "Out"], ["Out", "ts", "In"]]),
                        st.lists(legend_names, max_size=4),
                        json_like,
                    ),
                    "start": st.one_of(st.just(1_700_000_000), hostile_numbers, json_like),
                    "end": st.one_of(st.just(1_700_086_400), hostile_numbers),
                    "step": st.one_of(st.sampled_from([300, 3600]), hostile_numbers),
                    "totals": st.one_of(
                        st.dictionaries(
                            st.sampled_from(["In Xfer", "Out Xfer", "In 95th", "Out 95th", "in_xfer"]),
                            st.one_of(good_rates, hostile_numbers, scalars),
                        ),
                        json_like,
                    ),
                }
            ),
            json_like,
        ),
        "bandwidthData": st.one_of(
            st.lists(
                st.one_of(
                    st.tuples(st.integers(1_600_000_000, 1_800_000_000), cells, cells).map(list),
                    st.lists(cells, max_size=4),
                ),
                max_size=8,
            ),
            json_like,
        ),
    }
)
hv_bodies = st.one_of(json_like, st.lists(near_valid_hv, min_size=1, max_size=3))
mostly_valid_hv = st.lists(
    st.fixed_dictionaries(
        {
            "interface": st.sampled_from(["public", "eth0"]),
            "metadata": st.fixed_dictionaries(
                {
                    "legend": st.sampled_from([["In", "Out"], ["Out", "In"], ["ts", "In", "Out"], ["In"]]),
                    "start": st.one_of(st.just(1_700_000_000), hostile_numbers),
                    "end": st.one_of(st.just(1_700_086_400), hostile_numbers),
                    "step": st.one_of(st.just(300), hostile_numbers),
                    "totals": st.dictionaries(
                        st.sampled_from(["In Xfer", "Out Xfer", "In 95th", "Out 95th"]),
                        st.one_of(good_rates, hostile_numbers),
                    ),
                }
            ),
            "bandwidthData": st.lists(st.lists(cells, min_size=1, max_size=3), max_size=12),
        }
    ),
    min_size=1,
    max_size=3,
)
fast = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _bad_response_only(call):
    try:
        return call()
    except ProviderError as exc:
        assert exc.kind is ErrorKind.BAD_RESPONSE
        assert len(exc.message) <= 400
        return None


def _check_series(series: Series) -> None:
    assert isinstance(series.step_s, int) and series.step_s > 0
    times = [s.t for s in series.samples]
    assert times == sorted(times) and len(set(times)) == len(times)
    for sample in series.samples:
        assert math.isfinite(sample.t)
        for value in (sample.in_bps, sample.out_bps):
            assert value is None or (math.isfinite(value) and 0 <= value <= MAX_RATE_BPS * 3)
    for value in (series.in_95th_bps, series.out_95th_bps):
        assert value is None or (math.isfinite(value) and value >= 0)
    for total in (series.window_in_bytes, series.window_out_bytes):
        assert total is None or (isinstance(total, int) and total >= 0)


def _check_usage(usage: Usage) -> None:
    for total in (usage.period_in_bytes, usage.period_out_bytes):
        assert total is None or (isinstance(total, int) and not isinstance(total, bool))
        assert total is None or total >= 0
    assert usage.period_in_bytes is not None or usage.period_out_bytes is not None
    assert usage.as_of is not None and math.isfinite(usage.as_of)


@fast
@given(st.one_of(hv_bodies, mostly_valid_hv), st.sampled_from(["public", "all", "eth0"]))
def test_series_parser_returns_valid_series_or_bad_response(body, interface):
    series = _bad_response_only(
        lambda: parse_series(body, interface=interface, requested_step_s=300)
    )
    if series is not None:
        _check_series(series)


@fast
@given(st.one_of(hv_bodies, mostly_valid_hv))
def test_usage_parser_never_gives_negative_or_non_integer_totals(body):
    usage = _bad_response_only(
        lambda: parse_usage(body, interface="public", now=2e9, period_start=1.9e9, source="x")
    )
    if usage is not None:
        _check_usage(usage)
        assert usage.as_of <= 2e9


@fast
@given(json_like)
def test_device_parser_returns_services_with_ids_or_bad_response(body):
    listing = _bad_response_only(lambda: parse_devices(body, "acct"))
    if listing is not None:
        ids = [r.id for r in listing.resources]
        assert len(ids) == len(set(ids))
        for resource in listing.resources:
            assert resource.id.isdigit() and resource.name and resource.kind == "service"


@fast
@given(st.one_of(json_like, st.lists(st.dictionaries(st.sampled_from(KEYS), scalars))))
def test_instance_parser_returns_instances_with_ids_or_bad_response(body):
    resources = _bad_response_only(lambda: parse_instances(body, "acct"))
    if resources is not None:
        for resource in resources:
            assert resource.id and resource.id not in (".", "..") and resource.name


@fast
@given(
    st.one_of(
        json_like,
        st.fixed_dictionaries(
            {"incoming_bytes": st.one_of(hostile_numbers, scalars),
             "outgoing_bytes": st.one_of(hostile_numbers, scalars)}
        ),
    )
)  # fmt: skip
def test_altostrat_bandwidth_parser_never_gives_negative_totals(body):
    usage = _bad_response_only(lambda: parse_bandwidth(body, as_of=1.0, source="x"))
    if usage is not None:
        _check_usage(usage)


@fast
@given(st.one_of(json_like, st.lists(st.fixed_dictionaries({"graphImage": st.text(max_size=40)}))))
def test_image_parser_returns_png_or_bad_response(body):
    png = _bad_response_only(lambda: parse_image(body, interface="public"))
    if png is not None:
        assert png.startswith(b"\x89PNG")


# ------------------------------------------------------------ examples of the decided rules


def _body(legend, rows, **metadata):
    meta = {"start": 1000, "end": 1000 + 300 * (len(rows) - 1), "step": 300, "legend": legend}
    meta.update(metadata)
    return [{"interface": "public", "metadata": meta, "bandwidthData": rows}]


def test_columns_found_by_name_not_position():
    series = parse_series(_body(["Out", "In"], [[2.0, 1.0]]), interface="public", requested_step_s=300)
    assert (series.samples[0].in_bps, series.samples[0].out_bps) == (1.0, 2.0)


def test_timestamp_column_is_used_when_legend_names_it():
    series = parse_series(
        _body(["Timestamp", "In", "Out"], [[5000, 1, 2], [5300, 3, 4]]),
        interface="public",
        requested_step_s=300,
    )
    assert [s.t for s in series.samples] == [5000, 5300]


def test_rows_without_start_are_timed_backwards_from_end():
    body = _body(["In", "Out"], [[1, 1], [2, 2], [3, 3]], start=None, end=9000)
    series = parse_series(body, interface="public", requested_step_s=300)
    assert [s.t for s in series.samples] == [8400, 8700, 9000]


def test_null_nan_and_negative_rates_are_gaps_not_zeros():
    body = _body(["In", "Out"], [[None, float("nan")], [-5, 7]])
    series = parse_series(body, interface="public", requested_step_s=300)
    assert [(s.in_bps, s.out_bps) for s in series.samples] == [(None, None), (None, 7)]


@pytest.mark.parametrize(("value", "expected"), [
    (1.5, 1.5), (7, 7.0), (-0.0, -0.0), (0, 0.0), (1e15, 1e15),
    (float("inf"), None), (float("-inf"), None), (float("nan"), None), (-0.5, None),
    (1e15 + 1e3, None), (10**16, None), (True, None), (False, None), ("5", None), ([5], None),
])
def test_every_kind_of_rate_value_reads_as_a_rate_or_a_gap(value, expected):
    body = _body(["In", "Out"], [[value, value]])
    series = parse_series(body, interface="public", requested_step_s=300)
    (sample,) = series.samples
    assert (sample.in_bps, sample.out_bps) == (expected, expected)
    assert all(type(rate) is float for rate in (sample.in_bps, sample.out_bps) if rate is not None)


def test_rates_given_in_bytes_are_read_as_bits():
    body = _body(["In", "Out"], [[2.5, 3]])
    series = parse_series(body, interface="public", requested_step_s=300,
                          units=UnitRules(totals="bits", rates="bytes"))
    assert [(s.in_bps, s.out_bps) for s in series.samples] == [(20.0, 24.0)]


def test_several_elements_add_up_per_time_and_keep_gaps():
    first = _body(["In", "Out"], [[1, None], [2, 2]])[0]
    second = {**_body(["In", "Out"], [[10, None], [None, 20], [30, 30]])[0], "interface": "eth1"}
    first = {**first, "interface": "eth0"}
    series = parse_series([first, second], interface="all", requested_step_s=300)
    assert [(s.in_bps, s.out_bps) for s in series.samples] == [
        (11.0, None), (2.0, 22.0), (30.0, 30.0)]


def test_custom_legend_rules_are_settings():
    rules = LegendRules(time_names=("when",), in_prefix="rx", out_prefix="tx")
    body = _body(["when", "rx", "tx"], [[7000, 1, 2]])
    series = parse_series(body, interface="public", requested_step_s=300, rules=rules)
    assert series.samples[0].t == 7000 and series.samples[0].out_bps == 2


@pytest.mark.parametrize(
    "body",
    [
        [{"metadata": {}, "bandwidthData": [[1, 2]]}],
        [{"metadata": {"legend": [], "step": 300, "start": 0}, "bandwidthData": [[1, 2]]}],
        [{"metadata": {"legend": ["a", "b"], "step": 300, "start": 0}, "bandwidthData": [[1]]}],
        [{"metadata": {"legend": ["In", "Out"], "start": 0}, "bandwidthData": [[1, 2]]}],
        [],
        {"error": "x"},
    ],
    ids=["empty-metadata", "empty-legend", "no-in-out-column", "no-step", "empty-list", "object"],
)
def test_bodies_missing_what_a_series_needs_are_bad_response(body):
    with pytest.raises(ProviderError) as caught:
        parse_series(body, interface="public", requested_step_s=300)
    assert caught.value.kind is ErrorKind.BAD_RESPONSE


def test_usage_is_xfer_bits_divided_by_eight():
    body = _body(["In", "Out"], [], totals={"In Xfer": 8001, "Out Xfer": 16000})
    usage = parse_usage(body, interface="public", now=5000.0, period_start=0.0, source="s")
    assert (usage.period_in_bytes, usage.period_out_bytes) == (1000, 2000)


@pytest.mark.parametrize("value", [-1, 10**30, "12"])
def test_negative_absurd_or_wrong_typed_totals_are_bad_response(value):
    body = _body(["In", "Out"], [], totals={"In Xfer": value, "Out Xfer": 1})
    with pytest.raises(ProviderError):
        parse_usage(body, interface="public", now=5000.0, period_start=0.0, source="s")


def test_several_interfaces_use_the_matching_one_else_sum_per_timestamp():
    def element(name, value):
        return {
            "interface": name,
            "metadata": {"start": 0, "step": 300, "legend": ["In", "Out"],
                         "totals": {"In Xfer": 80, "Out Xfer": 80}},
            "bandwidthData": [[value, None]],
        }  # fmt: skip

    body = [element("eth0", 1.0), element("eth1", 2.0)]
    matched = parse_series(body, interface="eth1", requested_step_s=300)
    assert matched.samples[0].in_bps == 2.0
    summed = parse_series(body, interface="all", requested_step_s=300)
    assert summed.samples[0].in_bps == 3.0 and summed.samples[0].out_bps is None
    assert summed.window_in_bytes == 20


def test_devices_without_service_plan_are_skipped_and_name_falls_back_to_hostname():
    listing = parse_devices(
        [
            {"deviceId": 1, "name": "", "hostname": "a.example", "servicePlan": 11,
             "location": {"facility": "TPA1"}},
            {"deviceId": 2, "name": "b", "hostname": "b.example", "servicePlan": None},
        ],
        "acct",
    )  # fmt: skip
    (only,) = listing.resources
    assert (only.id, only.name, only.location, only.device_id) == ("11", "a.example", "TPA1", "1")
    assert len(listing.skipped) == 1


def test_image_is_decoded_from_base64_png():
    png = b"\x89PNG\r\n\x1a\n" + b"rest"
    body = [{"interface": "public", "graphImage": base64.b64encode(png).decode()}]
    assert parse_image(body, interface="public") == png


# ------------------------------------------------------------ error bodies and headers

header_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["nan", "inf", "-5", "1e400", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999999"]),
)
error_bodies = st.one_of(
    st.binary(max_size=200),
    json_like.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(["description", "message", "errors", "schema_errors"]), json_like)
    .map(lambda v: json.dumps(v).encode()),
)


@fast
@given(
    st.integers(min_value=400, max_value=599),
    error_bodies,
    st.dictionaries(st.sampled_from(["retry-after", "x-ratelimit-reset", "x-ratelimit-limit"]), header_values),
)
def test_any_error_answer_maps_to_a_kind_with_a_short_message(status, body, headers):
    error = error_for_status(
        status, headers, body, now=1e9, method="POST", message_keys=("description", "message", "errors", "schema_errors")
    )
    assert isinstance(error.kind, ErrorKind) and error.status == status
    assert 0 < len(error.message) <= MESSAGE_MAX_CHARS + 80
    assert error.retry_after_s is None or (math.isfinite(error.retry_after_s) and error.retry_after_s >= 0)
    rate_limit = read_rate_limit(headers, 1e9)
    if rate_limit is not None:
        assert rate_limit.reset_s is None or (math.isfinite(rate_limit.reset_s) and rate_limit.reset_s >= 0)


@fast
@given(header_values)
def test_retry_after_is_never_negative_or_infinite(value):
    seconds = parse_retry_after(value, 1e9)
    assert seconds is None or (math.isfinite(seconds) and 0 <= seconds <= 86400)
