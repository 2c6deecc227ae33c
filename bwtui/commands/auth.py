"""``bwtui auth set|delete|status``: store, remove and check API tokens (never shown)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bwtui import paths, secrets
from bwtui.config import AccountConfig, Config, ConfigError, account_name_problem, load_config
from bwtui.commands.common import add_config_option
from bwtui.paths import locate_config

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_FAILED = 3
CHECK_TIMEOUT_S = 15.0


# --- helpers shared by the account/auth/locate commands ----------------------------------------


def config_arg(args: argparse.Namespace) -> str | None:
    """The ``--config`` value from whichever parser level it was given at."""
    value = getattr(args, "config", None)
    return str(value) if value else None


def safe_text(text: object, limit: int = 300) -> str:
    """Untrusted text made harmless for a terminal: control/format chars escaped, length capped."""
    out = []
    for char in str(text):
        if unicodedata.category(char)[0] == "C":
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    result = "".join(out)
    return result if len(result) <= limit else result[: limit - 1] + "…"


def error(message: str) -> None:
    """One error line on stderr."""
    print(f"bwtui: {message}", file=sys.stderr)


def table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    )


def find_account(config: Config, name: str, config_path: Path) -> AccountConfig:
    """The named account, or a ConfigError that says how to add it."""
    for account in config.accounts:
        if account.name == name:
            return account
    known = ", ".join(a.name for a in config.accounts) or "none yet"
    raise ConfigError.at(
        config_path, None, f"no account named {name!r} in the config (accounts: {known})",
        f"add it first: bwtui account add {name} --provider hivelocity|altostrat",
    )


# --- checking a token against the provider ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Whether the provider accepted a token; ``detail`` is for humans (never holds the token)."""

    ok: bool
    detail: str


Checker = Callable[[AccountConfig, str], Awaitable[CheckResult]]


async def check_token(account: AccountConfig, token: str) -> CheckResult:
    """Ask the provider's list endpoint whether it accepts ``token``."""
    from bwtui.model import ProviderError

    try:
        from bwtui.providers import make_client
        from bwtui.runtime import client_settings
    except ImportError:
        return CheckResult(False, "cannot check: the provider clients are not installed")
    try:
        client = make_client(account.provider, account.name, token, **client_settings(account))
    except ValueError as exc:
        return CheckResult(False, f"could not be checked ({safe_text(secrets._redact(str(exc), token))})")
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            resources = await client.list_resources()
    except ProviderError as exc:
        what = "rejected the token" if exc.kind.value in ("auth", "forbidden") else "could not be checked"
        message = secrets._redact(exc.message, token)
        return CheckResult(False, f"{what} ({exc.kind.value}: {safe_text(message)})")
    except TimeoutError:
        return CheckResult(False, f"could not be checked (no answer within {CHECK_TIMEOUT_S:g} s)")
    except Exception as exc:  # a bug in a client must not become a traceback that could hold the token
        return CheckResult(False, f"could not be checked ({type(exc).__name__})")
    finally:
        try:
            await client.aclose()
        except Exception:  # closing must never mask the result
            pass
    return CheckResult(True, f"accepted ({len(resources)} resources)")


def _run_checks(pairs: list[tuple[AccountConfig, str]]) -> list[CheckResult]:
    checker: Checker = globals()["check_token"]  # looked up at call time so tests can replace it

    async def main() -> list[CheckResult]:
        return list(await asyncio.gather(*(checker(account, token) for account, token in pairs)))

    return asyncio.run(main())


# --- reading a token from the user --------------------------------------------------------------


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


def read_token(account: AccountConfig, *, from_stdin: bool) -> str:
    """From stdin (``--stdin``) or a hidden prompt."""
    if from_stdin:
        return clean_token(sys.stdin.read())
    if not sys.stdin.isatty():
        raise TokenInputError("no terminal to prompt on; pipe the token in with --stdin")
    return clean_token(getpass.getpass(f"API token for '{account.name}' ({account.provider}): "))


# --- sub-commands ---------------------------------------------------------------------------------


def _cmd_set(args: argparse.Namespace) -> int:
    location = locate_config(config_arg(args))
    config = load_config(config_arg(args))
    account = find_account(config, args.name, location.path)
    try:
        token = read_token(account, from_stdin=args.stdin)
    except TokenInputError as exc:
        error(f"{exc}; nothing stored")
        return EXIT_USAGE
    except (EOFError, KeyboardInterrupt):
        error("cancelled; nothing stored")
        return EXIT_USAGE
    if args.check:
        result = _run_checks([(account, token)])[0]
        if not result.ok:
            error(f"{account.name}: the provider {result.detail}; nothing stored")
            return EXIT_FAILED
        print(f"{account.name}: token {result.detail}")
    if args.insecure_file:
        try:
            path = secrets.file_set(account.name, token)
        except secrets.SecretStoreError as exc:
            error(str(exc))
            return EXIT_FAILED
        print(secrets.insecure_warning(account.name, path), file=sys.stderr)
        print(f"stored the token for '{account.name}' in {path}")
    else:
        try:
            secrets.keyring_set(account.name, token)
        except secrets.KeyringUnavailable as exc:
            var = secrets.token_env_var(account.name)
            error(
                f"could not store the token for '{account.name}' in the keyring: {exc}. "
                f"Fix: export {var}=... instead, or keep it in a plain-text file with "
                f"`bwtui auth set {account.name} --insecure-file`"
            )
            return EXIT_FAILED
        print(f"stored the token for '{account.name}' in the keyring (service '{secrets.KEYRING_SERVICE}')")
    var = secrets.token_env_var(account.name)
    if var in os.environ:
        print(f"note: {var} is set in this environment and takes precedence over the stored token")
    return EXIT_OK


def _cmd_delete(args: argparse.Namespace) -> int:
    name = args.name
    problem = account_name_problem(name)
    if problem:
        error(problem)
        return EXIT_USAGE
    status = EXIT_OK
    removed: list[str] = []
    try:
        if secrets.keyring_delete(name):
            removed.append("the keyring")
    except secrets.KeyringUnavailable as exc:
        print(f"keyring not checked: {exc}", file=sys.stderr)
        status = EXIT_FAILED
    try:
        if secrets.file_delete(name):
            removed.append(str(paths.token_file()))
    except secrets.InsecureFileError as exc:
        error(str(exc))
        status = EXIT_FAILED
    if removed:
        print(f"deleted the token for '{name}' from {' and '.join(removed)}")
    elif status == EXIT_OK:
        print(f"no stored token for '{name}'")
    var = secrets.token_env_var(name)
    if var in os.environ:
        print(f"note: {var} is still set in this environment and still provides a token")
    return status


def _cmd_status(args: argparse.Namespace) -> int:
    location = locate_config(config_arg(args))
    config = load_config(config_arg(args))
    if not config.accounts:
        print(f"no accounts configured ({location.path}); add one with "
              "`bwtui account add NAME --provider hivelocity|altostrat`")
        return EXIT_OK
    resolved = [(account, secrets.resolve_token(account.name)) for account in config.accounts]
    checks: dict[str, CheckResult] = {}
    if args.check:
        pairs = [(account, result.token) for account, result in resolved if result.token]
        for (account, _token), check in zip(pairs, _run_checks(pairs)):
            checks[account.name] = check
    header = ["ACCOUNT", "PROVIDER", "TOKEN"] + (["CHECK"] if args.check else [])
    rows = [header]
    problems: list[str] = []
    status = EXIT_OK
    for account, result in resolved:
        row = [safe_text(account.name), account.provider, result.source or "none"]
        if result.token is None:
            status = EXIT_FAILED
            problems.append(safe_text(result.problem or "no token", limit=1000))
        if args.check:
            check = checks.get(account.name)
            if check is None:
                row.append("-")
            else:
                row.append(check.detail if check.ok else "FAILED")
                if not check.ok:
                    status = EXIT_FAILED
                    problems.append(f"{safe_text(account.name)}: the provider {check.detail}")
        rows.append(row)
    print(table(rows))
    if problems:
        print()
        for line in problems:
            print(line)
    return status


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``auth`` and its sub-commands."""
    parser = subparsers.add_parser(
        "auth", help="store, delete and check API tokens",
        description="Tokens come from BWTUI_TOKEN_<NAME>, else the OS keyring, else an opt-in "
                    "plain-text file. They are never printed.",
    )
    add_config_option(parser)
    sub = parser.add_subparsers(dest="auth_command", metavar="{set,delete,status}")
    sub.required = True

    p_set = sub.add_parser("set", help="store an account's token (hidden prompt, or --stdin)")
    p_set.add_argument("name", help="account name from the config")
    p_set.add_argument("--stdin", action="store_true", help="read the token from stdin (for scripts)")
    p_set.add_argument("--insecure-file", action="store_true",
                       help="store it in a plain-text 0600 file instead of the keyring (hosts without one)")
    p_set.add_argument("--check", action="store_true", help="verify it with the provider before storing")
    add_config_option(p_set)

    p_delete = sub.add_parser("delete", help="delete an account's stored token (keyring and file)")
    p_delete.add_argument("name")
    add_config_option(p_delete)

    p_status = sub.add_parser("status", help="where each account's token comes from (never the token)")
    p_status.add_argument("--check", action="store_true", help="also ask each provider if it accepts the token")
    add_config_option(p_status)

    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Dispatch ``auth`` sub-commands; 0 ok, 2 usage/config error, 3 missing or rejected token."""
    handlers = {"set": _cmd_set, "delete": _cmd_delete, "status": _cmd_status}
    try:
        return handlers[args.auth_command](args)
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
