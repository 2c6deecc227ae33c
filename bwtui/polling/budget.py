"""A provider request budget shared by every account behind one host (Hivelocity: per IP).

The budget learns the window from the ``X-RateLimit-*`` figures of responses, counts requests it
lets out, and says how many more may go before the window resets. It never lets the estimate of
what is left go below zero, so a key that follows it receives no 429. It also says what rate the
rest of the window can carry (:meth:`Budget.supply_rps`), which the pacer spreads requests at,
and, for display, how much the intervals of resources nobody is looking at stretch.

A 429 blocks the whole budget only when the provider's headers say the budget is gone
(``remaining`` 0), or when a 429 carries no figures at all (then for at most
``BudgetTuning.unknown_block_s``); otherwise it is the resource's own affair (see the poller).
A block never lasts longer than ``BudgetTuning.max_block_s`` (one hour: one Hivelocity window),
whatever ``Retry-After`` says.
"""

from __future__ import annotations

from dataclasses import dataclass

from bwtui.model import RateLimit

UNLIMITED = 1 << 30


@dataclass(frozen=True, slots=True)
class BudgetTuning:
    """Knobs of the budget; the defaults suit Hivelocity (3,600 requests an hour)."""

    window_s: float = 3600.0  # assumed window length when only "seconds to reset" is known
    probe_requests: int = 4  # requests allowed out before the first figures of a window arrive
    reserve_fraction: float = 0.01  # kept back for the selected resource and user requests
    reset_margin_s: float = 1.0  # wait this long past the announced reset
    max_stretch: float = 48.0  # report no stretch beyond this
    headroom: float = 1.1  # plan for 10% more demand than the natural cadence
    default_block_s: float = 300.0  # after a 429 that says the budget is gone, without Retry-After
    unknown_block_s: float = 300.0  # longest host-wide pause after a 429 without any figures
    max_block_s: float = 3600.0  # never wait longer than this on a Retry-After (one window)
    verify_after_s: float = 60.0  # first check of a 429 our own count contradicts (doubles)
    surprise_fraction: float = 0.05  # a "budget gone" 429 with more than this left is checked


class Budget:
    """One request budget. Not thread-safe: lives on the event loop."""

    def __init__(self, name: str, tuning: BudgetTuning | None = None) -> None:
        self.name = name
        self.tuning = tuning or BudgetTuning()
        self.metered: bool | None = None  # None until a response said whether limits exist
        self.limit: int | None = None
        self.remaining: int | None = None  # estimate, already less the requests let out since
        self.window_end: float | None = None
        self.confirmed = False  # figures seen for the current window
        self.blocked_until = 0.0
        self.inflight = 0
        self.issued = 0
        self.rejected = 0
        self.last_rate_limit: RateLimit | None = None
        self.block_reason = ""
        self.expected_remaining: int | None = None  # our estimate just before the last figures
        self.verify_at: float | None = None  # during a block: when one request may check it
        self._verify_delay_s = self.tuning.verify_after_s
        self._verifying = False

    # -- gate --------------------------------------------------------------------------------
    def _roll(self, now: float) -> None:
        """Assume the window reset once its end (plus a margin) has passed."""
        end = self.window_end
        if end is not None and now >= end + self.tuning.reset_margin_s:
            self.window_end = None
            self.remaining = self.limit
            self.confirmed = False

    @property
    def reserve(self) -> int:
        if not self.limit:
            return 0
        return max(1, int(self.limit * self.tuning.reserve_fraction))

    def available(self, now: float, *, urgent: bool = False) -> int:
        """How many requests may go out now; ``urgent`` ones may use the reserve."""
        self._roll(now)
        if now < self.blocked_until:
            verify_at = self.verify_at
            ok = verify_at is not None and now >= verify_at and self.inflight == 0 and not self._verifying
            return 1 if ok else 0
        if self.metered is False:
            return UNLIMITED
        free = UNLIMITED if self.remaining is None else self.remaining - (0 if urgent else self.reserve)
        if not self.confirmed:
            free = min(free, self.tuning.probe_requests - self.inflight)
        return max(0, free)

    def open_at(self, now: float) -> float | None:
        """When the gate opens by time alone (None: when a request in flight completes)."""
        if now < self.blocked_until:
            if self.verify_at is not None and not self._verifying:
                return max(now, min(self.blocked_until, self.verify_at))
            return self.blocked_until
        if self.window_end is not None and self.confirmed:
            return self.window_end + self.tuning.reset_margin_s
        return None

    def take(self, count: int = 1, *, now: float | None = None) -> None:
        """Let ``count`` requests out (during a block: the one that checks it)."""
        if now is not None and now < self.blocked_until:
            self._verifying = True
        self.inflight += count
        self.issued += count
        if self.remaining is not None:
            self.remaining -= count

    def give_back(self, count: int, *, check: bool = False) -> None:
        """``count`` taken requests were not sent after all (``check``: nor the checking one)."""
        if check:
            self._verifying = False
        self.inflight -= count
        self.issued -= count
        if self.remaining is not None:
            self.remaining += count

    def complete(self, now: float, rate_limit: RateLimit | None, *, answered: bool = True) -> bool:
        """A request came back; ``rate_limit`` is the client's latest figures.

        ``answered`` is False when no response arrived (network error, timeout): then a
        missing ``rate_limit`` says nothing about whether the provider meters requests.
        Returns True when ``rate_limit`` was new information. A 429 also calls :meth:`block`.
        """
        self.inflight = max(0, self.inflight - 1)
        fresh = rate_limit is not None and rate_limit is not self.last_rate_limit
        verifying, self._verifying = self._verifying, False
        if rate_limit is None:
            if self.metered is None and answered:
                self.metered = False
        elif fresh:
            self.last_rate_limit = rate_limit
            self.expected_remaining = self.remaining
            if answered and now < self.blocked_until and (rate_limit.remaining or 0) > 0:
                self._lift(now, rate_limit)  # the check says the budget is there after all
            else:
                self._observe(now, rate_limit)
        elif answered and verifying:
            self._lift(now, None)
        return fresh

    def _lift(self, now: float, rate_limit: RateLimit | None) -> None:
        """End a block the provider's own answer contradicts; rebuild from its figures."""
        self.blocked_until = 0.0
        self.verify_at = None
        self._verify_delay_s = self.tuning.verify_after_s
        self.block_reason = ""
        if rate_limit is not None and rate_limit.remaining is not None:
            self.remaining = rate_limit.remaining - self.inflight
            if rate_limit.reset_s is not None:
                self.window_end = now + rate_limit.reset_s
            if rate_limit.limit is not None:
                self.limit = rate_limit.limit
            self.metered = True
            self.confirmed = True

    def _observe(self, now: float, rate_limit: RateLimit) -> None:
        if rate_limit.remaining is None and rate_limit.limit is None:
            return
        self.metered = True
        if rate_limit.limit is not None:
            self.limit = rate_limit.limit
        if rate_limit.remaining is None:
            return
        end = now + rate_limit.reset_s if rate_limit.reset_s is not None else None
        if end is None and self.window_end is None:
            end = now + self.tuning.window_s
        candidate = rate_limit.remaining - self.inflight
        new_window = (
            self.remaining is None
            or (end is not None and self.window_end is not None and end > self.window_end + 5.0)
        )
        if new_window:
            self.remaining = candidate
            if end is not None:
                self.window_end = end
        else:
            self.remaining = min(self.remaining if self.remaining is not None else candidate, candidate)
            if end is not None:
                self.window_end = end if self.window_end is None else max(self.window_end, end)
        self.confirmed = True

    def overdrawn(self) -> bool:
        """True when the provider's latest figures leave less than what was already taken:
        requests taken but not sent yet must not go."""
        return self.metered is True and self.remaining is not None and self.remaining < 0

    def adopt(self, now: float, *, limit: int | None, remaining: int | None, window_end: float | None,
              blocked_until: float, block_reason: str) -> None:
        """Take the figures every bwtui process on this host shares (the ledger), which already
        count this process's own spending."""
        if limit is not None:
            self.limit = limit
            self.metered = True
        if remaining is not None:
            self.remaining = remaining
            self.window_end = window_end
            self.confirmed = True
        if blocked_until > self.blocked_until and blocked_until > now:
            self.blocked_until = blocked_until  # another process got a 429: stop here too
            self.block_reason = block_reason or "another bwtui process was rate limited"
            self.verify_at = None

    def blocked(self, now: float) -> bool:
        """True while a 429 said nothing more may go out."""
        return now < self.blocked_until

    def surprising(self) -> bool:
        """True when a "budget gone" answer contradicts our own count (which had plenty left):
        another client may have spent it, or the provider limits one resource and says so
        badly. Such a block is checked with one request now and then (:attr:`verify_at`)."""
        expected, limit = self.expected_remaining, self.limit
        if expected is None or not limit:
            return False
        return expected > max(self.reserve, limit * self.tuning.surprise_fraction)

    def block(self, now: float, wait_s: float, *, reason: str = "", verify: bool = False) -> float:
        """A 429 that applies to the whole budget: nothing goes out for ``wait_s`` (capped at
        ``max_block_s``), except, with ``verify``, one request now and then that checks whether
        the budget is really gone. Returns when the block ends."""
        self.rejected += 1
        until = now + min(max(wait_s, 0.0), self.tuning.max_block_s)
        if until >= self.blocked_until:
            self.blocked_until = until
            self.block_reason = reason
        if verify:
            self.verify_at = now + self._verify_delay_s
            self._verify_delay_s = min(self._verify_delay_s * 2, self.tuning.max_block_s)
        else:
            self.verify_at = None
        return self.blocked_until

    def rejected_here(self) -> None:
        """A 429 that applied to one resource only (counted, nothing blocked)."""
        self.rejected += 1

    # -- pacing ------------------------------------------------------------------------------
    def time_left_s(self, now: float) -> float:
        """Seconds until the current window resets (a full window when unknown)."""
        window_s = self.tuning.window_s
        if self.window_end is None:
            return window_s
        return min(max(self.window_end - now, 0.0), window_s)

    def even_rps(self) -> float | None:
        """The limit spread evenly over its window (None: no limit known)."""
        if not self.metered or not self.limit:
            return None
        return self.limit / self.tuning.window_s

    def supply_rps(self, now: float) -> float | None:
        """The rate the rest of this window can carry (None: not metered, or nothing known yet)."""
        if not self.metered or not self.limit:
            return None
        self._roll(now)
        if self.remaining is None:
            return self.limit / self.tuning.window_s
        left = max(self.remaining - self.reserve, 0)
        return left / max(self.time_left_s(now), 60.0)

    def stretch(self, demand_rps: float, supply_rps: float | None) -> float:
        """How much the natural intervals stretch for ``demand_rps`` to fit ``supply_rps`` (>= 1)."""
        if supply_rps is None or demand_rps <= 0:
            return 1.0
        if supply_rps <= 0:
            return self.tuning.max_stretch
        return min(self.tuning.max_stretch, max(1.0, demand_rps * self.tuning.headroom / supply_rps))
