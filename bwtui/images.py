"""Which providers draw their own bandwidth graph (Textual-free; used by the CLI and the UI)."""

from __future__ import annotations


def has_image(provider: str) -> bool:
    """Whether the provider declares an image of its own (``ProviderTraits.has_image``)."""
    from bwtui.providers import provider_spec

    try:
        return bool(provider_spec(provider).traits.has_image)
    except ValueError:
        return False
