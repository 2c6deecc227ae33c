"""The sidebar: accounts and their resources, each with a status glyph and its out rate.

A line-API view (:class:`~textual.scroll_view.ScrollView` with ``render_line``), not a
``Tree``: its lines are a flat list of ``("account", name)`` and ``("resource", key)`` built
from the session's :class:`~bwtui.session.rows.ResourceRows` (filtered, config order), and only
the lines on screen are drawn, so 5,000 resources cost what a screenful costs. Labels are built
from sanitised API strings (never markup); a line is redrawn only when its text changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from bwtui.session.detail_text import error_word, short_rate, skipped_note
from bwtui.session.format import format_age
from bwtui.session.rows import ResourceRows, data_age_s
from bwtui.session.status import ALERT_MARKS, ALERT_STYLES, STATUS_STYLES, glyph, marked_glyph
from bwtui.session.store import Key, MonitorStore
from bwtui.text import safe_text
from bwtui.ui.line_view import repaint_lines

NodeData = tuple[str, Any]  # ("account", name) or ("resource", key)
Part = tuple[str, str]  # (text, Rich style)

RATE_WIDTH = 11  # "83.0 Mbit/s"
AGE_TICK_S = 30.0  # how often the ages on screen are looked at again
GUIDE_WIDTH = 2


class ResourceTree(ScrollView, can_focus=True):
    """Accounts and their resources; the highlighted resource is the selected one."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"tree--cursor", "tree--guides"}
    DEFAULT_CSS = """
    ResourceTree {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        & > .tree--guides { color: $foreground 50%; }
        & > .tree--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .tree--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="tree-down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="tree-up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="tree-page-down"),
        Binding("pageup", "page_up", "Page up", show=False, id="tree-page-up"),
        Binding("home", "scroll_top", "Top", show=False, id="tree-top"),
        Binding("end", "scroll_bottom", "Bottom", show=False, id="tree-bottom"),
        Binding("enter", "open", "Open", show=False, id="tree-open"),
        Binding("space", "toggle", "Fold", show=False, id="tree-fold"),
    ]

    class Highlighted(Message):
        """The cursor moved to another line (``data``: what it holds)."""

        def __init__(self, data: NodeData) -> None:
            super().__init__()
            self.data = data

    class Selected(Message):
        """Enter on a resource: open it."""

        def __init__(self, data: NodeData) -> None:
            super().__init__()
            self.data = data

    def __init__(self, store: MonitorStore, rows: ResourceRows, *, ascii_only: bool = False,
                 now: Callable[[], float] = time.time, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._now = now
        self.store = store
        self.rows = rows
        self.ascii_only = ascii_only
        self.bytes_mode = False
        self._lines: list[NodeData] = []
        self._index_cache: dict[NodeData, int] | None = None
        self._folded: set[str] = set()
        self._last: set[NodeData] = set()  # each account's last resource line (└ guide)
        self._cursor: NodeData | None = None
        self.wanted: NodeData | None = None  # where the cursor belongs after a rebuild
        self._parts: dict[NodeData, list[Part]] = {}
        self._strips: dict[NodeData, Strip] = {}
        self._styles: dict[str, Style] = {}
        self._base: Style | None = None

    @property
    def _index(self) -> dict[NodeData, int]:
        """Where each line is (worked out when first asked after a rebuild)."""
        if self._index_cache is None:
            self._index_cache = {data: index for index, data in enumerate(self._lines)}
        return self._index_cache

    # ----- lines --------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.rebuild()
        self.set_interval(AGE_TICK_S, self._age_tick)

    def _age_tick(self) -> None:
        """Ages grow without any poll: look at the lines on screen again (each redraws only
        if its text changed)."""
        top = round(self.scroll_y)
        for data in self._lines[top:top + self.scrollable_content_region.height]:
            if data[0] == "resource":
                self._relabel(data)

    def visible_keys(self) -> list[tuple[str, str]]:
        """The resources whose lines are on screen now."""
        top = round(self.scroll_y)
        return [data[1] for data in self._lines[top:top + self.scrollable_content_region.height]
                if data[0] == "resource"]

    def rebuild(self, *, announce: bool = False, restate: bool = False) -> None:
        """Take the lines from the model again (accounts listed, filter changed). The cursor
        stays on what it was on when that is still shown; otherwise it goes to the first
        resource (and, with ``announce``, says so: the detail follows). With ``restate`` the
        cursor's line is announced even where it stays (the tree was hidden while the filter
        changed, and the selection may have been dropped meanwhile)."""
        lines: list[NodeData] = []
        last: set[NodeData] = set()
        for account, keys in self.rows.groups():
            lines.append(("account", account))
            if account not in self._folded and keys:
                lines.extend(("resource", key) for key in keys)
                last.add(lines[-1])
        self._lines = lines
        self._last = last
        self._index_cache = None
        self._parts.clear()
        self._strips.clear()
        size = Size(self.scrollable_content_region.width or self.size.width, len(lines))
        if size != self.virtual_size:
            self.virtual_size = size
        repaint_lines(self)
        wanted = self.wanted if self.wanted is not None else self._cursor
        if wanted is not None and wanted in self._index:
            if wanted != self._cursor:
                self._set_cursor(self._index[wanted], announce=announce)
            elif restate:
                self.post_message(self.Highlighted(wanted).set_sender(self))
            return
        first = self.first_resource()
        if first is not None and ("resource", first) in self._index:
            self._set_cursor(self._index[("resource", first)], announce=announce)
        elif lines:
            self._set_cursor(0, announce=announce)
        else:
            self._cursor = None

    def sync_account(self, name: str) -> None:
        """One account's resource list arrived."""
        self.rebuild()

    def select_data(self, data: NodeData) -> bool:
        """Move the cursor to ``data``'s line; False when it is not shown."""
        index = self._index.get(data)
        if index is None:
            if data[0] == "resource" and data[1][0] in self._folded and self.rows.is_shown(data[1]):
                self._folded.discard(data[1][0])
                self.rebuild()
                index = self._index.get(data)
            if index is None:
                return False
        self.wanted = data
        self._set_cursor(index, announce=False)
        return True

    def has_account(self, name: str) -> bool:
        """Whether the account has a line (it may be filtered out, or not known yet)."""
        return ("account", name) in self._index

    def first_resource(self) -> Key | None:
        """The first resource in tree (config) order."""
        return self.rows.first()

    @property
    def name_filter(self) -> str:
        return self.rows.filter_text

    @property
    def cursor_data(self) -> NodeData | None:
        return self._cursor

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def label(self, data: NodeData) -> Text:
        """What a line says, styled (never markup)."""
        return Text.assemble(*self._label(data))

    # ----- updates ------------------------------------------------------------------------
    def update_resource(self, key: Key) -> None:
        """Relabel one resource (and its account's glyph) if the visible text changed."""
        self.update_resource_label(key)
        self.update_account(key[0])

    def update_resource_label(self, key: Key) -> None:
        self._relabel(("resource", key))

    def update_account(self, name: str) -> None:
        """Relabel an account; one with no line yet (not in the config) gets one."""
        if ("account", name) not in self._index and name in self.store.accounts \
                and not self.rows.filtering:
            self.rebuild()
        self._relabel(("account", name))

    def update_lines(self, keys: Iterable[Key]) -> None:
        """Relabel these resources and their accounts."""
        accounts = set()
        for key in keys:
            self._relabel(("resource", key))
            accounts.add(key[0])
        for name in accounts:
            self._relabel(("account", name))

    def relabel_all(self) -> None:
        """After a units or pause toggle: every label may read differently."""
        self._parts.clear()
        self._strips.clear()
        repaint_lines(self)

    def _relabel(self, data: NodeData) -> None:
        index = self._index.get(data)
        if index is None:
            return
        y = index - round(self.scroll_y)
        if not 0 <= y < self.scrollable_content_region.height:
            self._parts.pop(data, None)
            self._strips.pop(data, None)
            return
        old = self._parts.get(data)
        new = self._label(data)
        if old == new:
            return
        self._parts[data] = new
        self._strips.pop(data, None)
        self.refresh(Region(0, y, self.size.width, 1))

    def on_resize(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width or self.size.width,
                                 len(self._lines))
        self.relabel_all()

    # ----- labels -------------------------------------------------------------------------
    def _name_width(self) -> int:
        width = self.scrollable_content_region.width or self.size.width or 34
        glyph_w = 2 if self.ascii_only else 1
        # guide + glyph and a space + threshold mark + rate + a margin
        return max(6, width - GUIDE_WIDTH - glyph_w - 1 - 3 - RATE_WIDTH - 1)

    def _label(self, data: NodeData) -> list[Part]:
        if data[0] == "account":
            return self._account_label(data[1])
        return self._resource_label(data[1])

    def _account_label(self, name: str) -> list[Part]:
        status = self.store.account_status(name)
        view = self.store.accounts.get(name)
        folded = name in self._folded
        if self.ascii_only:
            fold = "+ " if folded else "- "
        else:
            fold = "▶ " if folded else "▼ "
        parts: list[Part] = [(fold, ""), (glyph(status, ascii_only=self.ascii_only), STATUS_STYLES[status]),
                             (" ", ""), (safe_text(name), "bold")]
        if view is not None and view.error:
            parts.append((f" ({error_word(view.error_kind)})", STATUS_STYLES["error"]))
        elif view is not None and view.rate_limit and view.rate_limit.remaining is not None:
            if view.rate_limit.limit and view.rate_limit.remaining < view.rate_limit.limit * 0.1:
                parts.append((f" {view.rate_limit.remaining} req left", STATUS_STYLES["rate_limited"]))
        if view is not None and view.skipped:
            parts.append((f" {skipped_note(view)}", "dim"))
        return parts

    def _resource_label(self, key: Key) -> list[Part]:
        state = self.store.states.get(key)
        status = self.store.status(key)
        alert = self.store.alert_level(key)
        alert_style = ALERT_STYLES[alert] if alert is not None else ""
        width = self._name_width()
        name = safe_text(state.resource.name if state is not None else key[1])
        if cell_len(name) > width:
            name = set_cell_size(name, width - 1) + ("~" if self.ascii_only else "…")
        else:
            name = name + " " * (width - cell_len(name))
        out_bps = self.store.rates(key)[1] if state is not None else None
        # The threshold mark sits between name and rate, so it shows without colour too; with
        # no mark, the data's age goes there once it is older than 1.5 of its provider's steps.
        age = data_age_s(self.rows.values(key), self._now()) if state is not None else None
        mark_style = alert_style
        if alert is not None:
            mark = ALERT_MARKS[alert].rjust(2) + " "
        elif age is not None:
            mark, mark_style = format_age(age).rjust(3)[-3:], "bold yellow"
        else:
            mark = "   "
        if self.ascii_only:
            guide = "`-" if ("resource", key) in self._last else "|-"
        else:
            guide = "└ " if ("resource", key) in self._last else "├ "
        return [
            (guide, "dim"),
            marked_glyph(status, alert, ascii_only=self.ascii_only),
            (" ", ""),
            (name, alert_style),
            (mark, mark_style),
            (short_rate(out_bps, state.resource.rate_basis if state else None,
                        bytes_mode=self.bytes_mode).rjust(RATE_WIDTH), alert_style),
        ]

    # ----- drawing ------------------------------------------------------------------------
    def _style(self, style: str) -> Style:
        found = self._styles.get(style)
        if found is None:
            found = self._styles[style] = Style.parse(style) if style else Style()
        return found

    def _strip(self, parts: list[Part], base: Style, over: Style | None = None) -> Strip:
        """One line; ``over`` (the cursor) goes on top of every part's own style."""
        width = self.size.width
        segments = []
        for text, style in parts:
            part_style = base + self._style(style) if style else base
            segments.append(Segment(text, part_style + over if over is not None else part_style))
        return Strip(segments).adjust_cell_length(width, base)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._base = self.rich_style  # once a pass, not once a line
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        base = self._base if self._base is not None else self.rich_style
        index = round(self.scroll_y) + y
        if index >= len(self._lines):
            return Strip.blank(self.size.width, base)
        data = self._lines[index]
        parts = self._parts.get(data)
        if parts is None:
            parts = self._parts[data] = self._label(data)
            self._prune()
        if data == self._cursor:
            cursor = self.get_component_rich_style("tree--cursor")
            return self._strip(parts, base + cursor, cursor)
        strip = self._strips.get(data)
        if strip is None:
            strip = self._strips[data] = self._strip(parts, base)
        return strip

    def _prune(self) -> None:
        limit = max(64, 3 * self.scrollable_content_region.height)
        if len(self._parts) <= limit:
            return
        top = round(self.scroll_y)
        keep = set(self._lines[top: top + self.scrollable_content_region.height])
        for data in [d for d in self._parts if d not in keep][: len(self._parts) - limit // 2]:
            self._parts.pop(data, None)
            self._strips.pop(data, None)

    def on_focus(self) -> None:
        self._refresh_data_line(self._cursor)

    def on_blur(self) -> None:
        self._refresh_data_line(self._cursor)

    # ----- the cursor ---------------------------------------------------------------------
    def _set_cursor(self, index: int, *, announce: bool = True) -> None:
        if not self._lines:
            return
        index = max(0, min(index, len(self._lines) - 1))
        old = self._cursor
        self._cursor = self._lines[index]
        height = self.scrollable_content_region.height
        top = round(self.scroll_y)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif height > 0 and index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)
        if old != self._cursor:
            self._refresh_data_line(old)
            self._refresh_data_line(self._cursor)
            if announce:
                self.wanted = self._cursor
                self.post_message(self.Highlighted(self._cursor).set_sender(self))

    def _refresh_data_line(self, data: NodeData | None) -> None:
        index = self._index.get(data) if data is not None else None
        if index is None:
            return
        y = index - round(self.scroll_y)
        if 0 <= y < self.scrollable_content_region.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _cursor_index(self) -> int:
        return self._index.get(self._cursor, 0) if self._cursor is not None else 0

    def _step(self, delta: int) -> None:
        self._set_cursor(self._cursor_index() + delta)

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_cursor_up(self) -> None:
        self._step(-1)

    def action_page_down(self) -> None:
        self._step(max(1, self.scrollable_content_region.height - 1))

    def action_page_up(self) -> None:
        self._step(-max(1, self.scrollable_content_region.height - 1))

    def action_scroll_top(self) -> None:
        self._set_cursor(0)

    def action_scroll_bottom(self) -> None:
        self._set_cursor(len(self._lines) - 1)

    def action_toggle(self) -> None:
        """Fold or unfold the account under the cursor (or the resource's account)."""
        if self._cursor is None:
            return
        account = self._cursor[1] if self._cursor[0] == "account" else self._cursor[1][0]
        if account in self._folded:
            self._folded.discard(account)
        else:
            self._folded.add(account)
        self.wanted = ("account", account)
        self.rebuild()
        self.post_message(self.Highlighted(("account", account)).set_sender(self))

    def action_open(self) -> None:
        """Enter: an account folds or unfolds; a resource opens."""
        if self._cursor is None:
            return
        if self._cursor[0] == "account":
            self.action_toggle()
        else:
            self.post_message(self.Selected(self._cursor).set_sender(self))

    def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_y) + event.y
        if not 0 <= index < len(self._lines):
            return
        data = self._lines[index]
        if data[0] == "account" and event.x < 2:
            self._set_cursor(index)
            self.action_toggle()
            return
        self._set_cursor(index)
