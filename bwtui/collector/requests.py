"""What the collector counts about its own provider traffic, for ``/metrics``.

- :class:`CountingTransport` wraps an account's HTTP transport: every request the provider
  answered, by status code, and every one that got no answer, by reason (``timeout``,
  ``network``, ``cancelled``). These are exactly the requests the provider saw.
- :class:`CountingClient` wraps an account's provider client: every failed call by
  :class:`~bwtui.model.ErrorKind` (what the poller made of it).

:class:`RequestCounters` holds the numbers; the poller's thread writes them, a scrape reads them.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from bwtui.model import ProviderError

T = TypeVar("T")
# The same connection limits as bwtui.providers.http.build_async_client.
LIMITS = httpx.Limits(max_connections=8, max_keepalive_connections=4)


@dataclass(frozen=True, slots=True)
class CountsView:
    """A consistent copy of the counters."""

    answered: dict[tuple[str, str, str], int]  # (provider, account, code) → requests
    unanswered: dict[tuple[str, str, str], int]  # (provider, account, reason) → requests
    errors: dict[tuple[str, str, str], int]  # (provider, account, kind) → failed calls

    @property
    def requests(self) -> int:
        """Every request that reached (or may have reached) the provider."""
        return sum(self.answered.values()) + sum(self.unanswered.values())


class RequestCounters:
    """Thread-safe counters of requests and errors (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answered: Counter[tuple[str, str, str]] = Counter()
        self._unanswered: Counter[tuple[str, str, str]] = Counter()
        self._errors: Counter[tuple[str, str, str]] = Counter()

    def answered(self, provider: str, account: str, code: int) -> None:
        with self._lock:
            self._answered[(provider, account, str(code))] += 1

    def unanswered(self, provider: str, account: str, reason: str) -> None:
        with self._lock:
            self._unanswered[(provider, account, reason)] += 1

    def error(self, provider: str, account: str, kind: str) -> None:
        with self._lock:
            self._errors[(provider, account, kind)] += 1

    def view(self) -> CountsView:
        with self._lock:
            return CountsView(dict(self._answered), dict(self._unanswered), dict(self._errors))


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts each request once it is answered (by status) or has failed (by reason)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, counters: RequestCounters, provider: str,
                 account: str) -> None:
        self._inner = inner
        self._counters = counters
        self._provider = provider
        self._account = account

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TimeoutException:
            self._counters.unanswered(self._provider, self._account, "timeout")
            raise
        except (asyncio.CancelledError, httpx.HTTPError, OSError) as error:
            reason = "cancelled" if isinstance(error, asyncio.CancelledError) else "network"
            self._counters.unanswered(self._provider, self._account, reason)
            raise
        self._counters.answered(self._provider, self._account, response.status_code)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def counting_http(counters: RequestCounters, provider: str, account: str, *,
                  tls: bool = True) -> httpx.AsyncClient:
    """An AsyncClient like the providers' own (no redirects, the same limits, the shared TLS
    context; a bare one for a plain-HTTP loopback API) that counts requests."""
    from bwtui.providers.http import bare_tls, shared_tls

    verify = shared_tls() if tls else bare_tls()
    inner = httpx.AsyncHTTPTransport(limits=LIMITS, verify=verify)
    transport = CountingTransport(inner, counters, provider, account)
    return httpx.AsyncClient(follow_redirects=False, transport=transport)


class CountingClient:
    """A provider client that counts its failed calls by error kind; everything else passes."""

    def __init__(self, inner: Any, counters: RequestCounters, provider: str, account: str, *,
                 http: httpx.AsyncClient | None = None) -> None:
        self._inner = inner
        self._counters = counters
        self._label = (provider, account)
        self._http = http  # the injected AsyncClient: the provider client does not close it

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __repr__(self) -> str:
        return f"CountingClient({self._inner!r})"

    async def _counted(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except ProviderError as error:
            self._counters.error(*self._label, error.kind.value)
            raise

    async def list_resources(self) -> Any:
        return await self._counted(self._inner.list_resources)

    async def fetch_usage(self, *args: Any, **kwargs: Any) -> Any:
        return await self._counted(lambda: self._inner.fetch_usage(*args, **kwargs))

    async def fetch_series(self, *args: Any, **kwargs: Any) -> Any:
        return await self._counted(lambda: self._inner.fetch_series(*args, **kwargs))

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if self._http is not None:
                await self._http.aclose()
