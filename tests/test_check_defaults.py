"""`bwtui check` with no flags flags projected overage by default; `--availability` only asks
whether everything answers; a units warning is UNKNOWN."""

from __future__ import annotations

import argparse
import sys
import types
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bwtui.collect import AccountResult
from bwtui.commands import check
from bwtui.config import Thresholds
from bwtui.model import DataWarning, ErrorKind, ProviderError, Resource, ResourceState, Usage
from bwtui.runtime import AccountRuntime
from bwtui.thresholds import Level, evaluate, overage_levels

TB = 10**12
NOV_16 = datetime(2026, 11, 16, tzinfo=UTC).timestamp()  # half of November gone


class Fleet:
    """Stands in for ``collect_once``: two Hivelocity services with usage we choose."""

    def __init__(self) -> None:
        self.out_bytes = {"1": TB, "2": TB}
        self.error: ProviderError | None = None
        self.warnings: tuple[DataWarning, ...] = ()

    async def collect_once(self, runtimes, *, clock, settings, **budget):  # budget: ledger, cached, when_short
        states = []
        for rid, out_bytes in self.out_bytes.items():
            resource = Resource("hv", "hivelocity", "service", rid, f"server-{rid}")
            usage = Usage(0, out_bytes, NOV_16, warnings=self.warnings if rid == "1" else ())
            error = self.error if rid == "2" else None
            states.append(ResourceState(resource, in_bps=1e6, out_bps=1e7, usage=usage, error=error))
        return [AccountResult("hv", "hivelocity", None, tuple(s.resource for s in states))], states


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fleet:
    fake = Fleet()
    module = types.ModuleType("bwtui.collect")
    module.collect_once = fake.collect_once  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bwtui.collect", module)
    monkeypatch.setattr("bwtui.runtime.build_runtimes", lambda c: [AccountRuntime(a, None) for a in c.accounts])
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("BWTUI_CONFIG", str(tmp_path / "config.toml"))
    (tmp_path / "config.toml").write_text('[[account]]\nname = "hv"\nprovider = "hivelocity"\n')
    return fake


def run(argv: list[str], capsys) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="bwtui")
    check.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["check", *argv])
    code = args.func(args)
    return code, capsys.readouterr().out


def test_with_no_flags_a_projected_overage_is_critical(fleet: Fleet, capsys) -> None:
    fleet.out_bytes["2"] = 6 * TB  # → 12 TB by month's end, 120 % of 10 TB
    code, line = run([], capsys)
    assert code == 2 and line.startswith("BWTUI CRITICAL - 1 critical of 2 resources")
    assert "projected out 120% > critical 100%" in line
    # perfdata carries the default levels too: 90 % and 100 % of the 10 TB allowance
    assert "'hv/2 projected_out'=12000000000000B;9000000000000;10000000000000;0;10000000000000" in line


def test_with_no_flags_ninety_percent_is_a_warning(fleet: Fleet, capsys) -> None:
    fleet.out_bytes["1"] = int(4.6 * TB)  # → 9.2 TB, 92 %
    code, line = run([], capsys)
    assert code == 1 and "projected out 92% > warning 90%" in line


def test_the_default_flag_can_be_turned_off(fleet: Fleet, capsys, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[[account]]\nname = "hv"\nprovider = "hivelocity"\n[account.thresholds]\nflag_overage = false\n'
    )
    fleet.out_bytes["2"] = 6 * TB
    code, line = run([], capsys)
    assert code == 0 and line.startswith("BWTUI OK - 2 resources OK")


def test_availability_is_a_plain_answering_check(fleet: Fleet, capsys) -> None:
    fleet.out_bytes["2"] = 6 * TB
    code, line = run(["--availability"], capsys)
    assert (code, line.strip()) == (0, "BWTUI OK - 2 resources answering")
    fleet.error = ProviderError(ErrorKind.SERVER, "HTTP 503")
    code, line = run(["--availability"], capsys)
    assert code == 2 and "hv/server-2: server: HTTP 503" in line


def test_a_units_warning_makes_the_check_unknown(fleet: Fleet, capsys) -> None:
    fleet.warnings = (DataWarning("units", "Out Xfer 8.0× the rates"),)
    code, line = run([], capsys)
    assert code == 3 and "units: Out Xfer 8.0× the rates" in line


def test_default_levels_and_configured_ones() -> None:
    assert overage_levels(Thresholds()) == (90.0, 100.0, False)
    assert overage_levels(Thresholds(flag_overage=False)) == (None, None, False)
    assert overage_levels(Thresholds(crit_projected_pct=80)) == (80.0, 80.0, True)
    assert overage_levels(Thresholds(warn_projected_pct=50, flag_overage=False)) == (50, None, True)


def test_the_overage_level_is_exposed_apart_from_the_overall_level() -> None:
    from bwtui.billing import billing_for
    from bwtui.config import AccountConfig

    resource = Resource("hv", "hivelocity", "service", "1", "x")
    state = ResourceState(resource, in_bps=0.0, out_bps=0.0, usage=Usage(0, 6 * TB, NOV_16))
    figures = billing_for(resource, state.usage, AccountConfig("hv", "hivelocity"), 0)
    result = evaluate(state, figures, Thresholds())
    assert (result.level, result.overage) == (Level.CRITICAL, Level.CRITICAL)
    quiet = evaluate(ResourceState(resource, in_bps=0.0, out_bps=0.0), None, Thresholds())
    assert (quiet.level, quiet.overage) == (Level.OK, Level.OK)  # no usage: the default stays silent
