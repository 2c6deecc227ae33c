"""Keep known secrets out of every text bwtui stores, shows, logs, exports or prints.

A provider may echo the API key back (in an error message, a plain-text body, a header such as a
redirect's ``Location``). Text from a provider is scrubbed where it enters bwtui (the HTTP client
and :class:`bwtui.model.ProviderError`), so nothing downstream ever holds the token. This module
is the process-wide registry those places scrub against, and a backstop for the paths that do not
go through them: every log record (a record factory, installed when the first secret is
registered, plus :class:`ScrubFilter` for handlers) and the crash report (:func:`scrub_trace`).

A secret is registered where it is resolved or used (:func:`bwtui.secrets.resolve_token`, the
HTTP client's auth), so every configured account's token is known before any request is sent.
Besides the token itself, the forms a server is likely to echo are removed too: URL-encoded,
JSON-escaped (also with PHP's escaped slashes) and base64. Plain stdlib; nothing here knows HTTP
or Textual.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import re
import threading
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "***"
MIN_SECRET_CHARS = 4  # shorter values would blank out ordinary words; no real API key is this short


def _variants(secret: str) -> set[str]:
    """The secret and the encodings a server may echo it in."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret, safe="")}
    escaped = json.dumps(secret)[1:-1]
    forms |= {escaped, escaped.replace("/", "\\/")}
    raw = secret.encode("utf-8", "surrogatepass")
    forms |= {base64.b64encode(raw).decode().rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    return {form for form in forms if len(form) >= MIN_SECRET_CHARS}


class SecretRegistry:
    """Secrets to remove from text; thread-safe, grows only (a process knows few tokens)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, secret: str | None) -> None:
        """Remember ``secret`` (and its encodings); values under 4 characters are ignored."""
        if not secret or len(secret) < MIN_SECRET_CHARS:
            return
        with self._lock:
            forms = _variants(secret) - self._secrets
            if not forms:
                return
            self._secrets |= forms
            # Longest first, so a secret inside another's encoding is never half-replaced.
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(form) for form in ordered))

    def __len__(self) -> int:
        return len(self._secrets)

    def scrub(self, text: str) -> str:
        """``text`` with every known secret replaced by ``***``."""
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(REDACTED, text)


_REGISTRY = SecretRegistry()


def register_secret(secret: str | None) -> None:
    """Make ``secret`` known process-wide, and make sure log records are scrubbed from now on."""
    _REGISTRY.add(secret)
    if secret:
        install_log_scrubbing()


def scrub(text: str, *also: str | None) -> str:
    """``text`` without any registered secret (nor any of ``also``, e.g. the caller's own token)."""
    if not isinstance(text, str):
        text = str(text)
    for extra in also:
        if extra and len(extra) >= MIN_SECRET_CHARS:
            for form in sorted(_variants(extra), key=len, reverse=True):
                text = text.replace(form, REDACTED)
    return _REGISTRY.scrub(text)


def scrub_value(value: Any) -> Any:
    """A JSON-like value with every string in it scrubbed (dict keys too)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub_value(k): scrub_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(scrub_value(v) for v in value)
    return value


# --- logs ----------------------------------------------------------------------------------------


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record with any secret removed from its message, traceback and stack.

    A record is changed only where a secret was found (its message is then rendered and its
    args dropped), so formatters that read ``record.args`` keep working on clean records.
    """
    if not len(_REGISTRY):
        return record
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string must not break logging
        message = str(record.msg)
    clean = scrub(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        text = logging.Formatter().formatException(record.exc_info)
        if scrub(text) != text:
            record.exc_text = scrub(text)
    elif record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    return record


class ScrubFilter(logging.Filter):
    """A logging filter that scrubs each record it sees (for handlers set up outside bwtui)."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


_install_lock = threading.Lock()
_installed = False


def install_log_scrubbing() -> None:
    """Scrub every log record of the process when it is created (idempotent).

    A record factory sees records of every logger, including ones that reach Python's
    last-resort stderr handler; the filter is also added to the root logger's handlers.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        _installed = True
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return scrub_record(previous(*args, **kwargs))

        logging.setLogRecordFactory(factory)
        root = logging.getLogger()
        for handler in root.handlers:
            if not any(isinstance(f, ScrubFilter) for f in handler.filters):
                handler.addFilter(ScrubFilter())


# --- crash reports -------------------------------------------------------------------------------


def scrub_trace(trace: Any) -> Any:
    """A ``rich.traceback.Trace`` with exception messages and notes scrubbed (duck-typed copy)."""
    stacks = []
    for stack in trace.stacks:
        changes: dict[str, Any] = {"exc_value": scrub(stack.exc_value)}
        if getattr(stack, "notes", None):
            changes["notes"] = [scrub(note) for note in stack.notes]
        if getattr(stack, "exceptions", None):
            changes["exceptions"] = [scrub_trace(inner) for inner in stack.exceptions]
        syntax_error = getattr(stack, "syntax_error", None)
        if syntax_error is not None:
            changes["syntax_error"] = dataclasses.replace(
                syntax_error, msg=scrub(syntax_error.msg), line=scrub(syntax_error.line)
            )
        stacks.append(dataclasses.replace(stack, **changes))
    return dataclasses.replace(trace, stacks=stacks)
