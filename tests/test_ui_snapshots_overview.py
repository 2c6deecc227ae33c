"""Snapshots of the overview's states (sorted by another column, totals, a filter with its header
note) at 80×24, 120×40 and 200×50.

Fed by the scripted fake poller (fixed data, frozen clock) rather than the simulator: these
states are about layout, and the script makes every figure (and one stale resource's age)
the same on every run. Regenerate with ``--snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from typing import Any

import pytest

from ui_support import fake_app, named_script, settle

SIZES = [(80, 24), (120, 40), (200, 50)]
IDS = ["80x24", "120x40", "200x50"]


def _app() -> Any:
    return fake_app(named_script(services=8, instances=4, stale={"edge-1": 1260}))


async def _overview(pilot: Any, app: Any) -> None:
    await settle(pilot, app)
    if app.view_mode != "overview":
        await pilot.press("o")
    app.overview.apply_sort()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_overview_with_totals(snap_compare: Any, size: tuple[int, int]) -> None:
    app = _app()

    async def before(pilot: Any) -> None:
        await _overview(pilot, app)

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_overview_sorted_by_period_out_ascending(snap_compare: Any, size: tuple[int, int]) -> None:
    app = _app()

    async def before(pilot: Any) -> None:
        await _overview(pilot, app)
        app.overview.sort_by("period_out")
        app.overview.sort_by("period_out")  # second click: lowest first
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_overview_filtered_with_header_note(snap_compare: Any, size: tuple[int, int]) -> None:
    app = _app()

    async def before(pilot: Any) -> None:
        await _overview(pilot, app)
        await pilot.press("slash", "e", "d", "g", "e", "enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_overview_filter_bar_while_typing(snap_compare: Any, size: tuple[int, int]) -> None:
    """'/' over the overview: a one-line bar above the table, which keeps its columns."""
    app = _app()

    async def before(pilot: Any) -> None:
        await _overview(pilot, app)
        await pilot.press("slash", "e", "d")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=before)
