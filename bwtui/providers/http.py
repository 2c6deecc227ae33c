"""Shared httpx plumbing for provider clients.

One :class:`HttpApi` per account: it checks the base URL (``https://`` unless loopback), sends
requests with the secret added by an :class:`httpx.Auth` (so the token lives in one object whose
repr hides it), never follows redirects, caps body size, bounds every request by an overall
deadline, records ``X-RateLimit-*`` headers and maps every failure to :class:`ProviderError`.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import ssl
from collections.abc import Callable, Generator, Mapping
from http import HTTPStatus
from typing import Any

import httpx

from bwtui import __version__
from bwtui.model import ErrorKind, ProviderError, RateLimit
from bwtui.netloc import is_loopback_host
from bwtui.scrub import register_secret, scrub

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
MESSAGE_MAX_CHARS = 300
MAX_RETRY_AFTER_S = 24 * 3600.0
USER_AGENT = f"bwtui/{__version__}"


class Secret:
    """A token that never shows itself in ``repr``/``str`` (tracebacks with locals, logs)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The token itself: only for putting it in a request header."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not picklable")


class HeaderAuth(httpx.Auth):
    """Adds ``<header>: <prefix><token>`` to each request; the token stays inside a Secret."""

    def __init__(self, header: str, token: str, *, prefix: str = "") -> None:
        if not token or not all(" " < c < "\x7f" for c in token):
            raise ValueError(
                "the API token is empty or has spaces, control or non-ASCII characters"
            )
        self._header = header
        self._prefix = prefix
        self._secret = Secret(token)
        register_secret(token)  # every provider text is scrubbed of it from now on

    def replace(self, token: str) -> None:
        """Use ``token`` from now on (a token fixed while bwtui runs); ValueError as above."""
        replacement = HeaderAuth(self._header, token, prefix=self._prefix)
        self._secret = replacement._secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self._header] = self._prefix + self._secret.reveal()
        yield request

    def __repr__(self) -> str:
        return f"HeaderAuth(header={self._header!r})"

    def redact(self, text: str) -> str:
        """``text`` with the token replaced by ``***`` (a server that echoes the key)."""
        token = self._secret.reveal()
        return text.replace(token, "***") if len(token) >= 4 else text


def check_base_url(base_url: str, *, label: str = "base_url") -> str:
    """The base URL without a trailing slash; ValueError unless https (or http on loopback)."""
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValueError(f"{label} {base_url!r} is not a valid URL") from exc
    if not url.host:
        raise ValueError(f"{label} {base_url!r} has no host; write it like https://host/path")
    if url.scheme == "http":
        if not is_loopback_host(url.host):
            raise ValueError(
                f"{label} {base_url!r} uses http:// to a remote host; the API key would travel "
                "unencrypted. Use https:// (http:// is allowed only for 127.0.0.1, ::1, localhost)"
            )
    elif url.scheme != "https":
        raise ValueError(f"{label} {base_url!r} must start with https://")
    if url.query or url.fragment:
        raise ValueError(f"{label} {base_url!r} must not carry a query or fragment")
    return str(url.copy_with(query=None, fragment=None)).rstrip("/")


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        return None
    return value if 0 <= value < 10**12 else None


def _seconds_header(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return min(value, MAX_RETRY_AFTER_S)


def _reset_header(headers: Mapping[str, str], name: str, reset: str, now: float) -> float | None:
    """Seconds until the window resets: the header as seconds, or an epoch minus ``now``."""
    if reset != "epoch":
        return _seconds_header(headers, name)
    at = _seconds_header_raw(headers, name)
    if at is None:
        return None
    return min(max(at - now, 0.0), MAX_RETRY_AFTER_S)


def _seconds_header_raw(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    try:
        value = float(raw.strip()) if raw is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) and value >= 0 else None


def read_rate_limit(
    headers: Mapping[str, str],
    observed_at: float,
    *,
    prefix: str = "x-ratelimit-",
    reset: str = "seconds",
) -> RateLimit | None:
    """``<prefix>Limit``/``-Remaining``/``-Reset``; None if absent.

    ``reset`` says how the provider writes Reset: "seconds" until the window resets
    (Hivelocity's ``X-RateLimit-Reset``) or an "epoch" timestamp (Hetzner's ``RateLimit-Reset``).
    """
    limit = _int_header(headers, prefix + "limit")
    remaining = _int_header(headers, prefix + "remaining")
    reset_s = _reset_header(headers, prefix + "reset", reset, observed_at)
    if limit is None and remaining is None and reset_s is None:
        return None
    return RateLimit(limit=limit, remaining=remaining, reset_s=reset_s, observed_at=observed_at)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds from ``now`` (delta-seconds or an HTTP date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None or when.tzinfo is None:
            return None
        seconds = when.timestamp() - now
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def _cut(text: str, limit: int = MESSAGE_MAX_CHARS) -> str:
    """Provider text, scrubbed of every known secret before it is cut (no half token survives)."""
    text = scrub(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text_of(value: object, depth: int = 0) -> str:
    """Provider message values (string, list of strings, field → messages) as one line of text."""
    if isinstance(value, str):
        return value
    if depth >= 3:
        return "…"
    if isinstance(value, list):
        return "; ".join(_text_of(item, depth + 1) for item in value[:20])
    if isinstance(value, dict):
        parts = [f"{key}: {_text_of(item, depth + 1)}" for key, item in list(value.items())[:20]]
        return "; ".join(parts)
    return str(value)


def _parse_json(body: bytes) -> object:
    """JSON or raise ValueError (also for nesting too deep to parse)."""
    try:
        return json.loads(body)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


def provider_message(body: bytes, keys: tuple[str, ...]) -> str | None:
    """The provider's own words from an error body: the first of ``keys``, else raw text."""
    try:
        data = _parse_json(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in keys:
            value: object = data
            for part in key.split("."):  # "error.message" reads a nested key
                value = value.get(part) if isinstance(value, dict) else None
            if value not in (None, "", [], {}):
                return _cut(_text_of(value))
    text = " ".join(body[:4096].decode("utf-8", "replace").split())
    return _cut(text) if text else None


def error_for_status(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    method: str,
    message_keys: tuple[str, ...],
    rate_prefix: str = "x-ratelimit-",
    rate_reset: str = "seconds",
) -> ProviderError:
    """The ProviderError for a non-2xx, non-3xx answer, decided by the status code first."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "unknown status"
    said = provider_message(body, message_keys)
    message = said or f"HTTP {status} {reason}"
    retry_after: float | None = None
    if status == 401:
        kind = ErrorKind.AUTH
    elif status == 403:
        kind = ErrorKind.FORBIDDEN
    elif status == 404:
        kind = ErrorKind.NOT_FOUND
    elif status == 429:
        kind = ErrorKind.RATE_LIMITED
        retry_after = parse_retry_after(headers.get("retry-after"), now)
        if retry_after is None:
            retry_after = _reset_header(headers, rate_prefix + "reset", rate_reset, now)
    elif status >= 500:
        kind = ErrorKind.SERVER
    else:
        kind = ErrorKind.BAD_RESPONSE
        if status == 405:
            message = f"the provider rejected the {method} method (HTTP 405): {message}"
    return ProviderError(kind, message, status=status, retry_after_s=retry_after)


class HttpApi:
    """One account's HTTP access to one provider API. Raises only ProviderError."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: httpx.Auth,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 10.0,
        clock: Callable[[], float],
        message_keys: tuple[str, ...],
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        rate_prefix: str | None = "x-ratelimit-",
        rate_reset: str = "seconds",
    ) -> None:
        if not (isinstance(timeout_s, (int, float)) and math.isfinite(timeout_s) and timeout_s > 0):
            raise ValueError("timeout_s must be a positive number of seconds")
        self.base_url = check_base_url(base_url)
        self.host = httpx.URL(self.base_url).host
        self._auth = auth
        self._timeout_s = float(timeout_s)
        # Built once, not per request: the poll thread shares the GIL with the UI.
        self._timeout = httpx.Timeout(self._timeout_s)
        self._headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        self._clock = clock
        self._message_keys = message_keys
        self._max_body_bytes = max_body_bytes
        self._rate_prefix = rate_prefix
        self._rate_reset = rate_reset
        self._owns_http = http is None
        self._http = http if http is not None else build_async_client(
            self._timeout_s, tls=self.base_url.startswith("https://"))
        self.rate_limit: RateLimit | None = None

    def __repr__(self) -> str:
        return f"HttpApi(base_url={self.base_url!r})"

    def replace_token(self, token: str) -> None:
        """Send ``token`` from the next request on; ValueError when the auth cannot take one."""
        replace = getattr(self._auth, "replace", None)
        if not callable(replace):
            raise ValueError("this client's authentication cannot take a new token")
        replace(token)

    async def aclose(self) -> None:
        """Close the AsyncClient if this object made it."""
        if self._owns_http:
            await self._http.aclose()

    async def request_json(
        self, method: str, path: str, params: Mapping[str, str | int] | None = None
    ) -> object:
        """Send one request and return its JSON body; any failure is a ProviderError.

        An error's message never carries the token, even when the server echoes it.
        """
        try:
            return await self._request_json(method, path, params)
        except ProviderError as error:
            redact = getattr(self._auth, "redact", None)
            if redact is None or redact(error.message) == error.message:
                raise
            raise ProviderError(
                error.kind, redact(error.message), status=error.status, retry_after_s=error.retry_after_s
            ) from None

    async def _request_json(
        self, method: str, path: str, params: Mapping[str, str | int] | None
    ) -> object:
        url = self.base_url + path
        try:
            async with asyncio.timeout(self._timeout_s):
                status, headers, body = await self._send(method, url, params)
        except TimeoutError:
            raise ProviderError(
                ErrorKind.TIMEOUT,
                f"{self.host} did not answer completely within {self._timeout_s:g} s",
            ) from None
        if not 200 <= status < 300:
            raise error_for_status(
                status,
                headers,
                body,
                now=self._clock(),
                method=method,
                message_keys=self._message_keys,
                rate_prefix=self._rate_prefix or "x-ratelimit-",
                rate_reset=self._rate_reset,
            )
        if not body.strip():
            raise ProviderError(ErrorKind.BAD_RESPONSE, "the answer was empty", status=status)
        try:
            return _parse_json(body)
        except ValueError:
            raise ProviderError(
                ErrorKind.BAD_RESPONSE,
                f"the answer is not valid JSON ({len(body)} bytes)",
                status=status,
            ) from None

    async def _send(
        self, method: str, url: str | httpx.URL, params: Mapping[str, str | int] | None
    ) -> tuple[int, httpx.Headers, bytes]:
        try:
            if params is not None and "?" not in url:
                # One parse, query included; given apart, httpx parses the URL, then again to
                # merge the query in (a tenth of the client's CPU per request).
                url, params = httpx.URL(url, params=params), None
            async with self._http.stream(
                method,
                url,
                params=params,
                auth=self._auth,
                follow_redirects=False,
                timeout=self._timeout,
                headers=self._headers,
            ) as response:
                if self._rate_prefix is not None:
                    seen = read_rate_limit(
                        response.headers,
                        self._clock(),
                        prefix=self._rate_prefix,
                        reset=self._rate_reset,
                    )
                    if seen is not None:
                        self.rate_limit = seen
                if 300 <= response.status_code < 400:
                    raise self._redirect_error(response)
                body = await self._read_capped(response)
                return response.status_code, response.headers, body
        except httpx.TimeoutException:
            raise ProviderError(
                ErrorKind.TIMEOUT, f"{self.host} timed out after {self._timeout_s:g} s"
            ) from None
        except httpx.DecodingError:
            raise ProviderError(
                ErrorKind.BAD_RESPONSE, "the answer's content encoding could not be decoded"
            ) from None
        except httpx.ConnectError as exc:
            raise ProviderError(
                ErrorKind.NETWORK, f"could not connect to {self.host}: {_cut(str(exc), 160)}"
            ) from None
        except httpx.HTTPError as exc:
            detail = _cut(str(exc), 160) or type(exc).__name__
            raise ProviderError(
                ErrorKind.NETWORK, f"connection to {self.host} failed: {detail}"
            ) from None

    def _redirect_error(self, response: httpx.Response) -> ProviderError:
        location = response.headers.get("location", "")
        try:
            target = str(response.request.url.join(location)) if location else "an unknown place"
        except (httpx.InvalidURL, ValueError):
            target = location
        return ProviderError(
            ErrorKind.BAD_RESPONSE,
            _cut(
                f"the provider redirected (HTTP {response.status_code}) to {target}; redirects "
                "are not followed so the API key is never sent elsewhere. Check the base URL"
            ),
            status=response.status_code,
        )

    async def _read_capped(self, response: httpx.Response) -> bytes:
        cap = self._max_body_bytes
        too_big = ProviderError(
            ErrorKind.BAD_RESPONSE,
            f"the answer is larger than {cap} bytes; stopped reading",
            status=response.status_code,
        )
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > cap:
            raise too_big
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > cap:
                raise too_big
        return bytes(body)


_TLS: ssl.SSLContext | None = None
_BARE: ssl.SSLContext | None = None


def shared_tls() -> ssl.SSLContext:
    """One verifying TLS context for every client (loading the CA bundle is the costly part of
    making a client; an SSLContext may be shared by clients and threads)."""
    global _TLS
    if _TLS is None:
        _TLS = httpx.create_ssl_context()
    return _TLS


def bare_tls() -> ssl.SSLContext:
    """One context with no CA loaded, shared by every plain-HTTP client: they never do TLS, and
    would fail closed if they tried (each new context costs about half a millisecond)."""
    global _BARE
    if _BARE is None:
        _BARE = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return _BARE


def build_async_client(timeout_s: float, *, tls: bool = True) -> httpx.AsyncClient:
    """The AsyncClient a provider client uses when none is injected. A plain-HTTP API (loopback
    only) gets :func:`bare_tls`."""
    return httpx.AsyncClient(
        follow_redirects=False,
        timeout=httpx.Timeout(timeout_s),
        limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
        verify=shared_tls() if tls else bare_tls(),
    )


class HttpProviderClient:
    """What every HTTP provider client shares: its ``HttpApi``, rate limit, repr and close.

    Subclasses set ``provider``, ``traits``, ``account`` and ``_api``; the repr never shows
    the token.
    """

    provider: str
    account: str
    _api: HttpApi
    _repr_extra: tuple[str, ...] = ()

    def __repr__(self) -> str:
        fields = [f"account={self.account!r}", f"base_url={self._api.base_url!r}"]
        fields += [f"{name}={getattr(self, name)!r}" for name in self._repr_extra]
        return f"{type(self).__name__}({', '.join(fields)})"

    @property
    def base_url(self) -> str:
        return self._api.base_url

    @property
    def rate_limit(self) -> RateLimit | None:
        """The last ``X-RateLimit-*`` figures seen, if the provider sends them."""
        return self._api.rate_limit

    def replace_token(self, token: str) -> None:
        """Use a token fixed while bwtui runs (``bwtui auth set``) from the next request on."""
        self._api.replace_token(token)

    async def aclose(self) -> None:
        await self._api.aclose()
