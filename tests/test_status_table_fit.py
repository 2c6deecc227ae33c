"""`bwtui status` at 80 columns keeps what an operator reads (NAME, IN, OUT, PERIOD OUT,
PROJ. OUT, AS OF, STATUS); a column that must go is named in one footer line, never silently."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bwtui.commands import status

NOW = 1_796_000_000.0
AS_OF = datetime.fromtimestamp(NOW - 420, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
KEPT = ("NAME", "IN", "OUT", "PERIOD OUT", "PROJ. OUT", "AS OF", "STATUS")


def record(name: str, rid: str, out_bps: float, *, alert: str | None = None) -> dict[str, object]:
    return {
        "account": "hv-production-east", "provider": "hivelocity", "kind": "service", "id": rid,
        "name": name, "location": "TPA1", "in_bps": 20.7e6, "out_bps": out_bps,
        "period_in_bytes": 177e9, "period_out_bytes": 1.73e12, "as_of": AS_OF, "error": None,
        "projected_out_bytes": 71.4e12, "allowance_out_bytes": 10e12, "projection": "estimate",
        "period_start": "2026-11-01T00:00:00Z", "period_end": "2026-12-01T00:00:00Z",
        "period_source": "provider",
        "alert": {"level": alert, "reasons": ["projected out 714% > critical 100%"]} if alert else None,
    }  # fmt: skip


def report() -> status.StatusReport:
    records = [
        record("Backup target for the whole office", "152080", 166e6, alert="CRITICAL"),
        record("Web frontend", "d290f1ee-6c54-4b01-90e6-d701748f0851", 6.05e6),
        record("cache-01.sin1.example.net", "152185", 9.69e9),
    ]
    return status.StatusReport(NOW, [status.AccountStatus("hv-production-east", "hivelocity", None)], records)


def header_of(table: str) -> list[str]:
    return table.splitlines()[0].split("  ")


def test_at_80_columns_the_figures_an_operator_reads_all_stay() -> None:
    table = status.render_table(report(), width=80)
    lines = table.splitlines()
    assert all(len(line) <= 80 for line in lines)
    header = lines[0]
    for name in KEPT:
        assert f" {name} " in f" {header} " or f" {name}" in header, name
    assert header.index(" IN ") < header.index(" OUT ")
    body = "\n".join(lines[1:4])
    assert "166 Mb/s" in body and "20.7 Mb/s" in body and "9.69 Gb/s" in body  # IN and OUT
    assert "1.73 TB" in body and "71.4 TB 714%" in body
    assert "AS OF UTC" in header and " 7m" in body  # the zone is in the header, the age kept
    assert "CRITICAL" in body
    assert lines[-1] == "--wide shows all; hidden: ACCOUNT, ID, PERIOD IN, LOC, PERIOD"


def test_names_and_status_are_cut_before_any_figure_goes() -> None:
    table = status.render_table(report(), width=110)
    header = table.splitlines()[0]
    assert all(name in header for name in KEPT) and "ACCOUNT" in header
    assert "AS OF UTC" not in header and "Mbit/s" in table  # room enough: rates and times in full
    assert "Backup targ…" in table  # names cut first


def test_at_100_columns_the_account_stays() -> None:
    header = status.render_table(report(), width=100).splitlines()[0]
    assert all(name in header for name in ("ACCOUNT", *KEPT))


@pytest.mark.parametrize("width", [45, 50, 60, 70])
def test_a_column_that_must_go_is_named_never_silently(width: int) -> None:
    table = status.render_table(report(), width=width)
    lines = table.splitlines()
    header, footer = f" {lines[0]} ", lines[-1]
    assert all(len(line) <= width for line in lines)
    assert " NAME " in header and " OUT " in header and " STATUS " in header  # never dropped
    assert footer.startswith("--wide shows all; hidden: ")
    missing = [name for name in KEPT if f" {name} " not in header.replace("AS OF UTC", "AS OF")]
    assert missing
    named = footer.removeprefix("--wide shows all; hidden: ")
    first = next(n for n in ("IN", "PERIOD OUT", "PROJ. OUT") if n in missing)
    assert named.startswith(first)  # the most needed hidden column comes first
    if width >= 60:
        assert all(name in named for name in missing)


def test_wide_shows_every_column_and_no_hidden_line() -> None:
    table = status.render_table(report(), width=80, wide=True)
    assert "hidden" not in table
    assert all(name in table.splitlines()[0] for name in ("ACCOUNT", "ID", "LOC", "PERIOD IN", *KEPT))
