"""The monitor's header keeps a lasting mark while history is not being kept (not only a toast)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bwtui.history import HistoryStore, open_history

from ui_support import T0, fake_app, screen_text, settle, standard_script

SIZE = (160, 32)


def _header(app: Any) -> str:
    return screen_text(app).splitlines()[0]


async def _flush(pilot: Any, app: Any) -> None:
    worker = app.flush_history()
    if worker is not None:
        await worker.wait()
    await pilot.pause()


async def test_a_full_disk_shows_a_lasting_header_mark_with_what_was_lost(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3", auto_compact=False, clock=lambda: T0)
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")
    app = fake_app(standard_script(), history=store, history_flush_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert "history" not in _header(app)
        await _flush(pilot, app)
        header = _header(app)
        lost = store.health.lost_points
        assert lost > 0
        assert f"✖ history disk full: {lost} points not written since" in header
        await pilot.pause(0.2)
        app.notify("something else")  # toasts come and go; the mark stays
        await pilot.pause()
        assert "history disk full" in _header(app)
        assert app.history is store and app.is_running
    store.close()


async def test_a_read_only_history_is_shown_and_marked(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    HistoryStore(path, auto_compact=False, clock=lambda: T0).close()
    store, notice = open_history(path, read_only=True, clock=lambda: T0)
    assert store is not None
    app = fake_app(standard_script(), history=store, history_problem=notice, history_flush_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert "⚠ history read-only" in _header(app)
        await _flush(pilot, app)
        assert "points not written since" in _header(app)
    store.close()


async def test_history_that_could_not_be_opened_is_marked_off(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store, problem = open_history(blocker / "bwtui" / "history.sqlite3")
    assert store is None and problem
    app = fake_app(standard_script(), history=None, history_problem=problem)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert "✖ history off" in _header(app)


async def test_a_file_overwritten_during_the_run_is_marked_damaged(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path, auto_compact=False, clock=lambda: T0)
    app = fake_app(standard_script(), history=store, history_flush_s=3600)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        with open(path, "r+b") as handle:
            handle.write(os.urandom(path.stat().st_size))
        await _flush(pilot, app)
        assert "✖ history damaged:" in _header(app)
    store.close()
