"""The sidebar: a Tree of accounts → resources, each with a status glyph and its out rate.

Labels are ``rich.text.Text`` built from sanitised API strings (never markup), and a node's
label is replaced only when its text changed, so a poll that changes nothing redraws nothing.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from bwtui.model import Resource
from bwtui.text import safe_text
from bwtui.session.format import format_rate
from bwtui.session.status import ALERT_MARKS, ALERT_STYLES, STATUS_STYLES, glyph
from bwtui.session.store import Key, MonitorStore

NodeData = tuple[str, Any]  # ("account", name) or ("resource", key)

RATE_WIDTH = 10


class ResourceTree(Tree[NodeData]):
    """Accounts and their resources; the highlighted resource is the selected one."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="tree-down"),
        Binding("k", "cursor_up", "Up", show=False, id="tree-up"),
    ]

    def __init__(self, store: MonitorStore, *, ascii_only: bool = False, **kwargs: Any) -> None:
        super().__init__("accounts", **kwargs)
        self.show_root = False
        self.guide_depth = 2
        self.store = store
        self.ascii_only = ascii_only
        self.bytes_mode = False
        self.name_filter = ""
        self._account_nodes: dict[str, TreeNode[NodeData]] = {}
        self._resource_nodes: dict[Key, TreeNode[NodeData]] = {}
        self._labels: dict[int, str] = {}
        self.wanted: NodeData | None = None  # where the cursor belongs after a rebuild
        if ascii_only:
            self.ICON_NODE = "+ "
            self.ICON_NODE_EXPANDED = "- "

    # ----- building -------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Re-create the nodes (accounts added, resources listed, filter changed)."""
        selected = self.wanted
        self.clear()
        self._account_nodes.clear()
        self._resource_nodes.clear()
        self._labels.clear()
        needle = self.name_filter.casefold().strip()
        for view in self.store.accounts.values():
            resources = [
                r for r in view.resources if not needle or needle in r.name.casefold()
            ]
            if needle and not resources:
                continue
            node = self.root.add(self._account_label(view.name), data=("account", view.name))
            node.expand()
            self._account_nodes[view.name] = node
            for resource in resources:
                leaf = node.add_leaf(self._resource_label(resource), data=("resource", resource.key))
                self._resource_nodes[resource.key] = leaf
        if selected is not None:
            self.select_data(selected)

    def sync_account(self, name: str) -> None:
        """One account's resource list arrived: touch only that account's nodes.

        Unchanged lists only relabel what changed; a changed list re-creates that account's
        leaves; anything the incremental path cannot place (a new or filtered-out account)
        falls back to a full rebuild.
        """
        view = self.store.accounts.get(name)
        node = self._account_nodes.get(name)
        if view is None or node is None:
            self.rebuild()
            return
        needle = self.name_filter.casefold().strip()
        resources = [r for r in view.resources if not needle or needle in r.name.casefold()]
        if needle and not resources:
            self.rebuild()
            return
        shown = [child.data[1] for child in node.children if child.data is not None]
        if shown == [r.key for r in resources]:
            for resource in resources:
                self.update_resource_label(resource.key)
            self.update_account(name)
            return
        selected = self.wanted
        for child in node.children:
            if child.data is not None:
                self._resource_nodes.pop(child.data[1], None)
            self._labels.pop(child.id, None)
        node.remove_children()
        for resource in resources:
            leaf = node.add_leaf(self._resource_label(resource), data=("resource", resource.key))
            self._resource_nodes[resource.key] = leaf
        self.update_account(name)
        if selected is not None:
            self.select_data(selected)

    def select_data(self, data: NodeData) -> bool:
        """Move the cursor to the node holding ``data``; False when it is not shown."""
        node: TreeNode[NodeData] | None
        if data[0] == "resource":
            node = self._resource_nodes.get(data[1])
        else:
            node = self._account_nodes.get(data[1])
        if node is None:
            return False
        self.wanted = data
        self._tree_lines  # noqa: B018 - builds the lines so the node knows its line number
        self.move_cursor(node)
        return True

    def has_account(self, name: str) -> bool:
        """Whether the account has a node (it may be filtered out, or not known yet)."""
        return name in self._account_nodes

    def first_resource(self) -> Key | None:
        """The first resource in tree (config) order."""
        for node in self._account_nodes.values():
            for child in node.children:
                if child.data is not None and child.data[0] == "resource":
                    return child.data[1]
        return None

    # ----- updating -------------------------------------------------------------------------
    def update_resource(self, key: Key) -> None:
        """Relabel one resource (and its account's glyph) if the visible text changed."""
        self.update_resource_label(key)
        self.update_account(key[0])

    def update_resource_label(self, key: Key) -> None:
        """Relabel one resource if its visible text changed (not its account)."""
        node = self._resource_nodes.get(key)
        state = self.store.states.get(key)
        if node is not None and state is not None:
            self._set_label(node, self._resource_label(state.resource))

    def update_account(self, name: str) -> None:
        node = self._account_nodes.get(name)
        if node is not None:
            self._set_label(node, self._account_label(name))

    def relabel_all(self) -> None:
        """After a units or pause toggle: relabel every node (each only if it changed)."""
        for name, node in self._account_nodes.items():
            self._set_label(node, self._account_label(name))
        for key, node in self._resource_nodes.items():
            state = self.store.states.get(key)
            if state is not None:
                self._set_label(node, self._resource_label(state.resource))

    def _set_label(self, node: TreeNode[NodeData], label: Text) -> None:
        signature = label.plain + "\x00" + repr(label.spans)
        if self._labels.get(node.id) == signature:
            return
        self._labels[node.id] = signature
        node.set_label(label)

    # ----- labels ---------------------------------------------------------------------------
    def _name_width(self) -> int:
        width = self.size.width or 34
        # guides (2 per level, 2 levels) + glyph + spaces + rate + scrollbar margin
        return max(6, width - 4 - 3 - RATE_WIDTH - 3)

    def _account_label(self, name: str) -> Text:
        status = self.store.account_status(name)
        view = self.store.accounts.get(name)
        label = Text()
        label.append(glyph(status, ascii_only=self.ascii_only), style=STATUS_STYLES[status])
        label.append(" ")
        label.append(safe_text(name), style="bold")
        if view is not None and view.error:
            label.append(f" ({(view.error_kind or 'error').replace('_', '-')})", style=STATUS_STYLES["error"])
        elif view is not None and view.rate_limit and view.rate_limit.remaining is not None:
            if view.rate_limit.limit and view.rate_limit.remaining < view.rate_limit.limit * 0.1:
                label.append(f" {view.rate_limit.remaining} req left", style=STATUS_STYLES["rate_limited"])
        return label

    def _resource_label(self, resource: Resource) -> Text:
        state = self.store.states.get(resource.key)
        status = self.store.status(resource.key)
        alert = self.store.alert_level(resource.key)
        alert_style = ALERT_STYLES[alert] if alert is not None else ""
        width = self._name_width() - (2 if alert is not None else 0)
        name = safe_text(resource.name, max_len=width).ljust(width)
        out_bps = self.store.rates(resource.key)[1] if state is not None else None
        label = Text()
        label.append(glyph(status, ascii_only=self.ascii_only), style=STATUS_STYLES[status])
        label.append(" ")
        label.append(name, style=alert_style)
        # The threshold mark sits between name and rate, so it shows without colour too.
        label.append(ALERT_MARKS[alert].rjust(2) + " " if alert is not None else " ",
                     style=alert_style)
        label.append(format_rate(out_bps, bytes_mode=self.bytes_mode).rjust(RATE_WIDTH),
                     style=alert_style)
        return label

    def on_resize(self) -> None:
        self.relabel_all()

