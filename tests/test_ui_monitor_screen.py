"""A focus change repaints what it concerns, not every widget on screen (Textual's screen did:
'/' and Esc each drew the whole screen twice in one frame at fleet scale)."""

from __future__ import annotations

from typing import Any

from bwtui.ui.monitor_screen import MonitorScreen
from ui_support import fake_app, settle


async def test_a_focus_change_leaves_unconcerned_widgets_undrawn(monkeypatch: Any) -> None:
    app = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, MonitorScreen)
        title = app.query_one("#hdr-title")
        drawn: list[object] = []
        original = type(title).render_lines

        def counting(self: Any, crop: Any) -> Any:
            if self is title:
                drawn.append(crop)
            return original(self, crop)

        monkeypatch.setattr(type(title), "render_lines", counting)
        for _ in range(3):
            app.screen.set_focus(None)
            await pilot.pause()
            app.screen.set_focus(app.tree)
            await pilot.pause()
        assert app.focused is app.tree
        assert drawn == []  # the title bar is not concerned by the focus


async def test_the_screen_is_born_with_its_size_classes_so_the_first_resize_restyles_nothing(
        monkeypatch: Any) -> None:
    from textual.dom import DOMNode

    changed: list[tuple[str, set[str]]] = []
    original = DOMNode.update_classes

    def spying(self: Any, classes: Any, update: bool = True, animate: bool = True) -> Any:
        before = set(self._classes)
        result = original(self, classes, update, animate)
        if set(self._classes) != before:
            changed.append((type(self).__name__, set(self._classes) ^ before))
        return result

    monkeypatch.setattr(DOMNode, "update_classes", spying)
    app = fake_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert {"-narrow", "-short"} <= set(app.screen.classes)
        assert not [name for name, _ in changed if name == "MonitorScreen"]
        await pilot.resize_terminal(120, 40)  # later resizes still move it between sizes
        await pilot.pause()
        assert {"-normal", "-tall"} <= set(app.screen.classes)
