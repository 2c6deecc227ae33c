"""``bwtui account add|remove|list``: edit the config file, keeping the user's comments."""

from __future__ import annotations

import argparse

from bwtui.commands.common import add_config_option, config_arg, error, table
from bwtui.config import HIVELOCITY_INTERFACES, PROVIDERS, ConfigError, account_name_problem, load_config
from bwtui.exits import ADD_ACCOUNT_FIX, EXIT_OK, EXIT_USAGE
from bwtui.paths import locate_config
from bwtui.secrets import token_env_var
from bwtui.text import safe_text

TEXT_MAX = 300


def _cmd_add(args: argparse.Namespace) -> int:
    location = locate_config(config_arg(args))
    problem = account_name_problem(args.name)
    if problem:
        error(f"{problem}. Fix: use letters, digits, '-' and '_' only, e.g. hv-prod")
        return EXIT_USAGE
    from bwtui.config_edit import add_account

    fields = {
        "name": args.name,
        "provider": args.provider,
        "base_url": args.base_url,
        "path_prefix": args.path_prefix,
        "interface": args.interface,
        "billing_day": args.billing_day,
        "allowance_out_tb": args.allowance_out_tb,
        "overage_usd_per_gb": args.overage_usd_per_gb,
    }
    add_account(location.path, fields)
    print(f"added account '{args.name}' ({args.provider}) to {location.path}")
    print(f"next: store its API token with `bwtui auth set {args.name}` "
          f"(or export {token_env_var(args.name)})")
    return EXIT_OK


def _cmd_remove(args: argparse.Namespace) -> int:
    location = locate_config(config_arg(args))
    if not location.path.exists():
        error(f"{location.path}: no config file, so no account {args.name!r} to remove")
        return EXIT_USAGE
    from bwtui.config_edit import remove_account

    remove_account(location.path, args.name)
    print(f"removed account '{args.name}' from {location.path}")
    print(f"its stored token, if any, stays until `bwtui auth delete {args.name}`")
    return EXIT_OK


def _cmd_list(args: argparse.Namespace) -> int:
    location = locate_config(config_arg(args))
    config = load_config(config_arg(args))
    if not config.accounts:
        state = "" if location.path.exists() else ", not created yet"
        print(f"no accounts ({location.path}{state}); add one with "
              f"{ADD_ACCOUNT_FIX}")
        return EXIT_OK
    rows = [["NAME", "PROVIDER", "BASE URL", "BILLING DAY"]]
    for account in config.accounts:
        base = account.base_url or "(provider default)"
        if account.provider == "altostrat" and account.path_prefix is not None:
            base += f" prefix {account.path_prefix or '(none)'}"
        rows.append([safe_text(account.name, max_len=TEXT_MAX), account.provider,
                     safe_text(base, max_len=TEXT_MAX), str(account.billing_day)])
    print(table(rows))
    return EXIT_OK


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``account`` and its sub-commands."""
    parser = subparsers.add_parser("account", help="add, remove and list accounts in the config file")
    add_config_option(parser)
    sub = parser.add_subparsers(dest="account_command", metavar="{add,remove,list}")
    sub.required = True

    p_add = sub.add_parser("add", help="add an account (creates the config file if needed)")
    p_add.add_argument("name", help="unique; letters, digits, '-' and '_'")
    p_add.add_argument("--provider", required=True, choices=PROVIDERS)
    p_add.add_argument("--base-url", help="API base URL (https://; http:// only for loopback)")
    p_add.add_argument("--path-prefix", help="altostrat: path prefix, e.g. /vpn (\"\" for none)")
    p_add.add_argument("--interface", choices=HIVELOCITY_INTERFACES, help="hivelocity: interface to bill (public)")
    p_add.add_argument("--billing-day", type=int, metavar="N", help="day of month the billing period starts (1-31)")
    p_add.add_argument("--allowance-out-tb", type=float, metavar="TB", help="outbound allowance per resource")
    p_add.add_argument("--overage-usd-per-gb", type=float, metavar="USD", help="price of overage per GB")
    add_config_option(p_add)

    p_remove = sub.add_parser("remove", help="remove an account from the config file")
    p_remove.add_argument("name")
    add_config_option(p_remove)

    p_list = sub.add_parser("list", help="list configured accounts")
    add_config_option(p_list)

    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Dispatch ``account`` sub-commands; 0 ok, 2 usage or config error."""
    handlers = {"add": _cmd_add, "remove": _cmd_remove, "list": _cmd_list}
    try:
        return handlers[args.account_command](args)
    except ConfigError as exc:
        error(str(exc))
        return EXIT_USAGE
    except OSError as exc:
        error(f"cannot write the config file: {exc.strerror or exc}")
        return EXIT_USAGE
