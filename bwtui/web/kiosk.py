"""What one browser tab runs: the kiosk monitor fed only by the collector's feed."""

from __future__ import annotations

import os

from bwtui.collector.discovery import CollectorRef

KIOSK_FLAG = "--kiosk-app"


def run_kiosk(ref: CollectorRef, *, theme: str = "default", ascii_mode: bool = False) -> int:
    """Run the read-only monitor on this tab's terminal until the browser goes away."""
    from bwtui.clock import RealClock
    from bwtui.collector.client import collector_token
    from bwtui.collector.fallback import FallbackSource
    from bwtui.ui.kiosk import KioskApp

    for name in [key for key in os.environ if key.startswith("BWTUI_TOKEN_")]:
        del os.environ[name]  # a wall screen never polls a provider itself
    source = FallbackSource(ref, [], clock=RealClock(), token=collector_token(), direct=False)
    app = KioskApp(theme=theme, ascii=ascii_mode, source=source)
    result = app.run()
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code)
