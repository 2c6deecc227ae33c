"""An account whose token was refused is tried again on its own, slowly, and at once on refresh.

A 401 (or a 403 on the account's listing) stops the account's polling; the operator then fixes
the token (``bwtui auth set NAME``, the keyring, the environment) while the monitor stays open.
:class:`AuthRetry` schedules the retries: 10 minutes after the first refusal, doubling to at most
an hour; a refresh the user asks for (``r``) retries at once and does not lengthen the wait. Each
retry is one listing request with the token read again (:func:`renew_token`), so a refused
token costs at most one request per wait, never a burst. Plain Python: no HTTP or Textual here.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bwtui.model import ErrorKind, ProviderError
from bwtui.runtime import AccountRuntime

AUTH_RETRY_FIRST_S = 600.0
AUTH_RETRY_MAX_S = 3600.0


@dataclass(slots=True)
class AuthRetry:
    """When a stopped account's token is tried again.

    ``refusals`` counts refusals in a row (a retry the user asked for that is refused again
    does not lengthen the wait); ``retry_at`` is the next automatic retry (None: not stopped);
    ``asked``: the user asked for a retry now.
    """

    first_s: float = AUTH_RETRY_FIRST_S
    max_s: float = AUTH_RETRY_MAX_S
    refusals: int = 0
    retry_at: float | None = None
    asked: bool = False
    _asked_attempt: bool = False

    def refused(self, now: float) -> float:
        """The token was refused at ``now``: when to try again."""
        if not (self._asked_attempt and self.refusals):
            self.refusals += 1
        self.retry_at = now + min(self.max_s, self.first_s * 2.0 ** (self.refusals - 1))
        self.asked = self._asked_attempt = False
        return self.retry_at

    def due(self, now: float) -> bool:
        """A retry is due: the user asked, or its time has come."""
        return self.retry_at is not None and (self.asked or now >= self.retry_at)

    def attempt(self) -> None:
        """A retry is being made now (remembers whether the user asked for it)."""
        self._asked_attempt = self.asked
        self.asked = False

    def accepted(self) -> None:
        """The token worked (or was not the problem): back to normal."""
        self.refusals = 0
        self.retry_at = None
        self.asked = self._asked_attempt = False


def refusal_error(error: ProviderError, account: str, retry_at: float, *, renewable: bool) -> ProviderError:
    """The error shown on the account and its resources while it waits: what happened, when
    it is tried again (UTC) and the command that fixes it."""
    at = time.strftime("%H:%M UTC", time.gmtime(retry_at))
    fix = f"fix with `bwtui auth set {account}`"
    if not renewable:  # a client that cannot take a new token while running (a plug-in)
        fix += ", then restart bwtui"
    if error.kind is ErrorKind.FORBIDDEN:
        what = f"access refused ({error.status or 403})"
        fix = f"check the token's permissions, or {fix}"
    else:
        what = f"token rejected ({error.status or 401})"
    return ProviderError(error.kind, f"{what}: retrying at {at} — {fix}", status=error.status)


def can_renew(runtime: AccountRuntime) -> bool:
    """Whether the account's client can take a new token while running."""
    return callable(getattr(runtime.client, "replace_token", None))


async def read_token(name: str) -> str | None:
    """The account's token as it is now (environment, keyring, file), read off the event loop
    (the keyring may block; the lookup is bounded by its own timeout)."""
    from bwtui.secrets import resolve_token

    found = await asyncio.to_thread(resolve_token, name)
    return found.token


async def renew_token(runtime: AccountRuntime) -> bool:
    """Read the account's token again and give it to the client. False when no token is found
    now or the client cannot take one (it keeps the token it has)."""
    if not can_renew(runtime):
        return False
    token = await read_token(runtime.name)
    if token is None:
        return False
    try:
        runtime.client.replace_token(token)  # type: ignore[union-attr]
    except ValueError:  # a token with spaces or control characters: keep the old one
        return False
    return True
