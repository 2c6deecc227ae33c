"""``--demo-speed`` takes only a finite speed in its documented range; anything else is exit 2."""

from __future__ import annotations

import pytest

from bwtui.cli import DEMO_SPEED_MAX, DEMO_SPEED_MIN, build_parser, main


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "0", "-1", "x", "", "1e9", "0.01"])
def test_a_bad_demo_speed_is_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--demo", f"--demo-speed={value}"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "--demo-speed" in err
    assert f"from {DEMO_SPEED_MIN:g}" in err and f"to {DEMO_SPEED_MAX:g}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("value", ["0.1", "1", "60", "3600"])
def test_speeds_in_range_are_accepted(value: str) -> None:
    args = build_parser().parse_args(["--demo", "--demo-speed", value])
    assert args.demo_speed == float(value)


def test_help_documents_the_range(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert f"{DEMO_SPEED_MIN:g} to {DEMO_SPEED_MAX:g}" in out


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-1", "1e9"])
def test_a_bad_simulator_speed_is_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["simulate", f"--speed={value}"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "--speed" in err
    assert f"from {DEMO_SPEED_MIN:g}" in err and f"to {DEMO_SPEED_MAX:g}" in err
    assert "Traceback" not in err


def test_simulate_help_documents_the_speed_range(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert f"{DEMO_SPEED_MIN:g} to {DEMO_SPEED_MAX:g}" in out
