"""An account ready to poll: its config plus a client, or the reason there is none."""

from __future__ import annotations

from dataclasses import dataclass

from bwtui.config import AccountConfig, Config
from bwtui.providers.base import ProviderClient


@dataclass(slots=True)
class AccountRuntime:
    """``client`` is None when no credential could be found or the provider could not be loaded;
    ``credential_error`` says why (shown on the account). ``provider_error`` is set, with the same
    text, when the provider itself is missing or broken (a plug-in that fails to import)."""

    config: AccountConfig
    client: ProviderClient | None
    credential_error: str | None = None
    provider_error: str | None = None

    @property
    def name(self) -> str:
        return self.config.name


def client_settings(account: AccountConfig) -> dict[str, object]:
    """Keyword settings for ``make_client`` taken from an account's config."""
    from bwtui.providers.registry import registry

    settings: dict[str, object] = {}
    if account.base_url:
        settings["base_url"] = account.base_url
    spec = registry().try_spec(account.provider)
    if spec is None:
        return settings
    values = dict(account.settings)
    for legacy in ("interface", "path_prefix"):  # fields older code sets on AccountConfig directly
        value = getattr(account, legacy)
        if legacy not in values and value is not None and spec.setting(legacy) is not None:
            values[legacy] = value
    settings.update(spec.client_settings(values))
    days = {rid: o.billing_day for rid, o in account.resources.items() if o.billing_day is not None}
    if days and getattr(spec.create, "takes_resource_billing_days", False):
        # A client that asks for totals from a period start it works out per resource.
        settings["resource_billing_days"] = days
    return settings


def build_runtime(account: AccountConfig, *, http: object | None = None) -> AccountRuntime:
    """A client for the account where a token is found, else the reason there is none.

    The token lookup may touch the OS keyring (bounded by a timeout): call it off the UI thread.
    ``http``: an ``httpx.AsyncClient`` for the client to use (the collector's counting one); the
    caller closes it.
    """
    from bwtui.providers import make_client, provider_spec
    from bwtui.secrets import resolve_token

    try:
        provider_spec(account.provider)
    except ValueError as error:  # unknown, or installed but failing to import
        return AccountRuntime(account, None, str(error), provider_error=str(error))
    token = resolve_token(account.name)
    if token.token is None:
        return AccountRuntime(account, None, token.problem)
    settings = client_settings(account)
    if http is not None:
        settings["http"] = http
    try:
        client = make_client(account.provider, account.name, token.token, **settings)
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
