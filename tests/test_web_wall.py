"""``bwtui web``: the monitor in a real browser, read-only, attached to the collector; tabs cost
no provider request; the token rule holds for the wall screen too."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from browser_support import chromium
from collector_support import (
    ROOT,
    SIM_TOKENS,
    bwtui,
    counted_simulator,
    free_port,
    isolated_env,
    simulator_config_toml,
    start_serve,
    system_tool,
    wait_until,
)
from test_collector_system import _collector_requests

SCREENSHOT = ROOT / "screenshots" / "web-wall.png"  # refreshed with UPDATE_SCREENSHOTS=1
TOKEN = "fedcba9876543210fedcba9876543210"


def _start_web(env: dict[str, str], port: int, *args: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "bwtui", "web", "--listen", f"127.0.0.1:{port}", *args],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"bwtui web exited: {process.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            return httpx.get(url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(up, timeout=30, what="bwtui web")
    return process


def _stop(process: subprocess.Popen[bytes]) -> str:
    process.terminate()
    try:
        _, stderr = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate(timeout=5)
    return stderr.decode(errors="replace")


async def test_the_wall_screen_shows_the_overview_in_chromium_and_tabs_cost_no_requests(tmp_path: Path) -> None:
    browser = system_tool("chromium", "chromium")
    with counted_simulator(hivelocity_services=10, altostrat_instances=4, hetzner_servers=2,
                           vultr_instances=0) as world:
        config = tmp_path / "config.toml"
        config.write_text(simulator_config_toml(world.server, hetzner=True))
        env = isolated_env(tmp_path / "env", BWTUI_CONFIG=str(config), **SIM_TOKENS)
        serve = start_serve(env, tmp_path)
        port = free_port()
        web = _start_web(env, port)
        try:
            wait_until(lambda: httpx.get(serve.url + "/readyz").status_code == 200, what="collector ready")
            names = [s.name or s.hostname for s in world.sim.hv_services] + [i.name for i in world.sim.alto_instances]
            async with chromium(browser) as new_page:
                first = await new_page()
                await first.open(f"http://127.0.0.1:{port}/")
                screen = await first.wait_for_screen("via collector", "name", "out", "Backup target",
                                                     "hz-sim", "vpn-sim")
                second = await new_page()
                await second.open(f"http://127.0.0.1:{port}/")
                await second.wait_for_screen("via collector", "Backup target")
                # Every row of the overview arrives, with the simulator's names.
                screen = await first.wait_for_screen(*[n[:20] for n in names], timeout=60)
                assert "polling directly" not in screen
                time.sleep(1.0)
                picture = await first.screenshot()

                def equal_and_quiet() -> bool:
                    before = world.requests
                    return before == _collector_requests(serve.url) == world.requests

                wait_until(equal_and_quiet, timeout=20, what="tabs to cost no provider request")
                # A tab cannot add an account: the form never opens, the screen says why.
                await first.type("a")
                await first.wait_for_screen("read-only")
        finally:
            log = _stop(web)
            serve.stop()
        assert "Traceback" not in log
        # Every tab's monitor quit with the server (none is left polling or waiting).
        leftover = subprocess.run(["pgrep", "-f", f"--kiosk-app --collector {serve.url}"],
                                  capture_output=True, text=True)
        assert leftover.stdout.strip() == ""
    assert len(picture) > 10_000 and picture[:8] == b"\x89PNG\r\n\x1a\n"
    (tmp_path / "web-wall.png").write_bytes(picture)
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOT.write_bytes(picture)


def test_with_a_token_the_wall_screen_wants_it_and_a_link_with_it_sets_a_cookie(tmp_path: Path) -> None:
    env = isolated_env(tmp_path / "env", BWTUI_COLLECTOR="http://127.0.0.1:9", BWTUI_WEB_TOKEN=TOKEN)
    port = free_port()
    web = _start_web(env, port)
    url = f"http://127.0.0.1:{port}"
    try:
        assert httpx.get(url + "/healthz").status_code == 200
        for path in ("/", "/ws", "/static/js/textual.js"):
            response = httpx.get(url + path)
            assert response.status_code == 401, path
            assert TOKEN not in response.text
        assert httpx.get(url + "/", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert httpx.get(url + "/?token=nope").status_code == 401
        link = httpx.get(url + f"/?token={TOKEN}", follow_redirects=False)
        assert link.status_code == 302 and link.headers["location"] == "/"
        cookie = link.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        page = httpx.get(url + "/", cookies=link.cookies)
        assert page.status_code == 200 and 'id="terminal"' in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert httpx.get(url + "/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    finally:
        _stop(web)


def test_web_needs_a_collector_and_a_token_beyond_loopback(tmp_path: Path) -> None:
    env = isolated_env(tmp_path / "env")
    alone = bwtui(env, "web")
    assert alone.returncode == 2 and "bwtui serve" in alone.stderr
    remote = bwtui(dict(env, BWTUI_COLLECTOR="http://127.0.0.1:9"), "web", "--listen", "0.0.0.0:0")
    assert remote.returncode == 2 and "--allow-remote" in remote.stderr
    remote = bwtui(dict(env, BWTUI_COLLECTOR="http://127.0.0.1:9"), "web", "--listen", "0.0.0.0:0",
                   "--allow-remote")
    assert remote.returncode == 2 and "BWTUI_WEB_TOKEN" in remote.stderr


async def test_the_kiosk_monitor_adds_no_account_and_waits_for_its_collector() -> None:
    from bwtui.collector.discovery import CollectorRef
    from bwtui.collector.fallback import FallbackSource
    from bwtui.ui.add_account import AddAccountScreen
    from bwtui.ui.kiosk import READ_ONLY, KioskApp
    from ui_support import FakeClock

    source = FallbackSource(CollectorRef("http://127.0.0.1:9", "test"), [], clock=FakeClock(),
                            direct=False, retry_s=0.05)
    app = KioskApp(source=source, clock=FakeClock())
    notes: list[str] = []
    async with app.run_test(size=(120, 30)) as pilot:
        app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
        for _ in range(100):
            await pilot.pause(0.02)
            if source.label == "waiting for the collector":
                break
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(app.screen, AddAccountScreen)
        assert READ_ONLY in notes
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Add account" not in titles
        assert source.label == "waiting for the collector"
        assert app.history is None and app.config_path is None
