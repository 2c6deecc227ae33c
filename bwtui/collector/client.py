"""Talking to a collector from a viewer: the feed, one chart, the snapshot, the history export.

Every failure is a :class:`CollectorUnavailable` with a sentence a user can act on (not
running, wrong token, not a collector, broke the protocol). The token (``$BWTUI_COLLECTOR_TOKEN``)
travels only in the ``Authorization`` header.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx

from bwtui import __version__
from bwtui.collector.access import TOKEN_ENV_VAR
from bwtui.collector.protocol import (
    EXPORT_PATH,
    FEED_PATH,
    SERIES_PATH,
    SILENCE_TIMEOUT_S,
    SNAPSHOT_PATH,
    FeedError,
    HistoryJoiner,
    SseReader,
    check_hello,
    decode_event,
    decode_export_row,
    parse_json,
)
from bwtui.events import SeriesUpdated
from bwtui.history import ExportRow
from bwtui.model import Period

CONNECT_TIMEOUT_S = 2.0
REQUEST_TIMEOUT_S = 10.0


class CollectorUnavailable(Exception):
    """The collector could not be reached or used; ``str()`` says why, for the user."""


def collector_token() -> str | None:
    """The token to show the collector, from ``$BWTUI_COLLECTOR_TOKEN`` (None: none)."""
    return os.environ.get(TOKEN_ENV_VAR, "").strip() or None


def tls_for(url: str) -> ssl.SSLContext:
    """The project's shared verifying context for https://, a bare one (no CA bundle to load:
    the costly part of making a client) for a plain-HTTP loopback collector."""
    from bwtui.providers.http import bare_tls, shared_tls

    return shared_tls() if url.startswith("https://") else bare_tls()


def _headers(token: str | None) -> dict[str, str]:
    headers = {"User-Agent": f"bwtui/{__version__}"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _explain(url: str, error: BaseException) -> CollectorUnavailable:
    if isinstance(error, CollectorUnavailable):
        return error
    if isinstance(error, httpx.ConnectError):
        return CollectorUnavailable(f"nothing answers at {url} (is `bwtui serve` running?)")
    if isinstance(error, httpx.TimeoutException):
        return CollectorUnavailable(f"the collector at {url} stopped answering")
    if isinstance(error, FeedError):
        return CollectorUnavailable(f"the collector at {url}: {error}")
    if isinstance(error, httpx.HTTPError):
        return CollectorUnavailable(f"the connection to the collector at {url} failed: {error}")
    return CollectorUnavailable(f"the collector at {url}: {type(error).__name__}: {error}")


def _check_status(url: str, response: httpx.Response) -> None:
    if response.status_code == 401:
        raise CollectorUnavailable(
            f"the collector at {url} wants a token: set ${TOKEN_ENV_VAR} to the collector's token")
    if response.status_code == 404:
        raise CollectorUnavailable(f"{url} is not a bwtui collector (404 for {response.url.path})")
    if response.status_code >= 400:
        raise CollectorUnavailable(f"the collector at {url} answered HTTP {response.status_code}")


FeedMessage = tuple[str, Any]  # ("hello", hello dict) | ("poll", PollEvent) | ("synced", dict) | ("bye", dict)


class CollectorClient:
    """One viewer's connection to a collector (async; one ``httpx.AsyncClient``)."""

    def __init__(self, url: str, *, token: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(
            headers=_headers(token), follow_redirects=False, transport=transport, verify=tls_for(url),
            timeout=httpx.Timeout(REQUEST_TIMEOUT_S, connect=CONNECT_TIMEOUT_S))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def messages(self) -> AsyncIterator[FeedMessage]:
        """The feed, message by message; ends after ``bye``; raises CollectorUnavailable when the
        connection fails, falls silent for 45 s or the stream breaks the protocol."""
        timeout = httpx.Timeout(REQUEST_TIMEOUT_S, connect=CONNECT_TIMEOUT_S, read=SILENCE_TIMEOUT_S)
        try:
            async with self._http.stream("GET", self.url + FEED_PATH, timeout=timeout) as response:
                _check_status(self.url, response)
                reader = SseReader()
                joiner = HistoryJoiner()
                greeted = False
                async for line in response.aiter_lines():
                    message = reader.feed(line.rstrip("\r"))
                    if message is None:
                        continue
                    kind, data = message
                    if kind == "hello":
                        greeted = True
                        yield "hello", check_hello(parse_json(data))
                    elif not greeted:
                        raise FeedError("the feed did not start with hello")
                    elif kind == "poll":
                        raw = parse_json(data)
                        event = decode_event(raw)
                        if event is not None:
                            yield "poll", joiner.join(raw, event)
                    elif kind in ("synced", "bye"):
                        yield kind, parse_json(data)
                        if kind == "bye":
                            return
        except Exception as error:  # noqa: BLE001 - every failure becomes one explained error
            raise _explain(self.url, error) from None
        raise CollectorUnavailable(f"the collector at {self.url} closed the feed")

    async def healthy(self) -> bool:
        """Whether the collector answers and would let this viewer in: ``/readyz`` (which wants
        the token when one is set) says ready or not yet, rather than 401 or nothing."""
        try:
            response = await self._http.get(self.url + "/readyz", timeout=CONNECT_TIMEOUT_S)
            stopping = response.status_code == 503 and bool(response.json().get("stopping"))
        except (httpx.HTTPError, ValueError, AttributeError):
            return False
        return response.status_code in (200, 503) and not stopping

    async def series(self, key: tuple[str, str], period: Period) -> SeriesUpdated | None:
        """The collector's chart for one resource and period (None: it has none)."""
        params = {"account": key[0], "id": key[1], "period": period.value}
        try:
            response = await self._http.get(self.url + SERIES_PATH, params=params)
        except httpx.HTTPError as error:
            raise _explain(self.url, error) from None
        if response.status_code == 404:
            return None
        _check_status(self.url, response)
        try:
            event = decode_event(parse_json(response.text))
        except FeedError as error:
            raise _explain(self.url, error) from None
        return event if isinstance(event, SeriesUpdated) else None


# ----- one-shot commands (synchronous) -----------------------------------------------------------
def fetch_snapshot(url: str, *, token: str | None = None,
                   transport: httpx.BaseTransport | None = None) -> Mapping[str, Any]:
    """``/api/v1/snapshot``: the hello fields plus ``ready`` and ``events`` (raw)."""
    try:
        with httpx.Client(headers=_headers(token), follow_redirects=False, transport=transport,
                          verify=tls_for(url),
                          timeout=httpx.Timeout(REQUEST_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)) as http:
            response = http.get(url.rstrip("/") + SNAPSHOT_PATH)
            _check_status(url, response)
            document = check_hello(parse_json(response.text))
    except Exception as error:  # noqa: BLE001 - explained for the user
        raise _explain(url, error) from None
    return document


def export_rows(url: str, *, since: float | None, account: str | None, resource_id: str | None,
                token: str | None = None) -> Iterator[ExportRow]:
    """The collector's stored history, streamed row by row."""
    params = {key: str(value) for key, value in
              (("since", since), ("account", account), ("resource", resource_id)) if value is not None}
    try:
        with httpx.Client(headers=_headers(token), follow_redirects=False, verify=tls_for(url),
                          timeout=httpx.Timeout(REQUEST_TIMEOUT_S, connect=CONNECT_TIMEOUT_S, read=60.0)) as http:
            with http.stream("GET", url.rstrip("/") + EXPORT_PATH, params=params) as response:
                if response.status_code == 404:
                    raise CollectorUnavailable(f"the collector at {url} keeps no history")
                _check_status(url, response)
                for line in response.iter_lines():
                    if line.strip():
                        yield decode_export_row(line)
    except Exception as error:  # noqa: BLE001 - explained for the user
        raise _explain(url, error) from None
