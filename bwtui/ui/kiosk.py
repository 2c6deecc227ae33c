"""The monitor as a read-only wall screen (``bwtui web``): same screens, nothing that writes.

:class:`KioskApp` is the monitor with the add-account form, the first-run screen and the demo
taken out, fed by whatever source it is given (a collector's, for ``bwtui web``). It never
writes a config file or a history store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import SystemCommand
from textual.screen import Screen

from bwtui.ui.app import BwtuiApp

READ_ONLY = "This is a read-only wall screen: accounts are added where the collector runs."


class KioskApp(BwtuiApp):
    """:class:`~bwtui.ui.app.BwtuiApp` without anything that writes (see the module docstring)."""

    TITLE = "bwtui wall screen"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(first_run=False, demo_factory=None, config_path=None, history=None)
        super().__init__(**kwargs)

    def action_add_account(self) -> None:
        self.notify(READ_ONLY, markup=False)

    def action_start_demo(self) -> None:
        self.notify(READ_ONLY, markup=False)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title not in ("Add account", "Start the demo"):
                yield command
