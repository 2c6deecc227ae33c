"""Who may talk to a collector (or a wall screen): where it listens, and the bearer token.

Loopback by default. Listening on any other address needs an explicit ``--allow-remote`` and a
token; with a token set, every endpoint but ``/healthz`` wants ``Authorization: Bearer <token>``
(compared in constant time). The token comes from ``$BWTUI_COLLECTOR_TOKEN`` or a file
(``--token-file``, e.g. a systemd credential); it is never logged, served or written to the
discovery file.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path

from bwtui.exits import UsageError
from bwtui.netloc import is_loopback_host

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9848
TOKEN_ENV_VAR = "BWTUI_COLLECTOR_TOKEN"
MIN_TOKEN_CHARS = 16
OPEN_PATHS = frozenset({"/healthz"})


@dataclass(frozen=True, slots=True)
class Listen:
    """A ``HOST:PORT`` to listen on (port 0: any free port)."""

    host: str
    port: int

    @property
    def loopback(self) -> bool:
        return is_loopback_host(self.host)

    def url(self, port: int | None = None) -> str:
        """The URL a client on this host uses (a wildcard address becomes loopback)."""
        host = self.host
        if host in ("0.0.0.0", "", "*"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port if port is None else port}"


def parse_listen(text: str, *, default_port: int = DEFAULT_PORT) -> Listen:
    """``HOST:PORT``, ``[v6]:PORT``, ``HOST`` or ``:PORT``; raises UsageError with the fix."""
    raw = text.strip()
    host, port_text = raw, ""
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0:
            raise UsageError(f"--listen {text!r}: an IPv6 address goes in brackets, e.g. [::1]:9848")
        host, rest = raw[1:end], raw[end + 1:]
        if rest and not rest.startswith(":"):
            raise UsageError(f"--listen {text!r}: write [ADDRESS]:PORT")
        port_text = rest[1:]
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
    elif raw.count(":") > 1:
        raise UsageError(f"--listen {text!r}: put an IPv6 address in brackets, e.g. [::1]:9848")
    host = host or DEFAULT_HOST
    if not port_text:
        return Listen(host, default_port)
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise UsageError(f"--listen {text!r}: the port must be a number from 0 to 65535")
    return Listen(host, int(port_text))


@dataclass(frozen=True, slots=True)
class Access:
    """The access rule of one server: its token (None: none needed)."""

    token: str | None = field(default=None, repr=False)

    def allows(self, path: str, authorization: str | None) -> bool:
        """Whether a request for ``path`` with this ``Authorization`` header may proceed."""
        if self.token is None or path in OPEN_PATHS:
            return True
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(given.strip().encode(), self.token.encode())


def read_token(token_file: str | None, *, env_var: str = TOKEN_ENV_VAR) -> str | None:
    """The token from ``--token-file`` or the environment (``$BWTUI_COLLECTOR_TOKEN``)."""
    if token_file:
        path = Path(token_file).expanduser()
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise UsageError(f"--token-file {path}: {error.strerror or error}") from None
        if not token:
            raise UsageError(f"--token-file {path} is empty")
        return _checked(token, str(path))
    token = os.environ.get(env_var, "").strip()
    return _checked(token, f"${env_var}") if token else None


def _checked(token: str, where: str) -> str:
    if len(token) < MIN_TOKEN_CHARS or not all(" " < c < "\x7f" for c in token):
        raise UsageError(
            f"the token in {where} must be at least {MIN_TOKEN_CHARS} printable ASCII characters "
            "without spaces. Fix: make one with `openssl rand -hex 32`")
    return token


def access_for(listen: Listen, *, allow_remote: bool, token: str | None, what: str = "collector",
               env_var: str = TOKEN_ENV_VAR) -> Access:
    """The access rule for a server on ``listen``; UsageError when a remote listener lacks one."""
    if not listen.loopback:
        if not allow_remote:
            raise UsageError(
                f"--listen {listen.host}:{listen.port} is not a loopback address: the {what} would "
                "be reachable from other hosts. Fix: add --allow-remote and give a token "
                f"(${env_var} or --token-file), or listen on 127.0.0.1")
        if token is None:
            raise UsageError(
                f"a {what} listening on {listen.host} needs a token for every path but /healthz. "
                f"Fix: set ${env_var} or pass --token-file (e.g. `openssl rand -hex 32`)")
    return Access(token)
