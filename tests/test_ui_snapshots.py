"""Screen snapshots (pytest-textual-snapshot) of the monitor's main states.

Every state runs the real stack (simulator on loopback with seed 7, real clients and poller)
on a frozen clock, and waits until the poller has nothing left to do "now" before snapping.
Regenerate with ``pytest tests/test_ui_snapshots.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ui_support import FakeClock, demo_app, settle_demo

WIDE = (120, 36)


@pytest.fixture
def envs() -> Iterator[list[Any]]:
    """Demo environments started by a test; stopped afterwards."""
    started: list[Any] = []
    yield started
    for env in started:
        env.stop()


def _demo(envs: list[Any], **kwargs: Any) -> Any:
    app, env = demo_app(**kwargs)
    envs.append(env)
    return app


def test_first_run(snap_compare: Any) -> None:
    from bwtui.ui.app import BwtuiApp

    app = BwtuiApp([], first_run=True, demo_factory=lambda: None, clock=FakeClock())
    app.config_path = None

    async def before(pilot: Any) -> None:
        await pilot.pause()

    from pathlib import Path

    app.config_path = Path("/home/ops/.config/bwtui/config.toml")
    assert snap_compare(app, terminal_size=(100, 30), run_before=before)


def test_demo_overview(snap_compare: Any, envs: list[Any]) -> None:
    app = _demo(envs)

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)

    assert snap_compare(app, terminal_size=WIDE, run_before=before)


@pytest.mark.parametrize("period_key", ["1", "2", "3"], ids=["day", "week", "month"])
def test_resource_detail_per_period(snap_compare: Any, envs: list[Any], period_key: str) -> None:
    app = _demo(envs)

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)
        await pilot.press("o", "j", period_key)
        await settle_demo(pilot, app)

    assert snap_compare(app, terminal_size=WIDE, run_before=before)


def test_failing_resource(snap_compare: Any, envs: list[Any]) -> None:
    from bwtui.simulator.faults import Fault

    app = _demo(envs)

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)
        await pilot.press("o")
        await settle_demo(pilot, app)
        key = app.selected
        envs[0].simulator.inject("hivelocity", key[1], Fault.status(500, "backend exploded"))
        await pilot.press("r")
        for _ in range(100):
            await pilot.pause(0.05)
            state = app.store.states.get(key)
            if state is not None and state.error is not None:
                break
        await settle_demo(pilot, app)
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=WIDE, run_before=before)


def test_rate_limited_account(snap_compare: Any, envs: list[Any]) -> None:
    from bwtui.simulator.faults import Fault

    app, env = demo_app()
    envs.append(env)
    env.simulator.inject("hivelocity", None, Fault.status(429, "Too Many Requests", retry_after_s=900))

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=WIDE, run_before=before)


def test_detail_at_80x24(snap_compare: Any, envs: list[Any]) -> None:
    app = _demo(envs)

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)
        await pilot.press("o")
        await settle_demo(pilot, app)

    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_ansi_theme_overview(snap_compare: Any, envs: list[Any]) -> None:
    app = _demo(envs, theme="ansi")

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)

    assert snap_compare(app, terminal_size=WIDE, run_before=before)


def test_ascii_detail(snap_compare: Any, envs: list[Any]) -> None:
    app = _demo(envs, ascii=True)

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)
        await pilot.press("o")
        await settle_demo(pilot, app)

    assert snap_compare(app, terminal_size=WIDE, run_before=before)


def test_hostile_names_overview(snap_compare: Any, envs: list[Any]) -> None:
    app = _demo(envs, hostile_names=True)

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)

    assert snap_compare(app, terminal_size=WIDE, run_before=before)


def _with_thresholds(app: Any) -> Any:
    """Hivelocity demo account with warning at 10 Mbit/s out and critical at 20 Mbit/s out."""
    from dataclasses import replace

    from bwtui.config import Thresholds

    for runtime in app.runtimes:
        if runtime.config.provider == "hivelocity":
            runtime.config = replace(
                runtime.config, thresholds=Thresholds(warn_out_bps=10e6, crit_out_bps=20e6)
            )
    return app


def test_threshold_crossed_overview(snap_compare: Any, envs: list[Any]) -> None:
    app = _with_thresholds(_demo(envs))

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=WIDE, run_before=before)


def test_threshold_crossed_detail(snap_compare: Any, envs: list[Any]) -> None:
    app = _with_thresholds(_demo(envs))

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)
        critical = next(key for key, alert in app.store.alerts.items() if alert.level == "critical")
        await pilot.press("o")
        app.tree.select_data(("resource", critical))
        app.select_resource(critical)
        await settle_demo(pilot, app)
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=WIDE, run_before=before)


async def _wait(pilot: Any, ready: Any, tries: int = 200) -> None:
    for _ in range(tries):
        await pilot.pause(0.02)
        if ready():
            return


def test_time_cursor_on_the_peak(snap_compare: Any, envs: list[Any]) -> None:
    """The detail with the time cursor on the day's peak: the bar, the readout in UTC, the total."""
    app = _demo(envs)

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)
        await pilot.press("o", "j", "m")
        await settle_demo(pilot, app)

    assert snap_compare(app, terminal_size=WIDE, run_before=before)


def test_compare_with_a_day_earlier(snap_compare: Any, envs: list[Any]) -> None:
    """The last 6 hours over the same hours a day earlier (from the provider's week series)."""
    app = _demo(envs)

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)
        await pilot.press("o", "j", "5", "c", "end")
        await settle_demo(pilot, app)
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=WIDE, run_before=before)


def test_billing_period_tables(snap_compare: Any, envs: list[Any]) -> None:
    """The period tables' billing-period tab: this period and the ones before, with p95."""
    app = _demo(envs)

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)
        await pilot.press("o", "j", "t", "p")
        await _wait(pilot, lambda: "periods" in getattr(app.screen, "tables", {}))
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=WIDE, run_before=before)


def test_provider_image(snap_compare: Any, envs: list[Any]) -> None:
    """Hivelocity's own graph in half-block cells, with what it cost."""
    app = _demo(envs)

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)
        await pilot.press("o", "j", "i")
        await _wait(pilot, lambda: bool(app.screen.query("#provider-image")))
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=WIDE, run_before=before)
