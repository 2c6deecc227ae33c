"""Is this API token any good? Cleaning what the user typed, and asking the provider.

Shared by ``bwtui auth`` and the monitor's add-account screen. The token never appears in any
result or error message.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bwtui import secrets
from bwtui.config import AccountConfig
from bwtui.model import ProviderError
from bwtui.text import safe_text

CHECK_TIMEOUT_S = 15.0
DETAIL_MAX = 300


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Whether the provider accepted a token; ``detail`` is for humans (never holds the token)."""

    ok: bool
    detail: str


Checker = Callable[[AccountConfig, str], Awaitable[CheckResult]]


async def check_token(account: AccountConfig, token: str) -> CheckResult:
    """Ask the provider's list endpoint whether it accepts ``token``."""
    from bwtui.providers import make_client
    from bwtui.runtime import client_settings

    try:
        client = make_client(account.provider, account.name, token, **client_settings(account))
    except ValueError as exc:
        problem = safe_text(secrets._redact(str(exc), token), max_len=DETAIL_MAX)
        return CheckResult(False, f"could not be checked ({problem})")
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            resources = await client.list_resources()
    except ProviderError as exc:
        what = "rejected the token" if exc.kind.value in ("auth", "forbidden") else "could not be checked"
        message = safe_text(secrets._redact(exc.message, token), max_len=DETAIL_MAX)
        return CheckResult(False, f"{what} ({exc.kind.value}: {message})")
    except TimeoutError:
        return CheckResult(False, f"could not be checked (no answer within {CHECK_TIMEOUT_S:g} s)")
    except Exception as exc:  # noqa: BLE001 - a client bug must not become a traceback holding the token
        return CheckResult(False, f"could not be checked ({type(exc).__name__})")
    finally:
        try:
            await client.aclose()
        except Exception:  # noqa: BLE001 - closing must never mask the result
            pass
    return CheckResult(True, f"accepted ({len(resources)} resources)")


class TokenInputError(ValueError):
    """The entered token is unusable (message never contains it)."""


def clean_token(raw: str) -> str:
    """Trim one trailing newline; reject empty, whitespace-only or multi-line input."""
    if raw.endswith("\r\n"):
        raw = raw[:-2]
    elif raw.endswith("\n"):
        raw = raw[:-1]
    if not raw.strip():
        raise TokenInputError("the token is empty")
    if raw != raw.strip():
        raise TokenInputError("the token starts or ends with spaces; paste only the token")
    if any(unicodedata.category(c)[0] == "C" for c in raw):
        raise TokenInputError("the token contains a line break or control character; paste only the token")
    return raw
