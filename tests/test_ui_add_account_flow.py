"""From the first-run screen, `a` adds a real account and the monitor starts polling it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Input

from bwtui.simulator import Simulator, SimulatorConfig, serve_in_thread
from bwtui.ui.add_account import AddAccountScreen
from bwtui.ui.app import BwtuiApp
from bwtui.ui.first_run import FirstRunScreen
from keyrings import MemoryKeyring


async def test_adding_an_account_on_first_run_starts_monitoring_it(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    config_path = tmp_path / "config.toml"
    sim = Simulator(SimulatorConfig(hivelocity_services=3, altostrat_instances=1))
    with serve_in_thread(sim) as server:
        app = BwtuiApp([], first_run=True, demo_factory=lambda: None, config_path=config_path)
        async with app.run_test(size=(100, 30)) as pilot:
            assert isinstance(app.screen, FirstRunScreen)
            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, AddAccountScreen)
            screen = app.screen
            screen.query_one("#add-name", Input).value = "hv-new"
            screen.query_one("#add-base-url", Input).value = (
                server.base_url + sim.hivelocity_base_url_path
            )
            screen.query_one("#add-token", Input).value = sim.config.hivelocity_token
            await pilot.press("ctrl+s")
            for _ in range(100):  # the check, the save and the first poll, over real HTTP
                await pilot.pause(0.05)
                view = app.store.accounts.get("hv-new")
                if view is not None and view.listed:
                    break
            assert not isinstance(app.screen, (FirstRunScreen, AddAccountScreen))
            assert [r.name for r in app.store.accounts["hv-new"].resources]
            await asyncio.sleep(0)
    assert memory_keyring.store[("bwtui", "hv-new")] == sim.config.hivelocity_token
    written = config_path.read_text(encoding="utf-8")
    assert 'name = "hv-new"' in written
    assert sim.config.hivelocity_token not in written


async def test_demo_started_from_first_run_never_writes_the_real_history(tmp_path: Path) -> None:
    from bwtui.demo import start_demo
    from bwtui.history import HistoryStore

    store = HistoryStore(tmp_path / "history.sqlite3")
    started = []

    def demo_factory():  # noqa: ANN202
        env = start_demo(services=2, instances=1)
        started.append(env)
        return env

    app = BwtuiApp([], first_run=True, demo_factory=demo_factory, history=store,
                   config_path=tmp_path / "config.toml", history_flush_s=0.05)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("d")
            for _ in range(100):
                await pilot.pause(0.05)
                if app.store.states and all(s.usage for s in app.store.states.values()):
                    break
            assert app.is_demo and app.history is None
            await pilot.pause(0.2)
    finally:
        for env in started:
            env.stop()
    assert store.keys() == []
    store.close()


async def test_the_first_run_screen_offers_only_its_own_keys_then_the_monitor_offers_its() -> None:
    """No account yet: the key bar lists the demo, add, quit and help keys, not the monitor's
    (refresh, pause, periods...), which do nothing there; once the demo runs, they are back."""
    from bwtui.demo import start_demo
    from bwtui.ui.key_bar import KeyBar

    started = []

    def demo_factory():  # noqa: ANN202
        env = start_demo(services=2, instances=1, hetzner_servers=0, vultr_instances=0)
        started.append(env)
        return env

    def shown_keys() -> set[str]:
        return {key for key, active in app.screen.active_bindings.items() if active.enabled}

    app = BwtuiApp([], first_run=True, demo_factory=demo_factory)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            bar = app.screen.query_one(KeyBar).render_line(0).text
            assert "Start the demo" in bar and "Refresh" not in bar and "Pause" not in bar
            assert {"r", "p", "o", "1", "b"}.isdisjoint(shown_keys())
            await pilot.press("r")  # nothing to refresh: no toast
            await pilot.pause()
            assert not app._notifications
            await pilot.press("d")
            for _ in range(100):
                await pilot.pause(0.05)
                if not isinstance(app.screen, FirstRunScreen) and app.store.states:
                    break
            assert {"r", "p", "o", "1", "b"} <= shown_keys()
            assert "Refresh" in app.screen.query_one(KeyBar).render_line(0).text
    finally:
        for env in started:
            env.stop()
