"""The monitor at the sizes people run it: 80×24 (tmux, a console), 120×40, 200×50 (a NOC
screen), and below the minimum. Same deterministic demo as ``test_ui_snapshots.py``.

At 80×24 the detail keeps the cost and a chart of at least 5 rows (the sparklines fold into their
stats lines); at 200×50 the sidebar and the names use the room.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ui_support import demo_app, settle_demo

SIZES = [(80, 24), (120, 40), (200, 50)]


@pytest.fixture
def envs() -> Iterator[list[Any]]:
    started: list[Any] = []
    yield started
    for env in started:
        env.stop()


def _demo(envs: list[Any], **kwargs: Any) -> Any:
    app, env = demo_app(**kwargs)
    envs.append(env)
    return app


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_overview_at_size(snap_compare: Any, envs: list[Any], size: tuple[int, int]) -> None:
    app = _demo(envs)

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_detail_at_size(snap_compare: Any, envs: list[Any], size: tuple[int, int]) -> None:
    """The resource heading for the largest overage, in the detail: its cost must show in full."""
    app = _demo(envs)

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)
        await pilot.press("o")
        key = max(app.store.states, key=lambda k: _overage(app, k))
        assert _overage(app, key) > 0
        app.tree.select_data(("resource", key))
        app.select_resource(key)
        await settle_demo(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=before)


def _overage(app: Any, key: Any) -> float:
    figures = app.session.billing(app.store.states[key])
    return (figures.projected_overage_cost or 0.0) if figures is not None else 0.0


def test_too_small(snap_compare: Any, envs: list[Any]) -> None:
    app = _demo(envs)

    async def before(pilot: Any) -> None:
        await settle_demo(pilot, app)

    assert snap_compare(app, terminal_size=(50, 12), run_before=before)
