"""Hivelocity answer variants over real HTTP: read right, or a bad_response saying what came back;
and the units cross-check between In/Out Xfer and Σ(rate × step)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bwtui.model import ErrorKind, Period, ProviderError
from bwtui.providers.hivelocity import HivelocityClient
from bwtui.providers.hivelocity_parse import UnitRules, parse_series
from bwtui.providers.hivelocity_units import UnitsEvidence, check_direction
from bwtui.simulator import Simulator, SimulatorConfig, serve_in_thread

NOW = 1_796_400_000.0  # 2026-12-04 16:00 UTC
TOKEN = "hv-shapes-key"


def frozen() -> float:
    return NOW


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Simulator, str]]:
    sim = Simulator(SimulatorConfig(seed=11, hivelocity_services=6, altostrat_instances=1,
                                    clock=frozen, hivelocity_token=TOKEN))
    with serve_in_thread(sim) as server:
        yield sim, server.base_url + sim.hivelocity_base_url_path


@pytest.fixture
def sim(served):
    served[0].hivelocity.variants.clear()
    yield served[0]
    served[0].hivelocity.variants.clear()


async def _series(base_url: str, rid: str, interface: str = "public", **settings) -> object:
    client = HivelocityClient("hv", TOKEN, base_url=base_url, clock=frozen, interface=interface, **settings)
    try:
        resource = next(r for r in await client.list_resources() if r.id == rid)
        try:
            return await client.fetch_series(resource, Period.DAY)
        except ProviderError as error:
            return error
    finally:
        await client.aclose()


def _rid(sim: Simulator) -> str:
    return str(sim.hv_services[0].service_id)


@pytest.mark.parametrize("variant", ["max_avg", "interface_column", "date_column"])
async def test_legend_variants_parse_to_the_same_series(sim, served, variant):
    rid = _rid(sim)
    plain = await _series(served[1], rid)
    sim.hivelocity.set_variant(rid, variant)
    varied = await _series(served[1], rid)
    assert not isinstance(varied, ProviderError), varied
    assert varied.samples == plain.samples and varied.warnings == ()


async def test_per_interface_columns_pick_the_requested_interface_by_name(sim, served):
    rid = _rid(sim)
    plain_eth0 = await _series(served[1], rid, "eth0")
    sim.hivelocity.set_variant(rid, "per_interface_columns")
    varied = await _series(served[1], rid, "eth0")
    assert varied.samples == plain_eth0.samples
    refused = await _series(served[1], rid, "public")  # "In eth0" or "In eth1"? not guessed
    assert isinstance(refused, ProviderError) and refused.kind is ErrorKind.BAD_RESPONSE
    assert "'In eth0', 'Out eth0', 'In eth1', 'Out eth1'" in refused.message
    assert "legend_in" in refused.message


async def test_more_in_out_columns_than_meant_is_a_bad_response_not_the_first(sim, served):
    rid = _rid(sim)
    sim.hivelocity.set_variant(rid, "ambiguous_columns")
    refused = await _series(served[1], rid)
    assert isinstance(refused, ProviderError) and refused.kind is ErrorKind.BAD_RESPONSE
    assert "2 inbound columns" in refused.message
    chosen = await _series(served[1], rid, legend=_legend(in_prefix="In A", out_prefix="Out A"))
    assert not isinstance(chosen, ProviderError) and chosen.samples


def _legend(**kw):
    from bwtui.providers.hivelocity_parse import LegendRules

    return LegendRules(**kw)


async def test_several_elements_for_one_interface_are_never_summed_into_billing(sim, served):
    rid = _rid(sim)
    sim.hivelocity.set_variant(rid, "split_elements")
    refused = await _series(served[1], rid, "public")
    assert isinstance(refused, ProviderError) and refused.kind is ErrorKind.BAD_RESPONSE
    assert "'eth0', 'eth1'" in refused.message and "none is 'public'" in refused.message
    picked = await _series(served[1], rid, "eth1")
    assert not isinstance(picked, ProviderError)
    sim.hivelocity.set_variant(rid, "duplicate_elements")
    twice = await _series(served[1], rid, "public")
    assert isinstance(twice, ProviderError) and "2 elements for interface 'public'" in twice.message


async def test_interface_all_has_one_element_per_interface_added_up_on_purpose(sim, served):
    rid = _rid(sim)
    eth0 = await _series(served[1], rid, "eth0")
    eth1 = await _series(served[1], rid, "eth1")
    both = await _series(served[1], rid, "all")
    assert [s.t for s in both.samples] == [s.t for s in eth0.samples]
    for a, b, total in zip(eth0.samples, eth1.samples, both.samples):
        assert total.out_bps == pytest.approx(a.out_bps + b.out_bps)


@pytest.mark.parametrize("variant", ["totals_bytes", "rates_bytes"])
async def test_bytes_where_bits_are_expected_raise_a_units_warning_naming_both_figures(sim, served, variant):
    rid = _rid(sim)
    sim.hivelocity.set_variant(rid, variant)
    series = await _series(served[1], rid)
    kinds = [w.kind for w in series.warnings]
    assert kinds == ["units", "units"]  # in and out
    message = series.warnings[1].message
    assert "Out Xfer" in message and "Σ(rate × step)" in message and "bits (" in message
    assert "8.0× bigger" in message or "7.9× bigger" in message or "8.1× bigger" in message


async def test_units_settings_make_the_bytes_variant_agree(sim, served):
    rid = _rid(sim)
    plain = await _series(served[1], rid)
    sim.hivelocity.set_variant(rid, "rates_bytes")
    read_as_bytes = await _series(served[1], rid, units=UnitRules(rates="bytes"))
    assert read_as_bytes.warnings == ()
    for a, b in zip(plain.samples, read_as_bytes.samples):
        assert b.out_bps == pytest.approx(a.out_bps, rel=1e-3, abs=8)


async def test_usage_answers_are_cross_checked_too(sim, served):
    rid = _rid(sim)
    sim.hivelocity.set_variant(rid, "totals_bytes")
    client = HivelocityClient("hv", TOKEN, base_url=served[1], clock=frozen)
    try:
        resource = next(r for r in await client.list_resources() if r.id == rid)
        usage = await client.fetch_usage(resource, 0, NOW)
    finally:
        await client.aclose()
    assert [w.kind for w in usage.warnings] == ["units", "units"]
    assert "period totals" in usage.warnings[0].message


def test_the_check_stays_quiet_when_rows_cannot_stand_for_the_total() -> None:
    few = UnitsEvidence("Out", 8e9, (1e6, 1e6), 300, None)
    assert check_direction(few, where="x", settings="s") is None  # two rows only
    gappy = UnitsEvidence("Out", 8 * 3e8 * 10, (1e6,) * 3 + (None,) * 7, 300, None)
    assert check_direction(gappy, where="x", settings="s") is None  # 30 % covered
    agree = UnitsEvidence("Out", 1.1 * 300 * 1e6 * 10, (1e6,) * 10, 300, None)
    assert check_direction(agree, where="x", settings="s") is None
    eightfold = UnitsEvidence("Out", 8 * 300 * 1e6 * 10, (1e6,) * 10, 300, None)
    assert check_direction(eightfold, where="x", settings="s").kind == "units"


def test_a_date_column_that_only_names_the_day_is_refused_not_overwritten() -> None:
    body = [{"interface": "public", "metadata": {"legend": ["date", "In", "Out"], "step": 300},
             "bandwidthData": [["2026-12-04", 1, 2], ["2026-12-04", 3, 4]]}]
    with pytest.raises(ProviderError) as caught:
        parse_series(body, interface="public", requested_step_s=300)
    assert "share the time" in caught.value.message


def test_a_leading_interface_column_is_not_read_as_inbound() -> None:
    body = [{"interface": "public",
             "metadata": {"legend": ["interface", "In", "Out"], "step": 300, "start": 1000},
             "bandwidthData": [["public", 5.0, 7.0]]}]
    series = parse_series(body, interface="public", requested_step_s=300)
    assert (series.samples[0].in_bps, series.samples[0].out_bps) == (5.0, 7.0)


def test_legend_and_units_are_per_account_settings_that_reach_the_client() -> None:
    from bwtui.config import ConfigError, parse_config_text
    from bwtui.runtime import client_settings

    config = parse_config_text(
        '[[account]]\nname = "hv"\nprovider = "hivelocity"\nlegend_time = "when, ts"\n'
        'legend_in = "rx"\nlegend_out = "tx"\ntotals_unit = "bytes"\n'
        '[account.resources."152515"]\nbilling_day = 15\n'
    )
    settings = client_settings(config.accounts[0])
    client = HivelocityClient("hv", TOKEN, **settings)
    assert client.legend.time_names == ("when", "ts")
    assert (client.legend.in_prefix, client.legend.out_prefix) == ("rx", "tx")
    assert (client.units.totals, client.units.rates) == ("bytes", "bits")
    assert client.resource_billing_days == {"152515": 15}
    with pytest.raises(ConfigError) as caught:
        parse_config_text('[[account]]\nname = "hv"\nprovider = "hivelocity"\nrates_unit = "nibbles"\n')
    assert ":4:" in str(caught.value) and "bits" in str(caught.value)
    with pytest.raises(ConfigError):
        parse_config_text('[[account]]\nname = "v"\nprovider = "altostrat"\ntotals_unit = "bytes"\n')
