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


def build_runtimes(config: Config) -> list[AccountRuntime]:
    """One runtime per configured account: a client where a token was found, else the reason."""
    from bwtui.providers import make_client
    from bwtui.secrets import resolve_token

    runtimes: list[AccountRuntime] = []
    for account in config.accounts:
        token = resolve_token(account.name)
        if token.token is None:
            runtimes.append(AccountRuntime(account, None, token.problem))
            continue
        try:
            client = make_client(
                account.provider, account.name, token.token, **client_settings(account)
            )
        except ValueError as error:
            runtimes.append(AccountRuntime(account, None, str(error)))
            continue
        runtimes.append(AccountRuntime(account, client))
    return runtimes


async def close_runtimes(runtimes: list[AccountRuntime]) -> None:
    """Close every client's HTTP connections."""
    for runtime in runtimes:
        if runtime.client is not None:
            await runtime.client.aclose()
