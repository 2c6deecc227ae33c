"""Every real-time demo run on a machine agrees on the simulated Altostrat period boundary, so a
rate derived across two runs from the demo history is a real rate (it read 38 Gbit/s when each
run put the reset four minutes after its own start)."""

from __future__ import annotations

import json
from pathlib import Path

from bwtui.demo_world import KEEP_S, RESET_AFTER_S, WORLD_FILE, altostrat_reset_at
from bwtui.simulator import Simulator, SimulatorConfig

T0 = 1_764_606_000.0  # 2025-12-01 16:20 UTC


def test_the_first_run_sets_the_boundary_and_later_runs_reuse_it(tmp_path: Path) -> None:
    first = altostrat_reset_at(T0, tmp_path)
    assert first == T0 + RESET_AFTER_S
    assert altostrat_reset_at(T0 + 3600, tmp_path) == first  # an hour later: the same world
    later = first + KEEP_S + 1  # 25 days on: a new world, with a reset to see again
    assert altostrat_reset_at(later, tmp_path) == later + RESET_AFTER_S


def test_a_damaged_file_or_a_read_only_dir_starts_a_new_world(tmp_path: Path) -> None:
    (tmp_path / WORLD_FILE).write_text("{not json")
    assert altostrat_reset_at(T0, tmp_path) == T0 + RESET_AFTER_S
    assert json.loads((tmp_path / WORLD_FILE).read_text())["altostrat_reset_at"] == T0 + RESET_AFTER_S
    missing = tmp_path / "file-not-dir"
    missing.write_text("")
    assert altostrat_reset_at(T0, missing / "state") == T0 + RESET_AFTER_S  # cannot write: no crash


def _out_bytes(started: float, reset_at: float | None, at: float) -> int:
    clock_now = [started]
    simulator = Simulator(SimulatorConfig(clock=lambda: clock_now[0], altostrat_reset_at=reset_at))
    clock_now[0] = at
    instance = simulator.alto_instances[0]
    return simulator.altostrat_counters(instance.id)[1]


def test_two_simulators_started_an_hour_apart_agree_on_the_counters() -> None:
    reset_at = T0 + RESET_AFTER_S
    at = T0 + 2 * 3600
    assert _out_bytes(T0, reset_at, at) == _out_bytes(T0 + 3600, reset_at, at)
