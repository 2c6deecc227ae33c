"""Period tables: rows add up to their period, totals match the simulator's own transfer, costs
add up to the period's overage, and `bwtui report` prints them as a table, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from bwtui.billing import overage_cost
from bwtui.charts.data import assemble
from bwtui.cli import main
from bwtui.history import HistoryStore, Retention
from bwtui.history_read import stored_points, window_sources
from bwtui.model import Sample
from bwtui.periods import period_bounds
from bwtui.reports import Pricing, build_table, oldest_needed
from bwtui.simulator import Simulator, SimulatorConfig
from bwtui.simulator.traffic import integral_bits, series

NOW = 1_768_482_420.0  # 2026-01-15 13:07 UTC
KEY = ("hv-prod", "152080")


def period_of(t: float) -> tuple[float, float]:
    return period_bounds(t, 1)


@pytest.fixture
def profile():
    sim = Simulator(SimulatorConfig(seed=7, hivelocity_services=3, altostrat_instances=0, clock=lambda: NOW))
    return sim.hv_services[1].profile


@pytest.fixture
def store(tmp_path: Path, profile) -> HistoryStore:
    """What two months of running bwtui leave: hourly averages, then 5-minute points for 2 days."""
    history = HistoryStore(tmp_path / "h.sqlite3", retention=Retention(), clock=lambda: NOW, auto_compact=False)
    raw_from = int((NOW - 2 * 86400) // 3600 * 3600)
    hourly_from = int(period_bounds(NOW - 40 * 86400)[0])
    hours = (raw_from - hourly_from) // 3600
    rows = series(profile, hourly_from, 3600, hours)
    history.add_samples(KEY, [Sample(hourly_from + i * 3600, a, b) for i, (a, b) in enumerate(rows)], step_s=3600)
    count = int((NOW - raw_from) // 300)
    fine = series(profile, raw_from, 300, count)
    history.add_samples(KEY, [Sample(raw_from + i * 300, a, b) for i, (a, b) in enumerate(fine)], step_s=300)
    yield history
    history.close()


def _table(store: HistoryStore, kind: str, pricing: Pricing = Pricing(), count: int | None = None):
    start = oldest_needed(kind, NOW, count, period_of)
    points = stored_points(store, KEY, start, NOW)
    return build_table(kind, KEY, "x", points, now=NOW, period_of=period_of, pricing=pricing, count=count)


def test_daily_rows_add_up_to_the_billing_period_row(store: HistoryStore) -> None:
    daily = _table(store, "daily", count=40)
    periods = _table(store, "periods", count=2)
    current = periods.rows[0]
    assert current.ongoing and current.label.startswith("2026-01-01")
    in_period = [row for row in daily.rows if current.start <= row.start < current.end]
    assert len(in_period) == 15  # Jan 1 .. Jan 15
    assert sum(r.out_bytes for r in in_period) == pytest.approx(current.out_bytes, rel=1e-12)
    assert sum(r.in_bytes for r in in_period) == pytest.approx(current.in_bytes, rel=1e-12)
    hourly = _table(store, "hourly", count=14)  # 00:00 .. 13:00
    today = next(row for row in daily.rows if row.ongoing)
    assert sum(r.out_bytes for r in hourly.rows if r.start >= today.start) == pytest.approx(today.out_bytes, rel=1e-12)


def test_period_totals_match_the_simulators_own_transfer(store: HistoryStore, profile) -> None:
    current = _table(store, "periods", count=1).rows[0]
    bits_in, bits_out = integral_bits(profile, current.start, NOW - NOW % 300)
    assert current.out_bytes == pytest.approx(bits_out / 8, rel=1e-6)
    assert current.in_bytes == pytest.approx(bits_in / 8, rel=1e-6)
    assert current.coverage > 0.99


def test_row_costs_add_up_to_the_periods_overage(store: HistoryStore) -> None:
    pricing = Pricing(allowance_out_bytes=5 * 10**12, usd_per_gb=0.01)
    daily = _table(store, "daily", pricing, count=40)
    period = _table(store, "periods", pricing, count=2).rows[0]
    expected = overage_cost(round(period.out_bytes), pricing.allowance_out_bytes, pricing.usd_per_gb)
    assert period.cost_usd == pytest.approx(expected, abs=0.01)
    in_period = [row for row in daily.rows if period.start <= row.start < period.end]
    assert sum(r.cost_usd or 0 for r in in_period) == pytest.approx(period.cost_usd, abs=1e-6)
    assert in_period[-1].cost_usd == 0  # the first days fit in the allowance
    assert in_period[0].cost_usd > 0  # the newest ones are beyond it


def test_resolution_and_condensed_points_are_named(store: HistoryStore) -> None:
    daily = _table(store, "daily", count=40)
    assert daily.rows[0].resolution in ("5-min", "mixed")
    assert daily.rows[-1].resolution == "hourly"
    assert any("hourly or daily averages" in note for note in daily.notes)
    assert not any("averages" in note for note in _table(store, "hourly", count=5).notes)


def test_p95_of_a_period_row_counts_its_points(store: HistoryStore) -> None:
    current = _table(store, "periods", Pricing(committed_out_bps=1e6), count=1).rows[0]
    assert current.p95_points == len([s for src in window_sources(store, KEY, current.start, NOW)
                                      if src.step_s == 300 for s in src.samples])
    assert current.p95_expected_points == int((NOW - current.start) // 300)
    assert current.p95_out_bps is not None and current.above_commit is not None


def test_finer_sources_in_memory_join_the_stored_ones(store: HistoryStore) -> None:
    newest = Sample(NOW - NOW % 300, 1.0, 8e9)
    points = assemble([*window_sources(store, KEY, NOW - 3600, NOW + 300)], NOW - 3600, NOW + 300)
    joined = stored_points(store, KEY, NOW - 3600, NOW + 300,
                           extra=[__import__("bwtui.charts.data", fromlist=["Source"]).Source("provider", 300, [newest])])
    assert len(joined.points) == len(points.points) + 1


# ----- the command --------------------------------------------------------------------------
@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: HistoryStore) -> Path:
    for var, sub in (("XDG_CONFIG_HOME", "cfg"), ("XDG_STATE_HOME", "state"), ("XDG_DATA_HOME", "data")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    config = tmp_path / "bwtui.toml"
    config.write_text('[[account]]\nname = "hv-prod"\nprovider = "hivelocity"\nallowance_out_tb = 0.2\n'
                      '[account.resources."152080"]\ncommitted_out = "40M"\n')
    return config


def _report(capsys: pytest.CaptureFixture[str], store: HistoryStore, config: Path, *args: str) -> tuple[int, str, str]:
    from bwtui.commands import report

    parser_args = ["report", "--config", str(config), "--history", str(store.path), *args]
    from bwtui.cli import build_parser

    namespace = build_parser("report").parse_args(parser_args)
    code = report.run(namespace, now=NOW)
    out, err = capsys.readouterr()
    return code, out, err


def test_report_prints_a_daily_table_newest_first(env: Path, store: HistoryStore, capsys) -> None:
    code, out, _ = _report(capsys, store, env)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "hv-prod/152080"
    assert lines[1].split()[:3] == ["day", "(UTC)", "IN"]
    assert lines[2].startswith("2026-01-15 Thu *")
    assert any(line.startswith("total") for line in lines)
    assert "* so far" in out


def test_report_periods_json_has_p95_and_costs(env: Path, store: HistoryStore, capsys) -> None:
    code, out, _ = _report(capsys, store, env, "--periods", "--json", "--rows", "2")
    assert code == 0
    document = json.loads(out)
    table = document["tables"][0]
    assert document["kind"] == "periods" and table["id"] == "152080"
    current = table["rows"][0]
    assert current["ongoing"] and current["start"] == "2026-01-01T00:00:00Z"
    assert current["p95_points"] > 0 and current["intervals_above_commit"] is not None
    assert current["overage_cost_usd"] > 0


def test_report_csv_has_one_row_per_line(env: Path, store: HistoryStore, capsys) -> None:
    code, out, _ = _report(capsys, store, env, "--hourly", "--csv", "--rows", "5")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 5 and rows[0]["kind"] == "hourly" and rows[0]["resolution"] == "5-min"


def test_report_for_an_unknown_account_is_a_usage_error(env: Path, store: HistoryStore, capsys) -> None:
    code, _, err = _report(capsys, store, env, "--account", "nope")
    assert code == 2 and "no account named 'nope'" in err


def test_report_without_history_says_how_to_get_some(tmp_path: Path, env: Path, capsys) -> None:
    code = main(["report", "--config", str(env), "--history", str(tmp_path / "none.sqlite3")])
    assert code == 3 and "no history yet" in capsys.readouterr().err
