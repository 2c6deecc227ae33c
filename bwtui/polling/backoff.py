"""Exponential backoff with full jitter (seeded in tests)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """Delay before retry number ``failures``: uniform in [floor, min(cap, base * 2**(failures-1))]."""

    base_s: float = 15.0
    cap_s: float = 900.0
    floor_s: float = 1.0
    rng: random.Random = field(default_factory=random.Random)

    def bound_s(self, failures: int, cap_s: float | None = None) -> float:
        """The largest delay the ``failures``-th consecutive failure can get.

        ``cap_s`` lowers the cap for this call: a resource that succeeded a moment ago is
        retried within one of its normal intervals, so it is back soon after an error storm.
        """
        exponent = min(max(failures, 1) - 1, 32)
        cap = self.cap_s if cap_s is None else min(self.cap_s, cap_s)
        return min(cap, self.base_s * 2.0**exponent)

    def delay_s(self, failures: int, cap_s: float | None = None) -> float:
        """A jittered delay for the ``failures``-th consecutive failure (1 = first)."""
        bound = self.bound_s(failures, cap_s)
        return max(min(self.floor_s, bound), self.rng.uniform(0.0, bound))
