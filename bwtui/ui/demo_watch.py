"""The demo's simulator, watched: if its child process ends, the user is told why and where.

Without this, a demo whose simulator died (a broken install, a corrupt world file) showed only
"could not connect to 127.0.0.1" on every account, and what the simulator said went unseen into
the state dir's ``demo-simulator.log``. Checked at each burst of poll events (failures keep
coming, each account retrying): a ``waitpid`` without waiting, told once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import App

from bwtui.session.changes import Announcement

if TYPE_CHECKING:
    from bwtui.demo import DemoEnv

ENDED_TOAST_S = 60.0  # long enough to read a path off the screen


class DemoWatchMixin(App[int]):
    """Tells once, as an error, that the demo's simulator process ended."""

    demo_env: DemoEnv | None
    _demo_end_told = False

    def _check_demo_simulator(self) -> None:
        if self.demo_env is None or self._demo_end_told:
            return
        why = self.demo_env.ended()
        if why is not None:
            self._demo_end_told = True
            app: Any = self
            app._announce(Announcement(why, title="Demo", severity="error",
                                        timeout_s=ENDED_TOAST_S))
