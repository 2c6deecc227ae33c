"""API tokens: where they come from and where they are stored.

Read order: ``BWTUI_TOKEN_<NAME>`` env var, then the OS keyring (service ``bwtui``, username = the
account name), then the opt-in plain-text file (only if the user created it with
``auth set --insecure-file``). Every keyring call runs in a daemon thread bounded by a timeout, so a
locked or hung keyring can never hang bwtui. Tokens never appear in messages, exceptions or reprs.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from bwtui import paths
from bwtui.config_edit import atomic_write_bytes
from bwtui.scrub import register_secret, scrub

KEYRING_SERVICE = "bwtui"
KEYRING_TIMEOUT_S = 3.0
TokenSource = Literal["env", "keyring", "file"]

T = TypeVar("T")


def token_env_var(name: str) -> str:
    """``BWTUI_TOKEN_`` + the account name upper-cased, every non-alphanumeric char as ``_``."""
    return "BWTUI_TOKEN_" + "".join(c.upper() if c.isascii() and c.isalnum() else "_" for c in name)


@dataclass(frozen=True, slots=True)
class TokenResult:
    """A resolved token (or why there is none). The token never shows in ``repr``."""

    token: str | None = field(repr=False)
    source: TokenSource | None
    problem: str | None = None

    def __repr__(self) -> str:
        shown = "'***'" if self.token else "None"
        return f"TokenResult(token={shown}, source={self.source!r}, problem={self.problem!r})"


class SecretStoreError(Exception):
    """Storing, reading or deleting a token failed; the message says why and what to do instead."""


class KeyringUnavailable(SecretStoreError):
    """The keyring raised, is missing, is locked, or did not answer in time."""


class InsecureFileError(SecretStoreError):
    """The plain-text token file exists but is unsafe or unreadable."""


def _redact(text: str, secret: str | None) -> str:
    """``text`` without ``secret`` nor any other known token (see :mod:`bwtui.scrub`)."""
    return scrub(text, secret)


# --- keyring ------------------------------------------------------------------------------------


def _describe_keyring_error(exc: BaseException) -> str:
    import keyring.errors as kerr

    if isinstance(exc, kerr.NoKeyringError):
        return "no keyring backend is available (no D-Bus session or keyring daemon?)"
    if isinstance(exc, kerr.KeyringLocked):
        return "the keyring is locked"
    if isinstance(exc, kerr.InitError):
        return f"the keyring could not start ({exc})"
    detail = str(exc).strip()
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


_hung_thread: threading.Thread | None = None


def _call_keyring(op: Callable[[Any], T], *, timeout_s: float, secret: str | None = None) -> T:
    """Run ``op(keyring_module)`` in a daemon thread; KeyringUnavailable on error or timeout.

    A daemon thread (not an executor) so that a keyring that never answers cannot block exit.
    """
    global _hung_thread
    stuck = _hung_thread
    if stuck is not None and stuck.is_alive():
        # An earlier call never returned: do not pile up threads or make every account wait again.
        raise KeyringUnavailable("the keyring did not answer an earlier request (locked or hung?)")
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            import keyring

            box["value"] = op(keyring)
        except Exception as exc:  # keyring backends raise many types (D-Bus, secretstorage, ...)
            box["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(target=target, name="bwtui-keyring", daemon=True)
    thread.start()
    if not done.wait(timeout_s):
        _hung_thread = thread
        raise KeyringUnavailable(f"the keyring did not answer within {timeout_s:g} s (locked or hung?)")
    if "error" in box:
        raise KeyringUnavailable(_redact(_describe_keyring_error(box["error"]), secret)) from None
    return box["value"]


def keyring_get(name: str, *, timeout_s: float | None = None) -> str | None:
    """The keyring's token for ``name`` (None if none stored); KeyringUnavailable otherwise."""
    value = _call_keyring(
        lambda kr: kr.get_password(KEYRING_SERVICE, name),
        timeout_s=KEYRING_TIMEOUT_S if timeout_s is None else timeout_s,
    )
    return value or None


def keyring_set(name: str, token: str, *, timeout_s: float | None = None) -> None:
    """Store ``token`` for ``name`` in the keyring; KeyringUnavailable on failure."""
    _call_keyring(
        lambda kr: kr.set_password(KEYRING_SERVICE, name, token),
        timeout_s=KEYRING_TIMEOUT_S if timeout_s is None else timeout_s,
        secret=token,
    )


def keyring_delete(name: str, *, timeout_s: float | None = None) -> bool:
    """Delete ``name``'s keyring entry; False when there was none. KeyringUnavailable otherwise."""
    import keyring.errors as kerr

    def op(kr: Any) -> bool:
        if kr.get_password(KEYRING_SERVICE, name) is None:
            return False
        try:
            kr.delete_password(KEYRING_SERVICE, name)
        except kerr.PasswordDeleteError:
            return False
        return True

    return _call_keyring(op, timeout_s=KEYRING_TIMEOUT_S if timeout_s is None else timeout_s)


# --- the opt-in plain-text file -----------------------------------------------------------------


def insecure_warning(name: str, path: Path | None = None) -> str:
    """The warning shown on every write to the plain-text store (like gh's insecure storage note)."""
    where = path or paths.token_file()
    return (
        f"warning: storing the token for '{name}' in PLAIN TEXT in {where} (mode 0600).\n"
        "  Anyone who can read that file (root, backups, a copied home directory) can use it.\n"
        f"  Prefer the OS keyring, or export {token_env_var(name)} from a secret manager."
    )


def _check_mode(path: Path, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise InsecureFileError(f"token file {path} is not a regular file; remove it")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise InsecureFileError(
            f"token file {path} has mode {mode:04o}, readable by other users, so bwtui refuses to use it. "
            f"Fix: chmod 600 {path} (and consider changing the tokens it holds)"
        )
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise InsecureFileError(f"token file {path} belongs to another user; bwtui refuses to use it")


def _read_file_store(path: Path) -> dict[str, str] | None:
    """The tokens in the file (None if it does not exist); InsecureFileError if unsafe or corrupt."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InsecureFileError(f"cannot open token file {path} ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as handle:
        _check_mode(path, os.fstat(handle.fileno()))
        raw = handle.read()
    try:
        data = json.loads(raw.decode("utf-8"))
        tokens = data["tokens"]
        if not isinstance(tokens, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in tokens.items()
        ):
            raise ValueError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InsecureFileError(
            f"token file {path} is not in the expected format; delete it and run "
            "`bwtui auth set NAME --insecure-file` again"
        ) from None
    return dict(tokens)


def _write_file_store(path: Path, tokens: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    body = json.dumps({"version": 1, "tokens": tokens}, indent=2, sort_keys=True) + "\n"
    atomic_write_bytes(path, body.encode("utf-8"), mode=0o600)


def file_get(name: str, path: Path | None = None) -> str | None:
    """``name``'s token from the plain-text store, or None; InsecureFileError if it is unsafe."""
    tokens = _read_file_store(path or paths.token_file())
    return (tokens or {}).get(name) or None


def file_set(name: str, token: str, path: Path | None = None) -> Path:
    """Store ``token`` in the plain-text store (mode 0600, atomic); returns the file's path."""
    path = path or paths.token_file()
    tokens = _read_file_store(path) or {}
    tokens[name] = token
    _write_file_store(path, tokens)
    return path


def file_delete(name: str, path: Path | None = None) -> bool:
    """Remove ``name`` from the plain-text store (the file goes when empty); False if absent."""
    path = path or paths.token_file()
    tokens = _read_file_store(path)
    if not tokens or name not in tokens:
        return False
    del tokens[name]
    if tokens:
        _write_file_store(path, tokens)
    else:
        path.unlink()
    return True


# --- resolution -----------------------------------------------------------------------------------


def missing_token_message(name: str, keyring_problem: str | None = None) -> str:
    """The per-account message naming both ways to provide a token."""
    message = f"no token for account '{name}': set {token_env_var(name)}, or store one with `bwtui auth set {name}`"
    if keyring_problem:
        message += (
            f" (keyring unavailable: {keyring_problem}; on hosts without a keyring use "
            f"`bwtui auth set {name} --insecure-file`)"
        )
    return message


def resolve_token(name: str, *, timeout_s: float | None = None, token_path: Path | None = None) -> TokenResult:
    """Find ``name``'s token: env var, then keyring, then the opt-in file. Never raises."""
    result = _resolve_token(name, timeout_s=timeout_s, token_path=token_path)
    register_secret(result.token)  # from now on no text bwtui stores or shows can hold it
    return result


def _resolve_token(name: str, *, timeout_s: float | None, token_path: Path | None) -> TokenResult:
    env_value = os.environ.get(token_env_var(name), "").strip()
    if env_value:
        return TokenResult(env_value, "env")
    keyring_problem: str | None = None
    try:
        value = keyring_get(name, timeout_s=timeout_s)
        if value:
            return TokenResult(value, "keyring")
    except KeyringUnavailable as exc:
        keyring_problem = str(exc)
    try:
        value = file_get(name, token_path)
    except InsecureFileError as exc:
        return TokenResult(None, None, f"{missing_token_message(name, keyring_problem)}; {exc}")
    if value:
        return TokenResult(value, "file")
    return TokenResult(None, None, missing_token_message(name, keyring_problem))
