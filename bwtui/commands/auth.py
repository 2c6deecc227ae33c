"""``bwtui auth set|delete|status``: store, remove and check API tokens (never shown)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from bwtui import paths, secrets
from bwtui.commands.common import add_config_option, config_arg, error, find_account, table
from bwtui.config import AccountConfig, ConfigError, account_name_problem, load_config
from bwtui.exits import ADD_ACCOUNT_FIX, EXIT_FAILED, EXIT_OK, EXIT_USAGE
from bwtui.paths import locate_config
from bwtui.text import safe_text
from bwtui.token_check import CheckResult, TokenInputError, check_token, clean_token

NAME_MAX = 300


def _run_checks(pairs: list[tuple[AccountConfig, str]]) -> list[CheckResult]:
    """Check every (account, token) pair at once with ``check_token`` (tests replace it here)."""
    checker = check_token

    async def main() -> list[CheckResult]:
        return list(await asyncio.gather(*(checker(account, token) for account, token in pairs)))

    return asyncio.run(main())


def read_token(account: AccountConfig, *, from_stdin: bool) -> str:
    """From stdin (``--stdin``) or a hidden prompt."""
    if from_stdin:
        return clean_token(sys.stdin.read())
    if not sys.stdin.isatty():
        raise TokenInputError("no terminal to prompt on; pipe the token in with --stdin")
    return clean_token(getpass.getpass(f"API token for '{account.name}' ({account.provider}): "))


# --- sub-commands ---------------------------------------------------------------------------------


def _no_keyring(name: str, problem: Exception) -> int:
    """Say the keyring cannot store ``name``'s token, and what to do instead; nothing stored."""
    error(
        f"could not store the token for '{name}' in the keyring: {problem}. "
        f"Fix: export {secrets.token_env_var(name)}=... instead, or keep it in a plain-text file with "
        f"`bwtui auth set {name} --insecure-file`"
    )
    return EXIT_FAILED


def _cmd_set(args: argparse.Namespace) -> int:
    location = locate_config(config_arg(args))
    config = load_config(config_arg(args))
    account = find_account(config, args.name, location.path)
    if not args.insecure_file:
        try:  # before asking for the token: a keyring that cannot store it says so first
            secrets.keyring_get(account.name)
        except secrets.KeyringUnavailable as exc:
            return _no_keyring(account.name, exc)
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
            return _no_keyring(account.name, exc)
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
              f"{ADD_ACCOUNT_FIX}")
        return EXIT_OK
    resolved = [(account, secrets.resolve_token(account.name)) for account in config.accounts]
    checks: dict[str, CheckResult] = {}
    if args.check:
        pairs = [(account, result.token) for account, result in resolved if result.token]
        for (account, _token), result_of_check in zip(pairs, _run_checks(pairs), strict=True):
            checks[account.name] = result_of_check
    header = ["ACCOUNT", "PROVIDER", "TOKEN"] + (["CHECK"] if args.check else [])
    rows = [header]
    problems: list[str] = []
    status = EXIT_OK
    for account, result in resolved:
        row = [safe_text(account.name, max_len=NAME_MAX), account.provider, result.source or "none"]
        if result.token is None:
            status = EXIT_FAILED
            problems.append(safe_text(result.problem or "no token", max_len=1000))
        if args.check:
            check = checks.get(account.name)
            if check is None:
                row.append("-")
            else:
                row.append(check.detail if check.ok else "FAILED")
                if not check.ok:
                    status = EXIT_FAILED
                    problems.append(f"{safe_text(account.name, max_len=NAME_MAX)}: the provider {check.detail}")
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
