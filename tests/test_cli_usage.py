"""A mistyped option is answered by the command it was typed for: its own usage line, exit 2
(`status --jsn` printed the top-level usage, which does not even list --json)."""

from __future__ import annotations

import pytest

from bwtui.cli import main


def test_a_mistyped_option_shows_the_commands_own_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["status", "--jsn"])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: bwtui status") and "--json" in err
    assert "bwtui status: error: unrecognized arguments: --jsn" in err


def test_a_mistyped_top_level_option_shows_the_top_level_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["--bogus"])
    assert ended.value.code == 2
    assert "bwtui: error: unrecognized arguments: --bogus" in capsys.readouterr().err
