"""One-shot commands never crash: every mix of failing accounts, failing resources and zero
resources gives exit 3 (or the check convention), every failure as a row, no traceback."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bwtui.collect import AccountResult
from bwtui.commands import check, export, status
from bwtui.config import AccountConfig, Config
from bwtui.model import (
    BillingTerms,
    DataWarning,
    ErrorKind,
    ProviderError,
    Resource,
    ResourceState,
    SkippedItem,
    Usage,
)
from bwtui.oneshot import OneShot

NOW = 1_796_000_000.0  # 2026-11-30
HOSTILE = "evil\x1b]0;pwned\x07[bold]x|y"

kinds = st.sampled_from(list(ErrorKind))
messages = st.sampled_from(["", "no route to host", HOSTILE, "x" * 500, "línea ünïcode 日本"])
errors = st.builds(ProviderError, kinds, messages)
names = st.sampled_from(["web-1", "", HOSTILE, "日本語のサーバー名前", "a" * 80])
numbers = st.one_of(st.none(), st.integers(0, 10**16))
rates = st.one_of(st.none(), st.floats(0, 1e12))


@st.composite
def resource_states(draw, account: str, provider: str) -> ResourceState:
    rid = draw(st.sampled_from(["152515", "d290f1ee-6c54-4b01-90e6-d701748f0851", "7"]))
    rid = f"{rid}-{draw(st.integers(0, 10**6))}"
    resource = Resource(
        account, provider, "service", rid, draw(names), draw(st.none() | st.just("TPA1")),
        billing=draw(st.none() | st.just(BillingTerms(notes=("GET /service/: renewDate 'soon' is not a time",)))),
    )
    usage = draw(st.none() | st.builds(Usage, numbers, numbers, st.none() | st.floats(NOW - 40 * 86400, NOW),
                                       warnings=st.just(()) | st.just((DataWarning("units", "8× apart"),))))
    return ResourceState(resource, in_bps=draw(rates), out_bps=draw(rates), usage=usage,
                         error=draw(st.none() | errors))


@st.composite
def shots(draw) -> OneShot:
    count = draw(st.integers(0, 3))
    accounts, results, states, skipped = [], [], [], {}
    for index in range(count):
        name = f"acct-{index}"
        provider = draw(st.sampled_from(["hivelocity", "altostrat"]))
        accounts.append(AccountConfig(name, provider))
        error = draw(st.none() | errors)
        results.append(AccountResult(name, provider, error))
        if error is None:
            states.extend(draw(st.lists(resource_states(name, provider), max_size=3)))
        skipped[name] = draw(st.lists(st.builds(SkippedItem, st.just("24011"), names | st.none(),
                                                st.just("no servicePlan")), max_size=2))
    from bwtui.billing import billing_for

    by_name = {a.name: a for a in accounts}
    billing = {s.resource.key: billing_for(s.resource, s.usage, by_name[s.resource.account], NOW)
               if s.usage else None for s in states}
    return OneShot(Config(None, accounts), NOW, results, states, billing, None, skipped)


def _failures(shot: OneShot) -> tuple[list[ProviderError], list[ProviderError]]:
    return ([a.error for a in shot.accounts if a.error], [s.error for s in shot.states if s.error])


def _args(module, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bwtui")
    module.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


matrix = settings(max_examples=60, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@matrix
@given(shot=shots(), fmt=st.sampled_from(["table", "wide", "json", "csv"]), columns=st.integers(20, 200))
def test_status_prints_every_failure_as_a_row_and_exits_3(shot, fmt, columns, capsys):
    argv = {"table": [], "wide": ["--wide"], "json": ["--json"], "csv": ["--csv"]}[fmt]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("bwtui.commands.status.poll_for", lambda args: shot)
        mp.setenv("COLUMNS", str(columns))
        code = status.run(_args(status, ["status", *argv]))
    out, err = capsys.readouterr()
    account_failures, resource_failures = _failures(shot)
    assert code == (3 if account_failures or resource_failures else 0)
    assert "Traceback" not in err and "\x1b" not in out
    if fmt == "json":
        document = json.loads(out)
        assert sum(a["error"] is not None for a in document["accounts"]) == len(account_failures)
        assert sum(r["error"] is not None for r in document["resources"]) == len(resource_failures)
        for record in document["resources"]:
            assert {"period_start", "period_end", "period_source", "warnings", "projection"} <= set(record)
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert sum(1 for r in rows if r["kind"] == "account") == len(account_failures)
        assert sum(1 for r in rows if r["error_kind"]) == len(account_failures) + len(resource_failures)
        assert {"error_kind", "error_message"} <= set(rows[0]) if rows else out.startswith("account,")
    else:
        lines = out.splitlines()
        assert lines[0].startswith(("ACCOUNT", "NAME"))
        data_rows = len(shot.states) + len(account_failures)
        assert len(lines) >= 1 + data_rows
        if fmt == "table":
            assert all(len(line) <= max(columns, 60) for line in lines[: 1 + data_rows])
        if fmt == "wide" or columns >= 60:
            assert sum("(acc" in line for line in lines) == len(account_failures)
        if fmt == "wide":
            assert sum("account failed:" in line for line in lines) == len(account_failures)


@matrix
@given(shot=shots(), flags=st.sampled_from([[], ["--availability"]]))
def test_check_always_answers_one_plugin_line(shot, flags, capsys):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("bwtui.commands.check.poll_for", lambda args, only_account=None, **budget: shot)
        code = check.run(_args(check, ["check", *flags]))
    out, err = capsys.readouterr()
    assert out.count("\n") == 1 and out.startswith("BWTUI ")
    assert code in (0, 1, 2, 3) and "Traceback" not in err
    account_failures, resource_failures = _failures(shot)
    if account_failures or resource_failures or not shot.states:
        assert code != 0
    if flags and (account_failures or resource_failures):
        assert code == 2 and out.startswith("BWTUI CRITICAL - ")


@matrix
@given(state=st.sampled_from(["missing", "empty", "rows", "corrupt"]), fmt=st.sampled_from(["--csv", "--json"]))
def test_export_never_crashes(tmp_path_factory, state, fmt, capsys):
    path = tmp_path_factory.mktemp("hist") / "history.sqlite3"
    if state == "corrupt":
        path.write_bytes(b"not a database" * 100)
    elif state in ("empty", "rows"):
        from bwtui.history import open_history
        from bwtui.model import Reading

        store, _ = open_history(path)
        assert store is not None
        if state == "rows":
            store.add_reading(("a", "1"), Reading(NOW, 1, 2))
        store.close()
    code = export.run(_args(export, ["export", fmt, "--history", str(path)]), now=NOW)
    out, err = capsys.readouterr()
    assert code == (3 if state == "corrupt" else 0)
    assert "Traceback" not in err


def test_wrong_token_or_no_network_prints_the_table_and_exits_3(tmp_path: Path, capsys, monkeypatch):
    """The reported crash: `TypeError: 'int' object is not iterable` in render_table, exit 1;
    and `--csv` printed only the header."""
    config = tmp_path / "bwtui.toml"
    config.write_text(
        '[[account]]\nname = "hv"\nprovider = "hivelocity"\nbase_url = "http://127.0.0.1:9/api/v2"\n'
        '[[account]]\nname = "vpn"\nprovider = "altostrat"\nbase_url = "http://127.0.0.1:9"\n'
    )
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("BWTUI_TOKEN_HV", "wrong")
    monkeypatch.setenv("BWTUI_TOKEN_VPN", "wrong")
    code = status.run(_args(status, ["status", "--config", str(config)]))
    out, err = capsys.readouterr()
    assert code == 3 and "Traceback" not in err
    assert out.count("network: account failed: could not connect") == 2
    code = status.run(_args(status, ["status", "--csv", "--config", str(config)]))
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert code == 3
    assert [(r["account"], r["kind"], r["error_kind"]) for r in rows] == [
        ("hv", "account", "network"),
        ("vpn", "account", "network"),
    ]


def test_table_cuts_names_shortens_ids_and_shows_the_zone() -> None:
    record = {
        "account": "hv-prod", "provider": "hivelocity", "kind": "service",
        "id": "d290f1ee-6c54-4b01-90e6-d701748f0851", "name": "A very long server name " * 3,
        "location": "TPA1", "in_bps": 1e6, "out_bps": 2e6, "period_in_bytes": 1, "period_out_bytes": 2,
        "as_of": "2026-11-30T08:05:00Z", "error": None,
    }  # fmt: skip
    report = status.StatusReport(NOW, [status.AccountStatus("hv-prod", "hivelocity", None)], [record])
    narrow = status.render_table(report, width=100)
    assert all(len(line) <= 100 for line in narrow.splitlines())
    assert "…" in narrow and "d290f1ee-6c54-4b01-90e6-d701748f0851" not in narrow
    assert "08:05 UTC" in narrow
    wide = status.render_table(report, width=100, wide=True)
    assert "d290f1ee-6c54-4b01-90e6-d701748f0851" in wide and "2026-11-30 08:05 UTC" in wide
    header = wide.splitlines()[0]
    assert header.index(" IN ") < header.index(" OUT ")


def test_skipped_devices_are_listed_in_the_table_footer_and_json() -> None:
    skipped = (SkippedItem("24011", "db-02", "no servicePlan and no service lists it"),)
    report = status.StatusReport(NOW, [status.AccountStatus("hv-prod", "hivelocity", None, skipped)], [])
    table = status.render_table(report, width=120)
    assert "hv-prod: 1 item not watched: 24011 db-02 (no servicePlan and no service lists it)" in table
    document = json.loads(status.render_json(report))
    assert document["accounts"][0]["skipped"] == [
        {"id": "24011", "name": "db-02", "reason": "no servicePlan and no service lists it"}
    ]


def test_export_of_an_unreadable_file_is_exit_3(tmp_path: Path, capsys) -> None:
    path = tmp_path / "h.sqlite3"
    sqlite3.connect(path).close()
    path.write_bytes(b"\0" * 4096)
    assert export.run(_args(export, ["export", "--csv", "--history", str(path)]), now=NOW) == 3
