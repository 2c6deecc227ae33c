"""``status`` and ``check`` within the host's shared request budget (real HTTP, simulator)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bwtui.cli import main
from bwtui.model import RateLimit
from bwtui.polling.ledger import Ledger, default_ledger_path


def write_config(path: Path, server, sim) -> Path:  # noqa: ANN001 - the conftest's server
    path.write_text(
        "[[account]]\n"
        'name = "hv-prod"\n'
        'provider = "hivelocity"\n'
        f'base_url = "{server.base_url}{sim.hivelocity_base_url_path}"\n'
    )
    return path


def a_monitor_needs_the_rest(server, remaining: int) -> None:  # noqa: ANN001
    """A monitor on this host has seen ``remaining`` and needs all of it until the reset."""
    now = time.time()
    host = server.base_url.removeprefix("http://")
    Ledger(default_ledger_path(), process="monitor").sync(
        f"hivelocity@{host}", now, figures=RateLimit(3600, remaining, 3000.0, now), demand_rps=remaining / 3000
    )


def a_monitor_stored_figures(ids: list[str]) -> None:
    """A monitor on this host wrote each resource's rate and totals to history 6 minutes ago."""
    from bwtui.history import HistoryStore, default_history_path
    from bwtui.model import Reading, Sample

    then = time.time() - 360
    store = HistoryStore(default_history_path())
    for rid in ids:
        store.add_samples(("hv-prod", rid), [Sample(then, 1e6, 2e6)])
        store.add_reading(("hv-prod", rid), Reading(then, 10**9, 2 * 10**9))
    store.close()


def test_status_short_of_budget_prints_cached_figures_and_says_so(tmp_path, simulator, capsys, monkeypatch) -> None:
    sim, server = simulator
    config = write_config(tmp_path / "bwtui.toml", server, sim)
    monkeypatch.setenv("BWTUI_TOKEN_HV_PROD", sim.config.hivelocity_token)
    assert main(["status", "--json", "--config", str(config)]) == 0  # full: listing saved
    ids = [r["id"] for r in json.loads(capsys.readouterr().out)["resources"]]
    a_monitor_stored_figures(ids)
    a_monitor_needs_the_rest(server, 500)
    before = len(sim.requests)

    code = main(["status", "--json", "--config", str(config)])
    out = capsys.readouterr().out
    document = json.loads(out)
    assert len(sim.requests) == before  # not one request: the budget is the monitor's
    assert len(document["resources"]) == 4  # never an empty list
    assert document["accounts"][0]["budget"].startswith("budget low: 0 of 9 requests available")
    assert all(r["error"]["kind"] == "rate_limited" for r in document["resources"])
    assert all(r["error"]["message"].startswith("budget low: cached figures as of") for r in document["resources"])
    # Every figure is there, from history, with its age: not a failure for cron (exit 0).
    assert all(r["cached"] is True for r in document["resources"])
    assert all(r["out_bps"] is not None and r["period_out_bytes"] is not None and r["as_of"]
               for r in document["resources"])
    assert code == 0

    main(["status", "--config", str(config)])
    assert "hv-prod: budget low: 0 of 9 requests available" in capsys.readouterr().out


def test_check_short_of_budget_is_unknown_with_the_reason_and_spends_nothing(tmp_path, simulator, capsys, monkeypatch) -> None:
    sim, server = simulator
    config = write_config(tmp_path / "bwtui.toml", server, sim)
    monkeypatch.setenv("BWTUI_TOKEN_HV_PROD", sim.config.hivelocity_token)
    assert main(["check", "--config", str(config)]) in (0, 1, 2)  # the budget allows: a real check
    capsys.readouterr()
    a_monitor_needs_the_rest(server, 300)
    before = len(sim.requests)

    code = main(["check", "--config", str(config)])
    line = capsys.readouterr().out
    assert len(sim.requests) == before
    assert code == 3 and line.startswith("BWTUI UNKNOWN - ")
    assert "account hv-prod: budget low: 0 of 9 requests available" in line and "monitor" in line


def test_status_short_of_budget_with_nothing_stored_exits_3(tmp_path, simulator, capsys, monkeypatch) -> None:
    """Cached without figures (history has none yet) is a failure: exit 3, every row printed."""
    sim, server = simulator
    config = write_config(tmp_path / "bwtui.toml", server, sim)
    monkeypatch.setenv("BWTUI_TOKEN_HV_PROD", sim.config.hivelocity_token)
    assert main(["status", "--json", "--config", str(config)]) == 0  # the listing is saved
    capsys.readouterr()
    a_monitor_needs_the_rest(server, 500)  # and no monitor stored any figure

    code = main(["status", "--json", "--config", str(config)])
    document = json.loads(capsys.readouterr().out)
    assert len(document["resources"]) == 4
    assert all(r["cached"] is False and r["error"]["kind"] == "rate_limited" for r in document["resources"])
    assert code == 3


def test_help_and_readme_state_the_budget_exit_codes(capsys) -> None:
    import pytest

    for command in ("status", "check"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "budget low: cached" in text and "Exit 0" in text
    assert "says UNKNOWN (exit 3)" in text
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "| `status` | every resource answered, or was served from history" in readme
