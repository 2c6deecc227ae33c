"""``bwtui check`` (monitoring-plugin line, exit codes) and ``bwtui export`` (CSV/JSON history)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import types
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bwtui.billing import billing_for
from bwtui.commands import check, export
from bwtui.commands.check import CheckItem, evaluate_check, with_cli_thresholds
from bwtui.config import AccountConfig, Thresholds
from bwtui.history import HistoryStore
from bwtui.model import ErrorKind, ProviderError, Reading, Resource, ResourceState, Sample, Usage
from bwtui.runtime import AccountRuntime
from bwtui.thresholds import Level

NOV_16 = datetime(2026, 11, 16, tzinfo=UTC).timestamp()
RATES = Thresholds(warn_out_bps=500e6, crit_out_bps=800e6)
HV = AccountConfig("hv-prod", "hivelocity", thresholds=RATES)


def res(
    rid: str, name: str | None = None, account: str = "hv-prod", provider: str = "hivelocity"
) -> Resource:
    kind = "service" if provider == "hivelocity" else "instance"
    return Resource(account, provider, kind, rid, name or f"srv-{rid}")  # type: ignore[arg-type]


def item(
    out_bps: float | None,
    rid: str = "1",
    *,
    error: ProviderError | None = None,
    usage: Usage | None = None,
    thresholds: Thresholds = RATES,
    name: str | None = None,
) -> CheckItem:
    resource = res(rid, name)
    state = ResourceState(
        resource,
        in_bps=0.0 if out_bps is not None else None,
        out_bps=out_bps,
        usage=usage,
        error=error,
    )
    fig = billing_for(resource, usage, HV, NOV_16) if usage else None
    return CheckItem(state, fig, thresholds)


# -- the pure verdict -----------------------------------------------------------------------------


def test_all_ok_line_and_perfdata() -> None:
    result = evaluate_check([item(400e6, "1"), item(12.5e6, "2")])
    assert result.exit_code == 0
    assert result.line == (
        "BWTUI OK - 2 resources OK | "
        "'hv-prod/1 in'=0;;;0 'hv-prod/1 out'=400000000;500000000;800000000;0 "
        "'hv-prod/2 in'=0;;;0 'hv-prod/2 out'=12500000;500000000;800000000;0"
    )


@pytest.mark.parametrize(
    ("rates", "level", "code"),
    [
        ([100e6], Level.OK, 0),
        ([600e6, 100e6], Level.WARNING, 1),
        ([900e6, 600e6], Level.CRITICAL, 2),
        ([None, 100e6], Level.UNKNOWN, 3),
        ([None, 600e6], Level.UNKNOWN, 3),  # unknown beats warning
        ([None, 900e6, 600e6], Level.CRITICAL, 2),  # critical beats unknown
    ],
)
def test_worst_state_wins_with_plugin_exit_codes(rates: list, level: Level, code: int) -> None:
    result = evaluate_check([item(r, str(i)) for i, r in enumerate(rates)])
    assert result.level is level and result.exit_code == code
    assert result.line.startswith(f"BWTUI {level.value} - ")


def test_problem_summary_names_resources_worst_first() -> None:
    result = evaluate_check(
        [item(600e6, "1", name="web"), item(900e6, "2", name="db"), item(1.0, "3")]
    )
    assert result.summary == (
        "1 critical, 1 warning of 3 resources; "
        "CRITICAL: hv-prod/db: out 900 Mbit/s > critical 800 Mbit/s; "
        "WARNING: hv-prod/web: out 600 Mbit/s > warning 500 Mbit/s"
    )


def test_long_problem_lists_are_cut() -> None:
    result = evaluate_check([item(900e6, str(i)) for i in range(8)], max_listed=3)
    assert result.summary.endswith("+5 more")
    assert result.summary.count("CRITICAL:") == 3


def test_failed_account_and_failed_resource_are_unknown() -> None:
    error = ProviderError(ErrorKind.SERVER, "upstream timeout")
    result = evaluate_check([item(1.0, "1", error=error)], [("vpn", "auth: invalid token")])
    assert result.level is Level.UNKNOWN
    assert "UNKNOWN: account vpn: auth: invalid token" in result.summary
    assert "UNKNOWN: hv-prod/srv-1: server: upstream timeout" in result.summary


def test_nothing_to_check_is_unknown() -> None:
    result = evaluate_check([], empty_reason="no resource matches 'x'")
    assert result.line == "BWTUI UNKNOWN - no resource matches 'x'" and result.exit_code == 3


def test_untrusted_names_cannot_break_the_line() -> None:
    hostile = "evil|'name'=1\n\x1b[31mred"
    result = evaluate_check([item(900e6, "a'b=c|d", name=hostile)])
    line = result.line
    assert "\n" not in line and "\x1b" not in line
    summary, perfdata = line.split(" | ")
    assert "|" not in summary and "evil?'name'=1??[31mred" in summary
    assert perfdata.startswith("'hv-prod/a_b_c_d in'=0")


def test_bytes_perfdata_with_allowance_and_unknown_values() -> None:
    thresholds = Thresholds(warn_projected_pct=80, crit_projected_pct=100)
    result = evaluate_check(
        [item(None, "1", usage=Usage(0, 6 * 10**12, NOV_16), thresholds=thresholds)]
    )
    assert result.level is Level.CRITICAL  # projected 12 TB of 10 TB
    assert result.perfdata == (
        "'hv-prod/1 in'=U;;;0",
        "'hv-prod/1 out'=U;;;0",
        "'hv-prod/1 period_out'=6000000000000B;;;0;10000000000000",
        "'hv-prod/1 projected_out'=12000000000000B;8000000000000;10000000000000;0;10000000000000",
    )


def test_cli_thresholds_override_the_chosen_direction() -> None:
    base = Thresholds(warn_out_bps=1.0, warn_projected_pct=90)
    out = with_cli_thresholds(base, 500e6, 800e6, "out")
    assert (out.warn_out_bps, out.crit_out_bps, out.warn_in_bps, out.warn_projected_pct) == (
        500e6,
        800e6,
        None,
        90,
    )
    both = with_cli_thresholds(base, 500e6, None, "both")
    assert (both.warn_in_bps, both.warn_out_bps, both.crit_out_bps) == (500e6, 500e6, None)


# -- the command, with a fake one-shot collector --------------------------------------------------


@dataclass
class AccountResult:
    name: str
    provider: str
    error: ProviderError | None = None
    resources: tuple[object, ...] = ()
    budget: object = None  # a bwtui.collect.BudgetNote when the shared budget fell short


class FakeProviders:
    """Stands in for ``collect_once``: fixed Hivelocity rates, growing Altostrat totals."""

    def __init__(self) -> None:
        self.hv_out_bps = 100e6
        self.alto_bytes = 10**9
        self.t = NOV_16
        self.account_error: ProviderError | None = None

    async def collect_once(self, runtimes, *, clock, settings, **budget):  # budget: ledger, cached, when_short
        results, states = [], []
        for runtime in runtimes:
            name = runtime.name
            if name == "hv-prod":
                if self.account_error:
                    results.append(AccountResult(name, "hivelocity", self.account_error))
                    continue
                results.append(AccountResult(name, "hivelocity"))
                for rid in ("152515", "152516"):
                    states.append(
                        ResourceState(
                            res(rid),
                            in_bps=1e6,
                            out_bps=self.hv_out_bps,
                            usage=Usage(10**12, 2 * 10**12, self.t),
                        )
                    )
            else:
                results.append(AccountResult(name, "altostrat"))
                states.append(
                    ResourceState(
                        res("d290f1ee", "gw", "vpn", "altostrat"),
                        usage=Usage(self.alto_bytes, 2 * self.alto_bytes, self.t),
                    )
                )
        return results, states


CONFIG = """
[[account]]
name = "hv-prod"
provider = "hivelocity"
[account.thresholds]
warn_out = "500M"
crit_out = "800M"

[[account]]
name = "vpn"
provider = "altostrat"
"""


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeProviders:
    providers = FakeProviders()
    module = types.ModuleType("bwtui.collect")
    module.collect_once = providers.collect_once  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bwtui.collect", module)
    monkeypatch.setattr(
        "bwtui.runtime.build_runtimes",
        lambda config: [AccountRuntime(a, None) for a in config.accounts],
    )
    (tmp_path / "config.toml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    return providers


def run_cli(module, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="bwtui")
    module.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code = args.func(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_uses_config_thresholds(fake: FakeProviders, capsys) -> None:
    fake.hv_out_bps = 600e6
    code, out, _ = run_cli(
        check, ["check", "--config", "config.toml", "--account", "hv-prod"], capsys
    )
    assert code == 1
    assert out.startswith(
        "BWTUI WARNING - 2 warnings of 2 resources; WARNING: hv-prod/srv-152515: out 600"
    )
    assert out.count("\n") == 1


def test_check_command_line_thresholds_and_resource_filter(fake: FakeProviders, capsys) -> None:
    fake.hv_out_bps = 600e6
    code, out, _ = run_cli(
        check,
        [
            "check",
            "--config",
            "config.toml",
            "--resource",
            "152516",
            "--warning",
            "700M",
            "--critical",
            "1G",
        ],
        capsys,
    )
    assert code == 0
    assert out == (
        "BWTUI OK - 1 resource OK | 'hv-prod/152516 in'=1000000;;;0 "
        "'hv-prod/152516 out'=600000000;700000000;1000000000;0 "
        "'hv-prod/152516 period_out'=2000000000000B;;;0;10000000000000 "
        "'hv-prod/152516 projected_out'=4000000000000B;9000000000000;10000000000000;0;10000000000000\n"
    )


def test_altostrat_rate_comes_from_the_previous_run(fake: FakeProviders, capsys) -> None:
    argv = ["check", "--config", "config.toml", "--account", "vpn", "--warning", "100M"]
    code, out, _ = run_cli(check, argv, capsys)
    assert code == 3 and "vpn/gw: out: no data yet" in out  # first run: nothing to difference yet
    fake.t += 10
    fake.alto_bytes += 250 * 10**6  # 250 MB in and 500 MB out over 10 s
    code, out, _ = run_cli(check, argv, capsys)
    assert code == 1
    assert "vpn/gw: out 400 Mbit/s > warning 100 Mbit/s" in out
    assert "'vpn/d290f1ee out'=400000000;100000000;;0" in out


def test_check_keeps_a_corrupt_history_aside_and_starts_a_new_one(
    fake: FakeProviders, tmp_path: Path, capsys
) -> None:
    db = tmp_path / "state" / "bwtui" / "history.sqlite3"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"garbage" * 1000)
    code, out, err = run_cli(
        check, ["check", "--config", "config.toml", "--account", "hv-prod"], capsys
    )
    assert code == 0 and out.startswith("BWTUI OK - 2 resources OK | ")
    assert "corrupt" in err and "new history was started" in err
    assert len(list(db.parent.glob("history.sqlite3.corrupt-*"))) == 1  # kept, not deleted


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--warning", "lots"], "--warning: 'lots' is not a rate"),
        (["--warning", "900M", "--critical", "800M"], "--warning is above --critical"),
        (["--account", "nope"], "no account named 'nope'"),
        (["--resource", "nope"], "no resource matches 'nope'"),
    ],
)
def test_plugin_problems_are_unknown_exit_3(
    fake: FakeProviders, capsys, argv: list[str], message: str
) -> None:
    code, out, _ = run_cli(check, ["check", "--config", "config.toml", *argv], capsys)
    assert code == 3 and out.startswith("BWTUI UNKNOWN - ") and message in out


def test_bad_config_is_unknown_not_critical(fake: FakeProviders, tmp_path: Path, capsys) -> None:
    (tmp_path / "bad.toml").write_text("[[account]]\nname = 'x'\nprovider = 'nope'\n")
    code, out, _ = run_cli(check, ["check", "--config", "bad.toml"], capsys)
    assert code == 3 and out.startswith("BWTUI UNKNOWN - config: ")


def test_failing_account_makes_the_check_unknown(fake: FakeProviders, capsys) -> None:
    fake.account_error = ProviderError(ErrorKind.AUTH, "Invalid API key")
    code, out, _ = run_cli(check, ["check", "--config", "config.toml"], capsys)
    assert code == 3
    assert "UNKNOWN: account hv-prod: auth: Invalid API key" in out


# -- export ---------------------------------------------------------------------------------------


@pytest.fixture
def history(tmp_path: Path) -> Path:
    path = tmp_path / "history.sqlite3"
    with HistoryStore(path, clock=lambda: NOV_16) as store:
        store.add_samples(
            ("hv-prod", "152515"),
            [Sample(NOV_16 - 3 * 86400, 1.0, 2.0), Sample(NOV_16 - 300, 3.5, 4.0)],
        )
        store.add_reading(("vpn", "d290f1ee"), Reading(NOV_16 - 60, 100, 200))
    return path


def test_export_csv_for_spreadsheets(history: Path, capsys) -> None:
    code, out, _ = run_cli(export, ["export", "--csv", "--history", str(history)], capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(export.CSV_COLUMNS)
    assert [(r["account"], r["record"], r["tier"], r["time"]) for r in rows] == [
        ("hv-prod", "sample", "hour", "2026-11-13T00:00:00Z"),
        ("hv-prod", "sample", "raw", "2026-11-15T23:55:00Z"),
        ("vpn", "reading", "", "2026-11-15T23:59:00Z"),
    ]
    assert rows[1]["out_bps"] == "4.0" and rows[2]["out_bytes"] == "200" and rows[2]["in_bps"] == ""


def test_export_json_since_and_filters(history: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "out.json"
    argv = [
        "export",
        "--json",
        "--history",
        str(history),
        "--since",
        "2026-11-15",
        "-o",
        str(target),
    ]
    code, out, _ = run_cli(export, argv, capsys)
    assert code == 0 and out == ""
    document = json.loads(target.read_text())
    assert document["since"] == "2026-11-15T00:00:00Z"
    assert [(r["account"], r["record"]) for r in document["records"]] == [
        ("hv-prod", "sample"),
        ("vpn", "reading"),
    ]
    args = argparse.Namespace(
        json=True,
        csv=False,
        since="1h",
        account="vpn",
        resource=None,
        output=None,
        history=str(history),
    )
    assert export.run(args, now=NOV_16) == 0
    records = json.loads(capsys.readouterr().out)["records"]
    assert records == [
        {
            "account": "vpn",
            "resource_id": "d290f1ee",
            "record": "reading",
            "tier": None,
            "time": "2026-11-15T23:59:00Z",
            "t": int(NOV_16 - 60),
            "in_bps": None,
            "out_bps": None,
            "in_bytes": 100,
            "out_bytes": 200,
        }
    ]


def test_since_accepts_dates_times_and_ages() -> None:
    assert export.parse_since("2026-11-16", 0) == NOV_16
    assert export.parse_since("2026-11-16T01:00:00Z", 0) == NOV_16 + 3600
    assert export.parse_since("7d", NOV_16) == NOV_16 - 7 * 86400
    assert export.parse_since("90m", NOV_16) == NOV_16 - 5400
    with pytest.raises(ValueError, match="age"):
        export.parse_since("last tuesday", 0)


def test_export_without_history_writes_an_empty_table(tmp_path: Path, capsys) -> None:
    code, out, err = run_cli(
        export, ["export", "--json", "--history", str(tmp_path / "none.db")], capsys
    )
    assert code == 0 and json.loads(out)["records"] == [] and "no history yet" in err
    assert not (tmp_path / "none.db").exists()


def test_export_reports_a_corrupt_history_and_bad_since(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage" * 1000)
    code, out, err = run_cli(export, ["export", "--csv", "--history", str(bad)], capsys)
    assert code == 3 and out == "" and "corrupt" in err and str(bad) in err
    code, _, err = run_cli(
        export, ["export", "--csv", "--history", str(bad), "--since", "soon"], capsys
    )
    assert code == 2 and "--since 'soon'" in err


def test_demo_check_end_to_end_gets_altostrat_rates_on_the_second_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Real clients, collector and simulator on 127.0.0.1; history in a temporary state dir."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    argv = ["check", "--demo", "--account", "vpn-demo", "--warning", "10T"]
    code, first, _ = run_cli(check, argv, capsys)
    assert code == 3 and first.startswith("BWTUI UNKNOWN - 6 unknown of 6 resources")
    assert first.count("out'=U") == 6
    _, second, _ = run_cli(check, argv, capsys)
    # Rates now come from the first run's readings. (Not asserting all six: the simulator's
    # counters have been seen to dip by a few kB within a second, which reads as a new period.)
    assert second.count("out'=U") < 3
    assert re.search(r"'vpn-demo/[0-9a-f-]+ out'=\d+;10000000000000;;0", second)


def test_check_without_accounts_names_a_command_that_can_be_typed(tmp_path: Path, capsys) -> None:
    """The fix is a command a user can copy: no '?' where a Nagios-safe '|' was replaced."""
    (tmp_path / "empty.toml").write_text("")
    code, out, _ = run_cli(check, ["check", "--config", str(tmp_path / "empty.toml")], capsys)
    assert code == 3
    assert out.startswith("BWTUI UNKNOWN - no accounts configured")
    assert "`bwtui account add NAME --provider PROVIDER` (`bwtui providers` lists them)" in out
    assert "?" not in out.split("|")[0]


def test_an_account_that_lists_nothing_is_counted_as_an_account() -> None:
    """'1 unknown of 0 resources' read as nonsense: a failed account is counted apart."""
    alone = evaluate_check([], [("hv-prod", "network: could not connect")])
    assert alone.line.startswith("BWTUI UNKNOWN - 1 account unknown; UNKNOWN: account hv-prod: network")
    beside = evaluate_check([item(1.0, "1")], [("vpn", "auth: invalid token")])
    assert beside.line.startswith("BWTUI UNKNOWN - 1 resource OK, 1 account unknown; UNKNOWN: account vpn")
