"""The first-run screen: no account configured yet. Offers the demo and shows how to add one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from bwtui.demo import DemoEnv
from bwtui.text import safe_text
from bwtui.ui.key_bar import KeyBar

DemoFactory = Callable[[], DemoEnv]


def first_run_text(config_path: Path | None) -> Text:
    """What the user can do next, with the exact commands."""
    if config_path is None:
        try:
            from bwtui.paths import default_config_file

            config_path = default_config_file()
        except Exception:  # noqa: BLE001 - platformdirs failing must not stop the screen
            config_path = None
    path_text = safe_text(config_path) if config_path is not None else "(the user config dir)/bwtui/config.toml"
    text = Text()
    text.append("Welcome to bwtui\n\n", style="bold")
    text.append("No account is configured yet.\n\n")
    text.append("  d", style="bold reverse")
    text.append("  try the demo now: four simulated providers on this machine\n")
    text.append("  a", style="bold reverse")
    text.append("  add an account here: the key is checked with the provider before it is saved\n")
    text.append("  q", style="bold reverse")
    text.append("  quit\n\n")
    text.append("To watch your own accounts:\n", style="bold")
    text.append("  1. add an account (the config file is ")
    text.append(path_text, style="italic")
    text.append(")\n")
    text.append("       bwtui account add hv-prod --provider hivelocity\n", style="cyan")
    text.append("       bwtui account add vpn --provider altostrat\n", style="cyan")
    text.append("     or write it yourself:\n")
    text.append(
        '       [[account]]\n       name = "hv-prod"\n       provider = "hivelocity"\n',
        style="cyan",
    )
    text.append("  2. give it a token, stored in the OS keyring:\n")
    text.append("       bwtui auth set hv-prod\n", style="cyan")
    text.append("     or, on a host without a keyring, in the environment:\n")
    text.append("       export BWTUI_TOKEN_HV_PROD=...\n", style="cyan")
    text.append("  3. run ")
    text.append("bwtui", style="cyan")
    text.append(" again (")
    text.append("bwtui status", style="cyan")
    text.append(" prints the same figures for scripts).\n")
    return text


class FirstRunScreen(Screen[None]):
    """Shown instead of the monitor when no account exists; ``d`` starts the demo here."""

    class DemoReady(Message):
        """The demo's simulated accounts are up: the app polls them from now on."""

        def __init__(self, env: DemoEnv) -> None:
            super().__init__()
            self.env = env

    BINDINGS = [
        Binding("d", "start_demo", "Start the demo", id="first-run-demo"),
        Binding("a", "app.add_account", "Add account", id="first-run-add-account"),
        Binding("q", "app.quit", "Quit", id="first-run-quit"),
        Binding("question_mark", "app.help", "Help", id="first-run-help"),
    ]

    def __init__(self, config_path: Path | None = None, demo_factory: DemoFactory | None = None) -> None:
        super().__init__()
        self.config_path = config_path
        self.demo_factory = demo_factory
        self._demo_starting = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="first-run-body"):
            with Center():
                yield Static(first_run_text(self.config_path), id="first-run-text")
            yield Static("", id="first-run-status")
        yield KeyBar()

    def set_status(self, message: str, *, error: bool = False) -> None:
        self.query_one("#first-run-status", Static).update(
            Text(safe_text(message), style="bold red" if error else "bold")
        )

    def action_start_demo(self) -> None:
        """d: start the simulated accounts (in a worker: starting them takes a moment)."""
        if self.demo_factory is None:
            self.set_status("The demo is not available here.", error=True)
            return
        if self._demo_starting:
            return
        self._demo_starting = True
        self.set_status("Starting the demo…")
        self.run_worker(self._start_demo(self.demo_factory), name="demo", group="demo",
                        exit_on_error=False)

    async def _start_demo(self, factory: DemoFactory) -> None:
        try:
            env = await asyncio.to_thread(factory)
        except Exception as error:  # noqa: BLE001 - shown here, the app keeps running
            self._demo_starting = False
            self.set_status(f"The demo could not start: {error}", error=True)
            return
        self.post_message(self.DemoReady(env))
