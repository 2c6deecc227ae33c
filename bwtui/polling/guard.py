"""One provider call under a deadline, with every failure turned into a ProviderError."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bwtui.clock import Clock, deadline
from bwtui.model import ErrorKind, ProviderError

log = logging.getLogger("bwtui.polling")

T = TypeVar("T")


async def guarded_call(
    clock: Clock, deadline_s: float, call: Callable[[], Awaitable[T]], *, account: str = ""
) -> T:
    """Await ``call()`` within ``deadline_s``; a timeout or unexpected exception becomes a
    ``ProviderError`` (``timeout`` or ``bad_response``) so nothing a provider does escapes."""
    try:
        async with deadline(clock, deadline_s):
            return await call()
    except ProviderError:
        raise
    except TimeoutError:
        raise ProviderError(ErrorKind.TIMEOUT, f"no answer within {deadline_s:g} s") from None
    except Exception as exc:
        log.warning(
            "unexpected %s from account %s", type(exc).__name__, account or "?", exc_info=True
        )
        raise ProviderError(
            ErrorKind.BAD_RESPONSE, f"unexpected error ({type(exc).__name__})"
        ) from None
