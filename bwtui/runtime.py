"""An account ready to poll: its config plus a client, or the reason there is none."""

from __future__ import annotations

from dataclasses import dataclass

from bwtui.config import AccountConfig, Config
from bwtui.providers.base import ProviderClient


@dataclass(slots=True)
class AccountRuntime:
    """``client`` is None when no credential could be found; ``credential_error`` says why."""

    config: AccountConfig
    client: ProviderClient | None
    credential_error: str | None = None

    @property
    def name(self) -> str:
        return self.config.name


def client_settings(account: AccountConfig) -> dict[str, object]:
    """Keyword settings for ``make_client`` taken from an account's config."""
    settings: dict[str, object] = {}
    if account.base_url:
        settings["base_url"] = account.base_url
    if account.provider == "hivelocity":
        settings["interface"] = account.interface
    if account.provider == "altostrat" and account.path_prefix is not None:
        settings["path_prefix"] = account.path_prefix
    return settings


def build_runtime(account: AccountConfig) -> AccountRuntime:
    """A client for the account where a token is found, else the reason there is none.

    The token lookup may touch the OS keyring (bounded by a timeout): call it off the UI thread.
    """
    from bwtui.providers import make_client
    from bwtui.secrets import resolve_token

    token = resolve_token(account.name)
    if token.token is None:
        return AccountRuntime(account, None, token.problem)
    try:
        client = make_client(account.provider, account.name, token.token, **client_settings(account))
    except ValueError as error:
        return AccountRuntime(account, None, str(error))
    return AccountRuntime(account, client)


def build_runtimes(config: Config) -> list[AccountRuntime]:
    """One runtime per configured account: a client where a token was found, else the reason."""
    return [build_runtime(account) for account in config.accounts]


async def close_runtimes(runtimes: list[AccountRuntime]) -> None:
    """Close every client's HTTP connections."""
    for runtime in runtimes:
        if runtime.client is not None:
            await runtime.client.aclose()
