"""Known tokens never survive in text bwtui keeps, shows, logs or prints (``bwtui.scrub``)."""

from __future__ import annotations

import base64
import io
import logging
import secrets as stdlib_secrets
from urllib.parse import quote

import pytest

from bwtui import scrub
from bwtui.model import ErrorKind, ProviderError
from bwtui.providers.http import HeaderAuth, MESSAGE_MAX_CHARS, error_for_status, provider_message
from bwtui.secrets import resolve_token


def new_token(prefix: str = "tok") -> str:
    """A token no other test has registered (the registry is process-wide and only grows)."""
    return f"{prefix}_{stdlib_secrets.token_urlsafe(18)}/+x"


def test_a_registered_token_is_removed_with_its_encodings() -> None:
    token = new_token()
    scrub.register_secret(token)
    text = " | ".join(
        [
            f"key {token}",
            f"url ?k={quote(token, safe='')}",
            "json " + token.replace("/", "\\/"),
            "b64 " + base64.b64encode(token.encode()).decode(),
        ]
    )
    clean = scrub.scrub(text)
    assert token not in clean and quote(token, safe="") not in clean
    assert token.replace("/", "\\/") not in clean
    assert base64.b64encode(token.encode()).decode().rstrip("=") not in clean
    assert clean.count(scrub.REDACTED) == 4


def test_an_unregistered_token_given_by_the_caller_is_removed_too() -> None:
    token = new_token()
    assert scrub.scrub(f"echo {token}", token) == f"echo {scrub.REDACTED}"


def test_very_short_values_are_not_treated_as_secrets() -> None:
    scrub.register_secret("ab")
    assert scrub.scrub("about a tab") == "about a tab"


def test_json_values_are_scrubbed_keys_and_all() -> None:
    token = new_token()
    scrub.register_secret(token)
    value = {"message": f"bad {token}", token: [token, 3, None]}
    assert token not in repr(scrub.scrub_value(value))


def test_provider_error_never_holds_a_registered_token() -> None:
    token = new_token()
    scrub.register_secret(token)
    error = ProviderError(ErrorKind.AUTH, f"key {token} is invalid")
    assert token not in error.message
    assert token not in str(error)
    assert token not in repr(error.to_dict())


def test_header_auth_registers_its_token() -> None:
    token = new_token("hv")
    HeaderAuth("X-API-KEY", token)
    assert token not in scrub.scrub(f"said {token}")


def test_a_resolved_token_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    token = new_token("env")
    monkeypatch.setenv("BWTUI_TOKEN_SCRUB_TEST", token)
    assert resolve_token("scrub-test").token == token
    assert token not in scrub.scrub(f"said {token}")


def test_a_token_at_the_cut_leaves_no_half_behind() -> None:
    token = new_token()
    scrub.register_secret(token)
    body = ("x" * (MESSAGE_MAX_CHARS - 10) + token + " tail").encode()
    message = provider_message(body, ("message",))
    assert message is not None
    assert token[:8] not in message


def test_an_echoed_key_in_a_redirect_or_body_is_scrubbed_before_it_is_an_error() -> None:
    token = new_token()
    scrub.register_secret(token)
    error = error_for_status(
        401, {}, f'{{"message": "invalid key {token}"}}'.encode(), now=0.0, method="GET",
        message_keys=("message",),
    )
    assert error.message == f"invalid key {scrub.REDACTED}"


def _handler_output(logger: logging.Logger, emit: object) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        emit()  # type: ignore[operator]
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_log_records_are_scrubbed_message_args_and_traceback() -> None:
    token = new_token()
    scrub.register_secret(token)
    logger = logging.getLogger("bwtui.test.scrub")

    def emit() -> None:
        logger.warning("server said %s", token)
        try:
            raise ValueError(f"unexpected field {token!r}")
        except ValueError:
            logger.exception("parse failed for %s", "hv-prod")

    output = _handler_output(logger, emit)
    assert "server said ***" in output and "parse failed for hv-prod" in output
    assert "ValueError" in output
    assert token not in output


def test_clean_log_records_keep_their_args() -> None:
    """Formatters that read ``record.args`` (uvicorn's) keep working when nothing was found."""
    scrub.register_secret(new_token())
    record = logging.getLogger("bwtui.test.scrub").makeRecord(
        "x", logging.INFO, __file__, 1, "%s %s", ("a", "b"), None
    )
    assert record.args == ("a", "b")


def test_the_scrub_filter_cleans_records_made_before_the_token_was_known() -> None:
    token = new_token()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "key %s", (token,), None)
    scrub.register_secret(token)
    assert scrub.ScrubFilter().filter(record)
    assert token not in record.getMessage()


def test_crash_report_traces_are_scrubbed() -> None:
    from rich.console import Console
    from rich.traceback import Traceback

    token = new_token()
    scrub.register_secret(token)
    try:
        try:
            raise KeyError(f"first {token}")
        except KeyError as inner:
            raise RuntimeError(f"while handling {token}") from inner
    except RuntimeError as error:
        trace = scrub.scrub_trace(Traceback.extract(type(error), error, error.__traceback__))
    console = Console(file=io.StringIO(), width=200)
    console.print(Traceback(trace))
    report = console.file.getvalue()  # type: ignore[attr-defined]
    assert "RuntimeError" in report and "KeyError" in report
    assert token not in report
