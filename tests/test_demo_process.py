"""`bwtui --demo` runs its simulator in a child process: the monitor's process holds only what a
user with real accounts runs, and the child never outlives it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from bwtui.demo import start_demo
from bwtui.simulator import contract
from bwtui.simulator.process import SimulatorProcess


def _gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # our own child: reap it, or it lingers as a zombie
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return False


PROBE = """
import json, sys
from bwtui.demo import start_demo
env = start_demo(services=2, separate_process=True)
heavy = sorted({n.split('.')[0] for n in sys.modules} & {'starlette', 'uvicorn'})
heavy += sorted(n for n in sys.modules if n in ('bwtui.simulator.core', 'bwtui.simulator.server'))
print(json.dumps({"pid": env._server.pid, "heavy": heavy}), flush=True)
sys.stdin.readline()
"""


def test_the_monitor_s_process_imports_no_simulator_and_the_child_dies_with_it() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PROBE], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        report = json.loads(parent.stdout.readline())  # type: ignore[union-attr]
        assert report["heavy"] == []
        child = report["pid"]
        os.kill(child, 0)  # serving
    finally:
        parent.kill()  # no clean-up runs: the child must notice on its own
        parent.wait()
    assert _gone(child, within_s=10), "the demo's simulator outlived the monitor"


def test_stop_ends_the_child_and_the_port_refuses() -> None:
    server = SimulatorProcess({"hivelocity_services": 1, "altostrat_instances": 1})
    try:
        response = httpx.get(server.base_url + contract.HIVELOCITY_PATH + "/service/",
                             params={"status": "all"},
                             headers={"X-API-KEY": contract.HIVELOCITY_TOKEN}, timeout=30)
        assert response.status_code == 200
    finally:
        server.stop()
    assert _gone(server.pid, within_s=5)
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base_url + contract.HIVELOCITY_PATH + "/service/", timeout=5)


def test_the_child_gets_no_account_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    from bwtui.simulator.process import _child_env

    monkeypatch.setenv("BWTUI_TOKEN_PROD", "real-secret")
    assert "BWTUI_TOKEN_PROD" not in _child_env()


def test_a_sped_up_demo_s_clients_read_the_child_s_clock() -> None:
    clock = contract.simulated_clock(started_at=1000.0, speed=60.0)
    now = time.time()
    assert clock() == pytest.approx(1000.0 + (now - 1000.0) * 60.0, abs=60.0)
    assert contract.simulated_clock(started_at=1000.0, speed=1.0) is time.time


def test_a_test_clock_cannot_cross_into_a_child() -> None:
    with pytest.raises(ValueError):
        start_demo(clock=lambda: 0.0, separate_process=True)


async def test_a_simulator_that_dies_is_told_with_its_log_and_a_stopped_one_is_not(
        tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every demo account failing to connect says little: the monitor tells once, as an error,
    that the simulator stopped and where what it said is."""
    import signal

    from bwtui.ui.app import BwtuiApp

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    env = start_demo(services=2, instances=1, hetzner_servers=0, vultr_instances=0,
                     separate_process=True)
    app = BwtuiApp(env.runtimes, demo=True, demo_env=env)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            for _ in range(100):  # the demo's accounts listed: the simulator serves
                await pilot.pause(0.05)
                if app.store.states:
                    break
            assert env.ended() is None and not app._notifications
            os.kill(env._server.pid, signal.SIGKILL)  # type: ignore[attr-defined]
            app.action_refresh_all()  # the next requests fail at once
            told = []
            for _ in range(200):
                await pilot.pause(0.05)
                told = [n for n in app._notifications if "simulator" in n.message]
                if told:
                    break
            await pilot.pause(0.3)  # more failures come: still told once
            told = [n for n in app._notifications if "simulator" in n.message]
            assert len(told) == 1 and told[0].severity == "error"
            assert "The demo's simulator stopped (exit code -9)" in told[0].message
            assert "demo-simulator.log" in told[0].message
    finally:
        env.stop()
    assert env.ended() is None  # stopped by us: nothing to tell
