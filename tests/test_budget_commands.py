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


def test_status_short_of_budget_prints_cached_figures_and_says_so(tmp_path, simulator, capsys, monkeypatch) -> None:
    sim, server = simulator
    config = write_config(tmp_path / "bwtui.toml", server, sim)
    monkeypatch.setenv("BWTUI_TOKEN_HV_PROD", sim.config.hivelocity_token)
    assert main(["status", "--json", "--config", str(config)]) == 0  # full: listing saved
    capsys.readouterr()
    a_monitor_needs_the_rest(server, 500)
    before = len(sim.requests)

    code = main(["status", "--json", "--config", str(config)])
    out = capsys.readouterr().out
    document = json.loads(out)
    assert len(sim.requests) == before  # not one request: the budget is the monitor's
    assert len(document["resources"]) == 4  # never an empty list
    assert document["accounts"][0]["budget"].startswith("budget low: 0 of 9 requests available")
    assert all(r["error"]["kind"] == "rate_limited" for r in document["resources"])
    assert code == 3

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
