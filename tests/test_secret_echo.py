"""A server that echoes the API key in every error shape: the key appears nowhere bwtui writes.

The simulator's ``echo_key`` fault repeats the key the request carried in the provider's JSON
error (message and nested field errors), in a plain-text body, in response headers and in a
redirect's ``Location``, for both Hivelocity and Altostrat. ``status --json``, the table,
``--csv``, ``check`` and the monitor's screen (a real pty) must show the errors without it.
The commands run as real processes, so no token registered by another test can help them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bwtui.simulator import Simulator, SimulatorConfig, faults, serve_in_thread
from pty_harness import PtySession, isolated_env

REPO = Path(__file__).resolve().parent.parent
HV_TOKEN = "hv-echo-" + "7f3a9c2e4b1d"
ALTO_TOKEN = "alto_sk_echo_" + "5e8d21b0c4f7"
TOKENS = (HV_TOKEN, ALTO_TOKEN)
SAID = "is not valid for this request"


@pytest.fixture
def echoing(tmp_path: Path) -> Iterator[tuple[Simulator, Path, dict[str, str]]]:
    """Every resource's error echoes the key, one shape per resource; config and env for it."""
    sim = Simulator(
        SimulatorConfig(
            seed=3,
            hivelocity_services=len(faults.ECHO_SHAPES),
            altostrat_instances=len(faults.ECHO_SHAPES),
            hivelocity_token=HV_TOKEN,
            altostrat_token=ALTO_TOKEN,
        )
    )
    for rid, shape in zip(sim.hivelocity_service_ids(), faults.ECHO_SHAPES, strict=True):
        sim.inject("hivelocity", rid, faults.echo_key(shape, code=500))
    for instance, shape in zip(sim.alto_instances, faults.ECHO_SHAPES, strict=True):
        sim.inject("altostrat", instance.id, faults.echo_key(shape, code=403))
    with serve_in_thread(sim) as server:
        config = tmp_path / "bwtui.toml"
        config.write_text(
            "[[account]]\n"
            'name = "hv-prod"\n'
            'provider = "hivelocity"\n'
            f'base_url = "{server.base_url}{sim.hivelocity_base_url_path}"\n'
            "[[account]]\n"
            'name = "vpn-main"\n'
            'provider = "altostrat"\n'
            f'base_url = "{server.base_url}{sim.altostrat_base_path}"\n'
        )
        env = {"BWTUI_TOKEN_HV_PROD": HV_TOKEN, "BWTUI_TOKEN_VPN_MAIN": ALTO_TOKEN,
               "PYTHONPATH": str(REPO)}
        yield sim, config, env


def run_bwtui(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bwtui", *args],
        capture_output=True,
        text=True,
        env=isolated_env(tmp_path / "home", extra=env),
        cwd=REPO,
        timeout=60,
    )


def assert_no_token(text: str) -> None:
    for token in TOKENS:
        assert token not in text
        assert token[6:] not in text  # nor a recognisable part of it


def test_the_simulator_really_echoes_the_key(echoing) -> None:
    """The fault this file relies on: without scrubbing, the key would be in the answers."""
    import httpx

    sim, _, _ = echoing
    app = httpx.ASGITransport(app=sim.app)

    async def fetch() -> list[str]:
        async with httpx.AsyncClient(transport=app, base_url="http://sim") as client:
            seen = []
            for rid in sim.hivelocity_service_ids():
                reply = await client.post(
                    f"{sim.hivelocity_base_url_path}/bandwidth/service/{rid}",
                    params={"period": "day", "interface": "public", "step": 300},
                    headers={"X-API-KEY": HV_TOKEN},
                )
                seen.append(reply.text + json.dumps(dict(reply.headers)))
            return seen

    import asyncio

    answers = asyncio.run(fetch())
    assert all(HV_TOKEN in answer for answer in answers)


@pytest.mark.parametrize(
    "args", [["status", "--json"], ["status"], ["status", "--csv"], ["check"]],
    ids=["json", "table", "csv", "check"],
)
def test_echoed_key_never_printed_by_commands(echoing, tmp_path: Path, args: list[str]) -> None:
    _, config, env = echoing
    result = run_bwtui(tmp_path, env, *args, "--config", str(config))
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert result.returncode == 3 if args[0] == "status" else result.returncode in (2, 3)
    assert_no_token(output)
    if args == ["status", "--json"]:
        errors = [r["error"] for r in json.loads(result.stdout)["resources"]]
        assert len(errors) == 2 * len(faults.ECHO_SHAPES) and all(errors)
        messages = " ".join(e["message"] for e in errors)
        assert SAID in messages and "***" in messages  # the provider's words stay, the key goes
        assert "redirected (HTTP 302)" in messages


def test_echoed_key_in_an_account_wide_failure_is_never_printed(echoing, tmp_path: Path) -> None:
    sim, config, env = echoing
    sim.clear_faults()
    sim.inject("hivelocity", None, faults.echo_key("json", code=401))
    sim.inject("altostrat", None, faults.echo_key("text", code=500))
    result = run_bwtui(tmp_path, env, "status", "--json", "--config", str(config))
    assert result.returncode == 3
    accounts = json.loads(result.stdout)["accounts"]
    assert all(a["error"] and SAID in a["error"]["message"] for a in accounts)
    assert_no_token(result.stdout + result.stderr)


def test_echoed_key_never_reaches_the_monitor_screen(echoing) -> None:
    _, config, env = echoing
    with PtySession(
        [sys.executable, "-m", "bwtui", "--config", str(config)],
        cols=120,
        rows=34,
        cwd=REPO,
        env=env,
    ) as session:
        session.wait_for_text(SAID, timeout=20)
        session.wait_quiet(0.5, timeout=5)
        screen = session.screen_text()
        session.send_keys("q")
        session.wait_exit(timeout=10)
        raw = session.raw_bytes()
    assert "***" in screen
    assert_no_token(screen)
    for token in TOKENS:
        assert token.encode() not in raw


async def test_a_crash_report_never_shows_a_token_from_an_exception_message() -> None:
    from bwtui.scrub import register_secret
    from bwtui.ui.app import BwtuiApp

    token = "crash-" + "9d8c7b6a5f4e"
    register_secret(token)
    app = BwtuiApp([], first_run=True, demo_factory=lambda: None)
    async with app.run_test():
        try:
            raise RuntimeError(f"the provider said: key {token} invalid")
        except RuntimeError:
            app._fatal_error()
        report = "".join(
            segment.text for renderable in app._exit_renderables for segment in renderable.segments
        )
    assert "RuntimeError" in report and "the provider said" in report
    assert token not in report

