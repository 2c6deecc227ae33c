"""What every ``--demo`` run on this machine agrees on: when the simulated Altostrat instance's
billing period turns over.

Each demo run starts its own simulator. Instance 0's counters drop a few minutes after the
first start, so a new user sees a period reset happen; were the boundary taken from each run's
own start, two runs an hour apart would disagree on the counters (one just after its reset, the
other a month into its period) and a rate derived across them from the demo history would read
tens of Gbit/s. The boundary is kept in the state dir (``demo-world.json``) and reused for 25
days; a missing, unreadable or stale file just starts a new one.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

WORLD_FILE = "demo-world.json"
RESET_AFTER_S = 240.0  # the first run sees the reset this long after it starts
KEEP_S = 25 * 86400


def altostrat_reset_at(now: float, state_dir: Path) -> float:
    """The demo's Altostrat period boundary (epoch seconds): the stored one, else ``now`` + 4 min."""
    path = state_dir / WORLD_FILE
    try:
        stored = float(json.loads(path.read_text(encoding="utf-8"))["altostrat_reset_at"])
    except (OSError, ValueError, KeyError, TypeError):
        stored = math.nan
    if math.isfinite(stored) and now - KEEP_S <= stored <= now + RESET_AFTER_S:
        return stored
    reset_at = now + RESET_AFTER_S
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"altostrat_reset_at": reset_at}), encoding="utf-8")
        temporary.replace(path)
    except OSError:
        pass  # a read-only state dir: this run keeps its own boundary
    return reset_at
