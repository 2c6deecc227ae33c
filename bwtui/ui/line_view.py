"""What the line-drawn views (the overview table, the sidebar tree) share."""

from __future__ import annotations

from textual.geometry import Region
from textual.scroll_view import ScrollView


def repaint_lines(view: ScrollView) -> None:
    """Repaint ``view``'s lines, not its scrollbar: the scrollbar redraws itself when the line
    count or the scroll position moves it (a whole-widget refresh drew its lines again too)."""
    region = view.scrollable_content_region
    if region:
        view.refresh(Region(0, 0, region.width, region.height))
    else:
        view.refresh()
