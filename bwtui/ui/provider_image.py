"""The provider's own bandwidth graph (``i``), drawn in the terminal, and saved on ``s``.

Hivelocity renders a PNG of a service's traffic for a period and interface. Fetching it is one
request from the same budget as every poll: it goes through the poller (``one_off``), never
straight from here, and the screen says what it cost and what is left. Each period and
interface is fetched once per visit. Drawn with :mod:`bwtui.ui.graphics` (kitty, sixel or
half-block cells).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from bwtui.images import has_image
from bwtui.model import ProviderError, ResourceState
from bwtui.text import safe_text
from bwtui.ui.graphics import choose_protocol, image_widget, protocol_words

PERIODS = ("day", "week", "month")
INTERFACES = ("public", "private", "all", "eth0", "eth1")


def open_image(app: App[Any], state: ResourceState, *, ascii_only: bool = False) -> None:
    """Push the image screen for ``state``'s resource (or say why there is none)."""
    resource = state.resource
    if not has_image(resource.provider):
        app.notify(f"{resource.provider} has no graph image of its own; the chart here is bwtui's.",
                   timeout=4, markup=False)
        return
    if getattr(app, "poller", None) is None:
        app.notify("Nothing is polling: the image cannot be fetched now.", timeout=4, markup=False)
        return
    app.push_screen(ProviderImageScreen(state, ascii_only=ascii_only))


class ProviderImageScreen(ModalScreen[None]):
    """The provider's PNG for one resource; keys change the period and the interface."""

    DEFAULT_CSS = """
    ProviderImageScreen { align: center middle; }
    ProviderImageScreen > Vertical { width: 100%; height: 100%; padding: 0 1; background: $surface; }
    ProviderImageScreen #image-title { height: auto; text-style: bold; }
    ProviderImageScreen #image-status { height: auto; color: $foreground; }
    ProviderImageScreen #image-box { height: 1fr; overflow: hidden hidden; }
    ProviderImageScreen #provider-image { width: 100%; height: auto; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="image-close"),
        Binding("q", "close", "Close", show=False, id="image-close-q"),
        Binding("i", "close", "Close", show=False, id="image-close-i"),
        Binding("1", "period('day')", "Day", id="image-day"),
        Binding("2", "period('week')", "Week", id="image-week"),
        Binding("3", "period('month')", "Month", id="image-month"),
        Binding("f", "interface", "Interface", id="image-interface"),
        Binding("s", "save", "Save PNG", id="image-save"),
    ]

    def __init__(self, state: ResourceState, *, ascii_only: bool = False, save_dir: Path | None = None) -> None:
        super().__init__()
        self.state = state
        self.ascii_only = ascii_only
        self.save_dir = save_dir or Path.cwd()
        self.period = "day"
        self.interface = _account_interface(state) or "public"
        self.images: dict[tuple[str, str], bytes] = {}
        self.protocol = "halfcell" if ascii_only else choose_protocol()
        self.requests = 0

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="image-title")
            yield Static(id="image-status")
            yield Vertical(id="image-box")

    def on_mount(self) -> None:
        self._show()

    # ----- keys ---------------------------------------------------------------------------------
    def action_close(self) -> None:
        self.dismiss(None)

    def action_period(self, period: str) -> None:
        self.period = period
        self._show()

    def action_interface(self) -> None:
        self.interface = INTERFACES[(INTERFACES.index(self.interface) + 1) % len(INTERFACES)]
        self._show()

    def action_save(self) -> None:
        picture = self.images.get((self.period, self.interface))
        if picture is None:
            self.notify("Nothing to save yet.", markup=False)
            return
        resource = self.state.resource
        name = f"bwtui-{_file_part(resource.id)}-{self.period}-{self.interface}.png"
        path = self.save_dir / name
        try:
            path.write_bytes(picture)
        except OSError as error:
            self.notify(f"Could not save {path}: {error.strerror}", severity="error", markup=False)
            return
        self.notify(f"Saved {path}", markup=False)

    # ----- fetching and drawing -----------------------------------------------------------------------
    def _show(self) -> None:
        resource = self.state.resource
        title = Text()
        title.append(f"{resource.provider}'s own graph of ")
        title.append(safe_text(resource.name, max_len=60))
        title.append(f"  · {self.period} · interface {self.interface}")
        self.query_one("#image-title", Static).update(title)
        picture = self.images.get((self.period, self.interface))
        if picture is None:
            self._status("Fetching: 1 request from the provider's budget" + self._budget_text() + "…")
            self._fetch(self.period, self.interface)
            return
        self._draw(picture)

    def _budget_text(self) -> str:
        store = getattr(self.app, "store", None)
        view = store.accounts.get(self.state.resource.account) if store is not None else None
        limit = view.rate_limit if view is not None else None
        if limit is None or limit.remaining is None:
            return ""
        of = f" of {limit.limit:,}" if limit.limit is not None else ""
        return f" ({limit.remaining:,}{of} left)"

    def _status(self, text: str) -> None:
        if self.ascii_only:
            text = text.replace("·", "-").replace("…", "...")
        self.query_one("#image-status", Static).update(Text(text))

    @work(group="provider-image", exclusive=True, exit_on_error=False)
    async def _fetch(self, period: str, interface: str) -> None:
        control: Any = getattr(self.app, "poller", None)
        key = self.state.resource.key
        if control is None:
            self._status("Nothing is polling: the image cannot be fetched now.")
            return

        async def call(client: Any, resource: Any) -> bytes:
            return await client.fetch_image(resource, period, interface=interface)

        try:
            picture = await control.one_off(key, call)
        except ProviderError as error:
            self._status(f"The provider answered {error.kind.value}: {safe_text(error.message, max_len=200)}")
            return
        except Exception as error:  # noqa: BLE001 - shown on the screen, never a crash
            self._status(f"The image could not be fetched: {safe_text(str(error), max_len=200)}")
            return
        self.requests += 1
        self.images[(period, interface)] = picture
        if (self.period, self.interface) == (period, interface):
            self._draw(picture)

    def _draw(self, picture: bytes) -> None:
        try:
            from PIL import Image as PILImage

            decoded = PILImage.open(io.BytesIO(picture))
            decoded.load()
        except Exception as error:  # noqa: BLE001 - a bad PNG is shown as a message
            self._status(f"The provider's image could not be decoded: {error}")
            return
        box = self.query_one("#image-box", Vertical)
        spent = f"{self.requests} request{'s' if self.requests != 1 else ''} spent here{self._budget_text()}"
        keys = "1 2 3 period · f interface · s save · esc close"
        if self.ascii_only:
            if not box.query("#provider-image"):
                box.mount(Static(Text("--ascii: the picture needs block characters; s saves the PNG to "
                                      "look at elsewhere."), id="provider-image"))
            self._status(f"{decoded.width}x{decoded.height} PNG · {spent} · {keys}")
            return
        shown = box.query("#provider-image")
        if shown:
            shown.first().image = decoded  # one widget for the screen's life: just a new picture
        else:
            box.mount(image_widget(self.protocol)(decoded, id="provider-image"))
        self._status(f"{decoded.width}×{decoded.height} PNG · {protocol_words(self.protocol)}"
                     f" · {spent} · {keys}")


def _account_interface(state: ResourceState) -> str | None:
    source = state.usage.source if state.usage is not None else ""
    for name in INTERFACES:
        if f"({name})" in source:
            return name
    return None


def _file_part(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:40] or "resource"
