"""What the poller keeps per account and per budget group, and how accounts are grouped.

A *budget group* is every account whose requests the provider counts against one budget. The
provider's traits say which (``ProviderTraits.budget_scope``): ``"host"`` (per client IP and API
host, as Hivelocity) puts every account of that provider on that host together; ``"token"`` (per
token or project, as Hetzner Cloud) gives each account its own budget. Nothing here looks at a
provider's name to decide.
"""

from __future__ import annotations

import asyncio
import heapq
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import urlsplit

from bwtui.clock import Waker
from bwtui.model import ProviderError, RateLimit, Resource
from bwtui.polling.auth_retry import AuthRetry
from bwtui.polling.budget import Budget
from bwtui.polling.freshness import PublicationClock
from bwtui.polling.ledger import SharedBudget
from bwtui.polling.pacer import Pace, TokenBucket
from bwtui.providers.base import ProviderClient
from bwtui.runtime import AccountRuntime

if TYPE_CHECKING:
    from bwtui.polling.slot import Slot

HOST_SCOPE = "host"
TOKEN_SCOPE = "token"


@runtime_checkable
class HasBaseUrl(Protocol):
    """A client that says which URL it talks to (every HTTP provider client does)."""

    @property
    def base_url(self) -> str: ...


@dataclass(frozen=True, slots=True)
class BudgetKey:
    """Which provider budget a request counts against.

    ``account`` is set only for token-scoped budgets (the account whose token it is); the
    account's name stands for the token, which is never written anywhere.
    """

    provider: str
    scope: str
    host: str
    account: str = ""

    def __str__(self) -> str:
        if self.scope == TOKEN_SCOPE:
            return f"{self.provider}:{self.account}@{self.host}"
        return f"{self.provider}@{self.host}"


def api_host(runtime: AccountRuntime) -> str:
    """The API host (``host[:port]``, lower case) an account's requests go to.

    From the configured ``base_url``, else the client's own base URL, else the provider's name
    (a client with no URL, such as a test fake).
    """
    base_url = runtime.config.base_url
    client = runtime.client
    if not base_url and isinstance(client, HasBaseUrl):
        base_url = client.base_url
    host = urlsplit(base_url).netloc.lower() if base_url else ""
    return host or runtime.config.provider


def budget_key(runtime: AccountRuntime) -> BudgetKey:
    """The budget an account's requests count against, from its provider's traits."""
    provider = runtime.config.provider
    client = runtime.client
    scope = client.traits.budget_scope if client is not None else HOST_SCOPE
    host = api_host(runtime)
    if scope == TOKEN_SCOPE:
        return BudgetKey(provider, TOKEN_SCOPE, host, runtime.name)
    return BudgetKey(provider, HOST_SCOPE, host)


class BudgetGroup:
    """Resources sharing one request budget, and the heap of when each is due."""

    def __init__(self, key: BudgetKey, budget: Budget) -> None:
        self.key = key
        self.budget = budget
        self.waker = Waker()
        self.heap: list[tuple[float, int, Slot]] = []
        self.slots: set[Slot] = set()
        self.forced: set[Slot] = set()
        self.demand_rps = 0.0
        self.demand_dirty = True
        self.accounts: list[Account] = []
        self.visible: set[Slot] = set()
        self.bucket: TokenBucket | None = None  # made when the group's scheduler starts
        self.pace: Pace | None = None
        self.paced_at = -math.inf
        self.paced_blocked = False
        # What the host's shared ledger was last told, and what it said.
        self.synced_issued = 0
        self.synced_figures: RateLimit | None = None
        self.synced_block = 0.0
        self.shared: SharedBudget | None = None
        self.event_at = -math.inf
        self.event_signature: tuple[object, ...] | None = None

    def demand(self) -> float:
        """Requests a second the group's live resources cost at their natural cadence."""
        if self.demand_dirty:
            self.demand_rps = sum(
                slot.demand_rps()
                for slot in self.slots
                if slot.stopped is None and slot.account.stopped is None
            )
            self.demand_dirty = False
        return self.demand_rps

    def push(self, slot: Slot, seq: int) -> None:
        """(Re)arm ``slot`` in the heap at its next due time; older entries become stale."""
        slot.heap_seq = seq
        heapq.heappush(self.heap, (slot.next_due(), seq, slot))
        self.waker.wake()


class Account:
    """An account being polled."""

    def __init__(self, runtime: AccountRuntime, group: BudgetGroup, max_concurrency: int) -> None:
        self.runtime = runtime
        self.name = runtime.name
        self.client: ProviderClient | None = runtime.client
        self.group = group
        self.semaphore = asyncio.Semaphore(max(1, max_concurrency))
        self.waker = Waker()
        self.tg: asyncio.TaskGroup | None = None
        self.stopped: ProviderError | None = None  # token refused: nothing until its retry
        self.auth_retry = AuthRetry()  # when a refused token is tried again
        self.error: ProviderError | None = None
        self.slots: dict[str, Slot] = {}
        self.listed: tuple[Resource, ...] | None = None
        self.relist = False
        self.rate_limit_event_at = -math.inf
        self._publication: dict[tuple[str, float], PublicationClock] = {}

    def publication(self, kind: str, step_s: float, margin_s: float = 5.0) -> PublicationClock:
        """When this account's provider publishes rows of ``kind`` (``step_s`` apart)."""
        key = (kind, float(step_s))
        clock = self._publication.get(key)
        if clock is None:
            clock = self._publication[key] = PublicationClock(step_s, margin_s=margin_s)
        return clock
