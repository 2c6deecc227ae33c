"""Provider clients and the registry that builds one per account (no Textual here)."""

from __future__ import annotations

from typing import Any

from bwtui.providers.altostrat import AltostratClient
from bwtui.model import Period
from bwtui.providers.base import ProviderClient, ProviderTraits
from bwtui.providers.hivelocity import HivelocityClient

PROVIDERS: dict[str, type] = {
    "hivelocity": HivelocityClient,
    "altostrat": AltostratClient,
}


def make_client(provider: str, account: str, token: str, **settings: Any) -> ProviderClient:
    """A client for ``provider``; settings that are None mean "the provider's default".

    Raises ValueError for an unknown provider or a bad setting (e.g. ``http://`` to a remote host).
    """
    cls = PROVIDERS.get(provider)
    if cls is None:
        known = ", ".join(sorted(PROVIDERS))
        raise ValueError(f"unknown provider {provider!r}; known providers: {known}")
    kwargs = {key: value for key, value in settings.items() if value is not None}
    try:
        return cls(account, token, **kwargs)
    except TypeError as exc:
        raise ValueError(f"{provider}: unsupported setting ({exc})") from None


__all__ = [
    "PROVIDERS",
    "AltostratClient",
    "HivelocityClient",
    "Period",
    "ProviderClient",
    "ProviderTraits",
    "make_client",
]
