"""Accounts that join while the monitor runs: the demo started from the first-run screen, and
an account added with ``a`` (the add-account form), polled as soon as it is saved.

A mixin for :class:`bwtui.ui.app.BwtuiApp` (which owns the runtimes, the session and the data
source: ``_use_runtimes`` hands it the new list). The form and the first-run screen are imported
when first shown, not at start-up: a monitor with accounts never needs them.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App

from bwtui.config import AccountConfig
from bwtui.paths import default_config_file
from bwtui.runtime import AccountRuntime, build_runtime

if TYPE_CHECKING:
    from bwtui.demo import DemoEnv
    from bwtui.ui.first_run import FirstRunScreen


# The app's keys that act on the monitor's view and data (not quit, help, theme, accounts):
# nothing for them to act on while the first-run screen is up.
MONITOR_ACTIONS = frozenset({"toggle_overview", "refresh", "refresh_all", "toggle_pause",
                             "toggle_units", "period", "cycle_sort", "chart"})


def _on_first_run_screen(app: App[int]) -> bool:
    """Whether the first-run screen is showing (it can only be once its module is loaded)."""
    module = sys.modules.get("bwtui.ui.first_run")
    return module is not None and isinstance(app.screen, module.FirstRunScreen)


class NewAccountsMixin(App[int]):
    """The demo from the first-run screen; ``a`` adds an account."""

    runtimes: list[AccountRuntime]
    is_demo: bool
    demo_env: DemoEnv | None
    config_path: Path | None

    def _monitor_key_off(self, action: str) -> bool:
        """Whether ``action`` is one of the monitor's keys, off (neither run nor listed in the
        key bar) because the first-run screen is up."""
        return action in MONITOR_ACTIONS and _on_first_run_screen(self)

    def action_start_demo(self) -> None:
        """Start the demo (the first-run screen's ``d``, or the command palette)."""
        if _on_first_run_screen(self):
            self.screen.action_start_demo()  # type: ignore[attr-defined]

    def on_first_run_screen_demo_ready(self, message: FirstRunScreen.DemoReady) -> None:
        self.demo_env = message.env
        self.is_demo = True
        app: Any = self
        app.session.history.turn_off()  # simulated data never goes into the real history store
        self._use_runtimes(list(message.env.runtimes))

    def action_add_account(self) -> None:
        """a: the add-account form; the new account is polled as soon as it is saved."""
        if self.is_demo:
            self.notify("The demo's accounts are simulated; quit and run `bwtui` to add yours.",
                        markup=False)
            return
        from bwtui.ui.add_account import AddAccountScreen

        if isinstance(self.screen, AddAccountScreen):
            return
        path = self.config_path if self.config_path is not None else default_config_file()
        names = [rt.config.name for rt in self.runtimes]
        self.push_screen(AddAccountScreen(path, names), self._account_added)

    def _account_added(self, account: AccountConfig | None) -> None:
        if account is None:
            return
        self.run_worker(self._start_account(account), name="add-account", group="add-account",
                        exit_on_error=False)

    async def _start_account(self, account: AccountConfig) -> None:
        """Build the new account's client (token lookup may block: a thread) and poll it too."""
        runtime = await asyncio.to_thread(build_runtime, account)
        self._use_runtimes([*self.runtimes, runtime])
        self.notify(f"Added account {account.name}.", markup=False)

    def _use_runtimes(self, runtimes: list[AccountRuntime]) -> None:
        """Show and poll these accounts from now on (leaving the first-run screen)."""
        self.runtimes = runtimes
        app: Any = self
        app._register_runtimes()
        if _on_first_run_screen(self):
            self.pop_screen()
        app._renew_source()
