"""Billing periods that match the provider's: Hivelocity's own cycle from GET /service/, config
overrides, an Altostrat counter reset seen in history, and where each came from."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bwtui.billing import billing_for, period_for
from bwtui.cli import main
from bwtui.config import AccountConfig, ResourceOverride, parse_config_text
from bwtui.model import BillingTerms, Reading, Resource, Usage
from bwtui.periods import add_months, cycle_containing, iso_utc, last_reset, period_bounds, resolve_period
from bwtui.providers.hivelocity_parse import parse_devices
from bwtui.providers.hivelocity_services import parse_services, service_facts
from bwtui.simulator import Simulator, SimulatorConfig, serve_in_thread

TB = 10**12


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def hv(terms: BillingTerms | None = None) -> Resource:
    return Resource("hv", "hivelocity", "service", "152515", "web-1", billing=terms)


# -- pure rules ------------------------------------------------------------------------------------


def test_a_service_renewing_on_the_15th_has_its_own_period() -> None:
    terms = BillingTerms(period_start=ts(2026, 10, 15), period_end=ts(2026, 11, 15))
    fig = billing_for(hv(terms), Usage(0, 3 * TB, ts(2026, 11, 20)), AccountConfig("hv", "hivelocity"), 0)
    assert (fig.period_start, fig.period_end, fig.period_source) == (ts(2026, 11, 15), ts(2026, 12, 15), "provider")
    assert fig.projected_out_bytes == round(3 * TB / (5 * 86400) * 30 * 86400)


def test_config_billing_day_per_resource_wins_over_the_provider() -> None:
    terms = BillingTerms(period_start=ts(2026, 11, 15), period_end=ts(2026, 12, 15))
    account = AccountConfig("hv", "hivelocity", resources={"152515": ResourceOverride(billing_day=3)})
    period = period_for(hv(terms), account, ts(2026, 11, 20))
    assert (period.start, period.source) == (ts(2026, 11, 3), "config")


def test_account_billing_day_and_calendar_are_the_fallbacks() -> None:
    assert period_for(hv(), AccountConfig("hv", "hivelocity"), ts(2026, 11, 20)).source == "calendar"
    assert period_for(hv(), AccountConfig("hv", "hivelocity", billing_day=9), ts(2026, 11, 20)).source == "config"


def test_an_observed_counter_reset_starts_the_period_between_the_two_readings() -> None:
    readings = [Reading(ts(2026, 12, 1, 12, 58), 900, 9_000), Reading(ts(2026, 12, 1, 13, 2), 5, 20)]
    reset = last_reset(readings)
    assert reset == ts(2026, 12, 1, 13, 0)
    period = resolve_period(ts(2026, 12, 2), observed_reset_at=reset)
    assert (period.start, period.end, period.source) == (reset, add_months(reset, 1), "observed_reset")


def test_the_issue_scenario_altostrat_projects_from_the_reset_not_the_first() -> None:
    """Reset at 13:00 on the 1st; 7.8 GB out by 19:03: projected from the reset, not from 00:00."""
    alto = Resource("vpn", "altostrat", "instance", "i-1", "gw")
    reset = ts(2026, 12, 1, 13)
    usage = Usage(0, 7_800_000_000, ts(2026, 12, 1, 19, 3))
    calendar_fig = billing_for(alto, usage, AccountConfig("vpn", "altostrat"), 0)
    reset_fig = billing_for(alto, usage, AccountConfig("vpn", "altostrat"), 0, observed_reset_at=reset)
    assert calendar_fig.period_source == "calendar" and reset_fig.period_source == "observed_reset"
    elapsed_calendar, elapsed_reset = usage.as_of - ts(2026, 12, 1), usage.as_of - reset
    assert reset_fig.projected_out_bytes == pytest.approx(
        calendar_fig.projected_out_bytes * elapsed_calendar / elapsed_reset, rel=1e-6)
    early = billing_for(alto, Usage(0, 10**9, reset + 180), AccountConfig("vpn", "altostrat"), 0,
                        observed_reset_at=reset)
    assert early.projection == "too_early" and early.projected_out_bytes is None


def test_cycles_step_by_calendar_months_from_the_anchor() -> None:
    assert cycle_containing(ts(2026, 1, 31), ts(2026, 2, 28), ts(2026, 4, 30, 12)) == (ts(2026, 4, 30), ts(2026, 5, 31))
    start, end = cycle_containing(ts(2026, 10, 15), ts(2026, 11, 15), ts(2027, 2, 1))
    assert (start, end) == (ts(2027, 1, 15), ts(2027, 2, 15))
    assert cycle_containing(ts(2026, 10, 15), ts(2026, 10, 15), ts(2027, 2, 1)) is None


# -- GET /service/, read tolerantly -----------------------------------------------------------------


def service(**fields) -> dict:
    body = {"serviceId": 152515, "lastRenew": int(ts(2026, 11, 15)), "renewDate": int(ts(2026, 12, 15)),
            "period": "monthly", "serviceDevices": [{"id": 24011}],
            "bandwidthBilling": {"billingMethod": "transfer", "includedTransferUnit": "20 TB",
                                 "notification": "enabled", "overageUnit": "GB"}}
    body.update(fields)
    return body


def test_service_terms_parse_where_the_values_are_clear() -> None:
    facts = service_facts(service())
    assert facts.terms == BillingTerms(ts(2026, 11, 15), ts(2026, 12, 15), 20 * TB, None, ())
    assert facts.device_ids == ("24011",)
    priced = service_facts(service(bandwidthBilling={"overageUnit": "$0.02/GB"}))
    assert priced.terms.overage_usd_per_gb == pytest.approx(0.02)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"lastRenew": "soon"}, "lastRenew 'soon' is not a time"),
        ({"lastRenew": 5, "renewDate": 4}, "lastRenew 5 is not a time"),
        ({"bandwidthBilling": {"includedTransferUnit": "TB"}}, "includedTransferUnit 'TB' names no amount"),
        ({"bandwidthBilling": {"billingMethod": "95th percentile"}}, "95th percentile"),
        ({"bandwidthBilling": {"overageUnit": "by arrangement"}}, "overageUnit 'by arrangement'"),
        ({"period": "annually", "renewDate": int(ts(2027, 11, 15))}, "taken as monthly from lastRenew"),
    ],
)
def test_values_that_do_not_parse_fall_back_to_config_and_say_so(fields, words) -> None:
    facts = service_facts(service(**fields))
    assert any(words in note for note in facts.terms.notes), facts.terms.notes
    assert all(note.startswith("GET /service/:") for note in facts.terms.notes)


def test_devices_join_their_service_through_service_devices_like_whmcs() -> None:
    services = parse_services([service(), service(serviceId=152600, serviceDevices=[{"deviceId": 24099}])])
    listing = parse_devices(
        [{"deviceId": 24011, "name": "a", "servicePlan": 152515},
         {"deviceId": 24099, "name": "b"},  # no servicePlan: serviceDevices ties it (deviceId spelling)
         {"deviceId": 24100, "name": "c"}],  # nothing ties it: skipped, with the reason
        "hv", services,
    )  # fmt: skip
    assert [r.id for r in listing.resources] == ["152515", "152600"]
    assert listing.resources[0].billing.allowance_out_bytes == 20 * TB
    assert [(s.id, s.name) for s in listing.skipped] == [("24100", "c")]
    assert "no servicePlan" in listing.skipped[0].reason


def test_provider_allowance_yields_to_an_allowance_written_in_the_config() -> None:
    terms = BillingTerms(allowance_out_bytes=20 * TB)
    default = billing_for(hv(terms), Usage(0, TB, ts(2026, 11, 20)), AccountConfig("hv", "hivelocity"), 0)
    assert (default.allowance_out_bytes, default.allowance_source) == (20 * TB, "provider")
    config = parse_config_text('[[account]]\nname = "hv"\nprovider = "hivelocity"\nallowance_out_tb = 10\n')
    written = billing_for(hv(terms), Usage(0, TB, ts(2026, 11, 20)), config.accounts[0], 0)
    assert (written.allowance_out_bytes, written.allowance_source) == (10 * TB, "config")


# -- end to end: status --json -----------------------------------------------------------------------


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("BWTUI_CONFIG", raising=False)
    for name in list(os.environ):
        if name.startswith("BWTUI_TOKEN_"):
            monkeypatch.delenv(name)
    return tmp_path


def _config(path: Path, server, sim, extra: str = "") -> Path:
    path.write_text(
        f'[[account]]\nname = "hv"\nprovider = "hivelocity"\n'
        f'base_url = "{server.base_url}{sim.hivelocity_base_url_path}"\n{extra}'
        f'[[account]]\nname = "vpn"\nprovider = "altostrat"\n'
        f'base_url = "{server.base_url}{sim.altostrat_base_path}"\n'
    )
    return path


def test_status_json_names_each_period_and_where_it_came_from(isolated, capsys, monkeypatch):
    sim = Simulator(SimulatorConfig(seed=4, hivelocity_services=6, altostrat_instances=2,
                                    altostrat_reset_after_s=None))
    with serve_in_thread(sim) as server:
        config = _config(isolated / "c.toml", server, sim)
        monkeypatch.setenv("BWTUI_TOKEN_HV", sim.config.hivelocity_token)
        monkeypatch.setenv("BWTUI_TOKEN_VPN", sim.config.altostrat_token)
        sim.hivelocity.set_variant(sim.hv_services[1].service_id, "billing_garbled")
        sim.hivelocity.set_variant(sim.hv_services[2].service_id, "no_service_plan")
        assert main(["status", "--json", "--config", str(config)]) == 0
    document = json.loads(capsys.readouterr().out)
    by_id = {r["id"]: r for r in document["resources"]}
    mid = by_id[str(sim.hv_services[4].service_id)]  # renews on the 15th (GET /service/)
    start, end = period_bounds(time.time(), 15)
    assert (mid["period_start"], mid["period_end"], mid["period_source"]) == (
        iso_utc(start), iso_utc(end), "provider")
    garbled = by_id[str(sim.hv_services[1].service_id)]
    assert garbled["period_source"] == "calendar"
    assert garbled["period_start"] == iso_utc(period_bounds(time.time())[0])
    assert any(w["kind"] == "billing" and "lastRenew 'soon'" in w["message"] for w in garbled["warnings"])
    assert str(sim.hv_services[2].service_id) in by_id  # joined through serviceDevices
    assert all(r["period_source"] == "calendar" for r in document["resources"] if r["provider"] == "altostrat")
    assert [a["skipped"] for a in document["accounts"]] == [[], []]


class AltostratCounters:
    """Stands in for ``collect_once``: one Altostrat instance whose counters we set."""

    def __init__(self) -> None:
        self.reading = Reading(0, 0, 0)

    async def collect_once(self, runtimes, *, clock, settings, **budget):  # budget: ledger, cached, when_short
        from bwtui.collect import AccountResult
        from bwtui.model import ResourceState

        resource = Resource("vpn", "altostrat", "instance", "i-1", "gw")
        usage = Usage(self.reading.in_bytes, self.reading.out_bytes, self.reading.t)
        return [AccountResult("vpn", "altostrat", None, (resource,))], [ResourceState(resource, usage=usage)]


def test_altostrat_period_starts_at_the_reset_seen_between_two_runs(isolated, capsys, monkeypatch):
    import sys
    import types

    from bwtui.runtime import AccountRuntime

    fake = AltostratCounters()
    module = types.ModuleType("bwtui.collect")
    module.collect_once = fake.collect_once  # type: ignore[attr-defined]
    module.AccountResult = __import__("bwtui.collect", fromlist=["AccountResult"]).AccountResult  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bwtui.collect", module)
    monkeypatch.setattr("bwtui.runtime.build_runtimes", lambda c: [AccountRuntime(a, None) for a in c.accounts])
    config = isolated / "c.toml"
    config.write_text('[[account]]\nname = "vpn"\nprovider = "altostrat"\n')

    def status_at(t: float, out_bytes: int) -> dict:
        fake.reading = Reading(t, out_bytes // 2, out_bytes)
        main(["status", "--json", "--config", str(config)])
        (record,) = json.loads(capsys.readouterr().out)["resources"]
        return record

    before = status_at(ts(2026, 12, 1, 12, 58), 900 * 10**9)
    assert before["period_source"] == "calendar"
    after = status_at(ts(2026, 12, 1, 13, 2), 10**9)  # the counters dropped: a new period
    assert (after["period_source"], after["period_start"]) == ("observed_reset", "2026-12-01T13:00:00Z")
    assert after["projection"] == "too_early" and after["projected_out_bytes"] is None
    later = status_at(ts(2026, 12, 1, 19, 0), 36 * 10**9)
    assert later["period_source"] == "observed_reset" and later["projection"] == "estimate"
    assert later["period_end"] == "2027-01-01T13:00:00Z"
    assert later["projected_out_bytes"] == round(36 * 10**9 / (6 * 3600) * (31 * 86400))


def test_totals_asked_for_just_after_a_boundary_belong_to_the_new_period() -> None:
    boundary = ts(2026, 12, 1)
    usage = Usage(0, 0, boundary - 300, period_start=boundary)  # the newest row ends 23:55
    fig = billing_for(hv(), usage, AccountConfig("hv", "hivelocity"), boundary + 30)
    assert fig.period_start == boundary and fig.warnings == ()


def test_totals_over_another_window_are_flagged_not_projected_silently() -> None:
    usage = Usage(0, TB, ts(2026, 11, 20), period_start=ts(2026, 11, 10))
    fig = billing_for(hv(), usage, AccountConfig("hv", "hivelocity"), 0)
    assert [w.kind for w in fig.warnings] == ["period"]
    assert "2026-11-10T00:00:00Z" in fig.warnings[0].message
