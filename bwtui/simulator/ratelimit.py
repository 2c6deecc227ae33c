"""Hivelocity's rate limit: per client IP, a fixed one-hour window from the first request."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

WINDOW_S = 3600.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one request against the budget, and the headers that tell it."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: float

    def headers(self) -> dict[str, str]:
        """``X-RateLimit-*`` headers; Reset is seconds until the window ends (not an epoch)."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(max(0, math.ceil(self.reset_s))),
        }


class RateLimiter:
    """Fixed-window counters per IP. Memory is bounded: expired windows are dropped."""

    MAX_CLIENTS = 10_000

    def __init__(self, limit_per_hour: int) -> None:
        self.limit = limit_per_hour
        self._windows: dict[str, tuple[float, int]] = {}  # ip -> (window start, used)
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def hit(self, ip: str, now: float) -> Verdict:
        """Count one request from ``ip`` at ``now`` (simulated seconds)."""
        with self._lock:
            start, used = self._windows.get(ip, (now, 0))
            if now - start >= WINDOW_S or now < start:
                start, used = now, 0
            if ip not in self._windows and len(self._windows) >= self.MAX_CLIENTS:
                self._prune(now)
            reset_s = start + WINDOW_S - now
            if used >= self.limit:
                self._windows[ip] = (start, used)
                return Verdict(False, self.limit, 0, reset_s)
            used += 1
            self._windows[ip] = (start, used)
            return Verdict(True, self.limit, self.limit - used, reset_s)

    def _prune(self, now: float) -> None:
        for ip in [ip for ip, (start, _) in self._windows.items() if now - start >= WINDOW_S]:
            del self._windows[ip]
        while len(self._windows) >= self.MAX_CLIENTS:
            self._windows.pop(next(iter(self._windows)))
