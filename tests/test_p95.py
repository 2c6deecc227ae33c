"""95th-percentile billing: the period's 5-minute points, a reference computation, the commit."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bwtui.cli import main
from bwtui.config import parse_config_text
from bwtui.history import HistoryStore, Retention
from bwtui.history_read import period_five_minute_points
from bwtui.model import Period, Sample
from bwtui.p95 import committed_for, nearest_rank, p95_billing

START = 1_767_225_600.0  # 2026-01-01 00:00 UTC
END = 1_769_904_000.0  # 2026-02-01 00:00 UTC


def reference_p95(values: list[float]) -> float:
    """Burstable billing as carriers describe it: sort descending, drop the top 5 % (rounded
    down), bill the highest that is left."""
    ordered = sorted(values, reverse=True)
    return ordered[int(len(ordered) * 0.05)]


@given(st.lists(st.floats(min_value=0, max_value=1e10, allow_nan=False), min_size=1, max_size=3000))
@settings(max_examples=200, deadline=None)
def test_nearest_rank_equals_dropping_the_top_five_percent(values: list[float]) -> None:
    assert nearest_rank(values) == reference_p95(values)


def test_p95_of_a_period_uses_its_five_minute_points_only() -> None:
    rng = random.Random(5)
    now = START + 3 * 86400
    fine = [Sample(START + i * 300, rng.uniform(1e6, 5e6), rng.uniform(1e7, 9e7)) for i in range(864)]
    before = [Sample(START - 300 * k, 1e12, 1e12) for k in range(1, 20)]  # the previous period
    off_grid = [Sample(START + 3600 * k + 1830, 5e11, 5e11) for k in range(10)]  # not on the grid
    result = p95_billing(fine + before + off_grid, START, END, now)
    assert result.points == 864 == result.expected_points
    assert result.complete
    assert result.out_bps == reference_p95([s.out_bps for s in fine])
    assert result.in_bps == reference_p95([s.in_bps for s in fine])


def test_missing_points_are_counted_not_hidden() -> None:
    now = START + 86400
    half = [Sample(START + i * 600, 1.0, 2.0) for i in range(144)]
    result = p95_billing(half, START, END, now)
    assert result.points == 144 and result.expected_points == 288
    assert not result.complete and result.coverage == 0.5


def test_intervals_above_the_committed_rate_are_counted() -> None:
    samples = [Sample(START + i * 300, 0.0, 600e6 if i % 10 == 0 else 100e6) for i in range(100)]
    result = p95_billing(samples, START, END, START + 100 * 300, committed_out_bps=500e6)
    assert result.above_commit == 10
    assert result.as_json()["intervals_above_commit"] == 10
    assert result.as_json()["committed_out_bps"] == 500e6


def test_committed_rate_comes_from_the_resource_config() -> None:
    config = parse_config_text(
        '[[account]]\nname = "hv"\nprovider = "hivelocity"\n'
        '[account.resources."152515"]\ncommitted_out = "1.5G"\n'
    )
    account = config.accounts[0]
    from bwtui.model import Resource

    assert committed_for(Resource("hv", "hivelocity", "service", "152515", "x"), account) == 1.5e9
    assert committed_for(Resource("hv", "hivelocity", "service", "999", "y"), account) is None


def test_a_bad_committed_rate_names_the_line() -> None:
    from bwtui.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        parse_config_text('[[account]]\nname = "hv"\nprovider = "hivelocity"\n'
                          '[account.resources."1"]\ncommitted_out = "lots"\n', "c.toml")
    assert "c.toml:5" in str(caught.value) and "500M" in str(caught.value)


def test_the_day_p95_equals_the_providers_own_95th_on_the_simulator() -> None:
    """Our p95 over the simulator's day series matches the 95th it states for the same points."""
    from bwtui.providers.hivelocity import HivelocityClient
    from bwtui.simulator import Simulator, SimulatorConfig, serve_in_thread

    now = START + 10 * 86400 + 7 * 3600
    sim = Simulator(SimulatorConfig(seed=11, hivelocity_services=2, altostrat_instances=0,
                                    clock=lambda: now))
    with serve_in_thread(sim) as server:
        client = HivelocityClient("hv", sim.config.hivelocity_token,
                                  base_url=server.base_url + sim.hivelocity_base_url_path, clock=lambda: now)

        async def fetch():
            try:
                resources = await client.list_resources()
                return await client.fetch_series(resources[0], Period.DAY)
            finally:
                await client.aclose()

        series = asyncio.run(fetch())
    result = p95_billing(series.samples, START, END, now)
    assert result.points == len(series.samples)
    assert result.out_bps == pytest.approx(series.out_95th_bps, abs=0.01)
    assert result.in_bps == pytest.approx(series.in_95th_bps, abs=0.01)


def test_stored_five_minute_points_of_the_period_are_read_back(tmp_path: Path) -> None:
    now = START + 86400
    store = HistoryStore(tmp_path / "h.sqlite3", retention=Retention(), clock=lambda: now, auto_compact=False)
    key = ("hv", "1")
    samples = [Sample(START - 3600 + i * 300, 1e6, 2e6 + i) for i in range(300)]
    store.add_samples(key, samples, step_s=300)
    got = period_five_minute_points(store, key, START, now)
    assert [s.t for s in got] == [s.t for s in samples if START <= s.t < now]
    store.close()


def test_status_json_carries_p95_and_its_point_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    for var, sub in (("XDG_CONFIG_HOME", "cfg"), ("XDG_STATE_HOME", "state"), ("XDG_DATA_HOME", "data")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    code = main(["status", "--demo", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code in (0, 3)
    by_provider: dict[str, list[dict[str, object]]] = {}
    for record in document["resources"]:
        by_provider.setdefault(str(record["provider"]), []).append(record)
        assert {"p95_out_bps", "p95_points", "p95_expected_points", "intervals_above_commit"} <= set(record)
    for record in by_provider["hivelocity"]:
        assert isinstance(record["p95_out_bps"], float) and record["p95_out_bps"] > 0
        assert isinstance(record["p95_points"], int) and 0 < record["p95_points"] <= 288
    for record in by_provider["altostrat"]:
        assert record["p95_out_bps"] is None and record["p95_points"] == 0
