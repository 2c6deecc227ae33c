"""`status` and `check` say exactly what is true of history: nothing when it works, "no history
yet" on the run that starts it, "read-only" (figures still shown) when it cannot be written, and
"running without history" only when there is none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bwtui.cli import main
from bwtui.history import default_history_path
from test_history_health import read_only_dir
from test_status import write_config


@pytest.fixture
def config(tmp_path, simulator, monkeypatch) -> Path:
    """A config for the simulator's two accounts, their tokens in the environment."""
    sim, server = simulator
    monkeypatch.setenv("BWTUI_TOKEN_HV_PROD", sim.config.hivelocity_token)
    monkeypatch.setenv("BWTUI_TOKEN_VPN_MAIN", sim.config.altostrat_token)
    return write_config(tmp_path / "bwtui.toml", server, sim)


def _run(capsys, config: Path, *args: str) -> tuple[int, str, str]:
    code = main(["status", "--json", "--config", str(config), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_status_tells_new_then_nothing_then_read_only(config, capsys):
    history = default_history_path()
    assert not history.exists()

    code, _, first = _run(capsys, config)
    assert code == 0 and history.exists()
    assert "no history yet" in first and str(history) in first
    assert "without history" not in first

    code, _, second = _run(capsys, config)
    assert code == 0 and second == ""  # history works: nothing to say

    with read_only_dir(history.parent):
        code, out, third = _run(capsys, config)
    assert code == 0
    assert "without history" not in third and "no history yet" not in third
    assert "read-only" in third and "still shown" in third and "nothing from this run is saved" in third
    vpn = [r for r in json.loads(out)["resources"] if r["provider"] == "altostrat"]
    assert vpn and all(r["in_bps"] is not None for r in vpn)  # stored readings still give rates


def test_no_history_at_all_says_running_without_history(config, capsys):
    history = default_history_path()
    history.parent.mkdir(parents=True, exist_ok=True)
    history.mkdir()  # a directory where the file should be: no store can be opened

    code, _, err = _run(capsys, config)
    assert code == 0
    assert "running without history" in err and "no history yet" not in err


def test_check_is_quiet_about_history_that_works(config, capsys):
    main(["check", "--config", str(config)])
    assert "no history yet" in capsys.readouterr().err
    main(["check", "--config", str(config)])
    assert "history" not in capsys.readouterr().err
