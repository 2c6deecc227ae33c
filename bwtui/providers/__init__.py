"""Provider clients, found through the ``bwtui.providers`` entry points (no Textual here).

``make_client(provider, account, token, **settings)`` builds one account's client from the
provider's :class:`~bwtui.providers.base.ProviderSpec`; :func:`provider_spec` gives the
declaration itself. Nothing here imports a provider's module until it is asked for.
"""

from __future__ import annotations

from typing import Any

from bwtui.model import Period
from bwtui.providers.base import ProviderClient, ProviderSpec, ProviderTraits
from bwtui.providers.registry import (
    ProviderLoadError,
    UnknownProvider,
    registry,
    reset_registry,
)


def provider_names() -> list[str]:
    """Every installed provider's name (built-in first), without importing any of them."""
    return registry().names()


def provider_spec(name: str) -> ProviderSpec:
    """The provider's declaration; UnknownProvider or ProviderLoadError (both ValueError)."""
    return registry().spec(name)


def make_client(provider: str, account: str, token: str, **settings: Any) -> ProviderClient:
    """A client for ``provider``; settings that are None mean "the provider's default".

    Raises ValueError for an unknown provider, one that failed to load, or a bad setting
    (e.g. ``http://`` to a remote host).
    """
    spec = provider_spec(provider)
    kwargs = {key: value for key, value in settings.items() if value is not None}
    try:
        return spec.create(account, token, **kwargs)
    except TypeError as exc:
        raise ValueError(f"{provider}: unsupported setting ({exc})") from None


def __getattr__(name: str) -> Any:
    """``HivelocityClient``/``AltostratClient``, imported only when asked for (compatibility)."""
    if name == "HivelocityClient":
        from bwtui.providers.hivelocity import HivelocityClient

        return HivelocityClient
    if name == "AltostratClient":
        from bwtui.providers.altostrat import AltostratClient

        return AltostratClient
    raise AttributeError(name)


__all__ = [
    "Period",
    "ProviderClient",
    "ProviderLoadError",
    "ProviderSpec",
    "ProviderTraits",
    "UnknownProvider",
    "make_client",
    "provider_names",
    "provider_spec",
    "registry",
    "reset_registry",
]
