"""Write SVG screenshots of the monitor's main states to ``screenshots/``.

Uses Textual's own headless ``App.run_test()`` and ``App.export_screenshot()`` with the same
deterministic setup and steps as the snapshot tests (``tests/test_ui_snapshots.py`` through
``tests/ui_support.py``: the demo simulator on loopback with seed 7, the real clients and
poller, a frozen clock), so the pictures show what the snapshot tests pin down.

    .venv/bin/python scripts/make_screenshots.py [--out screenshots] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import ui_support  # noqa: E402  (the snapshot tests' deterministic setup)

WIDE = (120, 36)  # the snapshot tests' size
FIRST_RUN_CONFIG = "/home/ops/.config/bwtui/config.toml"  # as in the first-run snapshot

Prepare = Callable[[Any, Any, Any], Awaitable[None]]


@dataclass(frozen=True)
class Shot:
    """One screenshot: the app's options, what to do before the picture, the terminal size."""

    name: str
    title: str
    prepare: Prepare | None = None
    size: tuple[int, int] = WIDE
    options: dict[str, Any] = field(default_factory=dict)
    rate_limited: bool = False


async def _detail(pilot: Any, app: Any, env: Any, period_key: str = "") -> None:
    """From the overview to the first resource's detail (``o``, ``j``), then the period key."""
    await pilot.press("o", "j", *([period_key] if period_key else []))
    await ui_support.settle_demo(pilot, app)


def _period(key: str) -> Prepare:
    return lambda pilot, app, env: _detail(pilot, app, env, key)


async def _failing(pilot: Any, app: Any, env: Any) -> None:
    """The selected Hivelocity service answers 500; ``r`` asks for it again."""
    from bwtui.simulator.faults import Fault

    await pilot.press("o")
    await ui_support.settle_demo(pilot, app)
    key = app.selected
    env.simulator.inject("hivelocity", key[1], Fault.status(500, "backend exploded"))
    await pilot.press("r")
    for _ in range(100):
        await pilot.pause(0.05)
        state = app.store.states.get(key)
        if state is not None and state.error is not None:
            break
    await ui_support.settle_demo(pilot, app)
    app.clear_notifications()
    await pilot.pause()


async def _quiet(pilot: Any, app: Any, env: Any) -> None:
    app.clear_notifications()
    await pilot.pause()


async def _help(pilot: Any, app: Any, env: Any) -> None:
    await pilot.press("question_mark")
    await pilot.pause()


async def _filtering(pilot: Any, app: Any, env: Any) -> None:
    """Typing a filter over the overview: the bar above the table, the header's note."""
    await pilot.press("slash", "e", "d", "g")
    await ui_support.settle_demo(pilot, app)
    app.clear_notifications()
    await pilot.pause()


async def _keys_then(pilot: Any, app: Any, keys: tuple[str, ...], ready: Callable[[], bool]) -> None:
    await pilot.press("o", "j", *keys)
    await ui_support.settle_demo(pilot, app)
    for _ in range(200):  # workers (history reads, the provider's image) finish in their time
        if ready():
            break
        await pilot.pause(0.02)
    app.clear_notifications()
    await pilot.pause(0.1)


def _steps(*keys: str, ready: Callable[[Any], bool] = lambda app: True) -> Prepare:
    return lambda pilot, app, env: _keys_then(pilot, app, keys, lambda: ready(app))


SHOTS = (
    Shot("demo-overview", "bwtui --demo: overview"),
    Shot("overview-filter", "typing a filter over the overview (/)", _filtering),
    Shot("detail-day", "resource detail: day", _period("1")),
    Shot("detail-week", "resource detail: week", _period("2")),
    Shot("detail-month", "resource detail: the billing period (3)", _period("3")),
    Shot("time-cursor", "the time cursor on the day's peak (m)", _steps("m")),
    Shot("compare", "the last 6 hours over the same hours a day earlier (5, c)", _steps("5", "c", "end")),
    Shot("period-tables", "period tables: billing periods (t, p)",
         _steps("t", "p", ready=lambda app: "periods" in getattr(app.screen, "tables", {}))),
    Shot("provider-image", "Hivelocity's own graph (i)",
         _steps("i", ready=lambda app: bool(app.screen.query("#provider-image")))),
    Shot("failing-resource", "a failing resource", _failing),
    Shot("rate-limited", "a rate-limited account", _quiet, rate_limited=True),
    Shot("first-run", "first run: no accounts", size=(100, 30)),
    Shot("help", "help", _help),
    Shot("ansi-theme", "ANSI 16-colour theme", options={"theme": "ansi"}),
    Shot("ascii-detail", "--ascii: no braille", _detail, options={"ascii": True}),
    Shot("small-80x24", "80×24", _detail, size=(80, 24)),
)


def _first_run_app() -> Any:
    from bwtui.ui.app import BwtuiApp

    app = BwtuiApp([], first_run=True, demo_factory=lambda: None, clock=ui_support.FakeClock())
    app.config_path = Path(FIRST_RUN_CONFIG)
    return app


async def take(shot: Shot, out_dir: Path) -> Path:
    """Run one state headless on the snapshot tests' setup and write its SVG."""
    env = None
    if shot.name == "first-run":
        app = _first_run_app()
    else:
        app, env = ui_support.demo_app(**shot.options)
        if shot.rate_limited:
            from bwtui.simulator.faults import Fault

            env.simulator.inject(
                "hivelocity", None, Fault.status(429, "Too Many Requests", retry_after_s=900)
            )
    try:
        async with app.run_test(size=shot.size) as pilot:
            if env is not None:
                await ui_support.settle_demo(pilot, app)
            await pilot.pause()
            if shot.prepare is not None:
                await shot.prepare(pilot, app, env)
            await pilot.pause()
            svg = app.export_screenshot(title=shot.title)
    finally:
        if env is not None:
            env.stop()
    path = out_dir / f"{shot.name}.svg"
    path.write_text(svg, encoding="utf-8")
    return path


async def main_async(out_dir: Path, only: set[str]) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    for shot in SHOTS:
        if only and shot.name not in only:
            continue
        try:
            path = await take(shot, out_dir)
        except Exception as error:  # noqa: BLE001 - report every state, keep going
            failures += 1
            print(f"FAILED {shot.name}: {type(error).__name__}: {error}", file=sys.stderr)
            continue
        print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 1 if failures else 0


def _isolate_environment(root: Path) -> None:
    """No user config, history, keyring or NO_COLOR leaks into the pictures."""
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = str(root / name.lower())
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    for name in list(os.environ):
        if name.startswith("BWTUI_") or name in ("NO_COLOR", "FORCE_COLOR"):
            del os.environ[name]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write SVG screenshots of bwtui's main states.")
    parser.add_argument("--out", type=Path, default=REPO / "screenshots")
    parser.add_argument("--only", nargs="*", default=[], help=", ".join(s.name for s in SHOTS))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bwtui-shots-") as tmp:
        _isolate_environment(Path(tmp))
        return asyncio.run(main_async(args.out.resolve(), set(args.only)))


if __name__ == "__main__":
    raise SystemExit(main())
