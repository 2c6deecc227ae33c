"""What a user can do about an account-level error, in words."""

from __future__ import annotations

from bwtui.secrets import token_env_var

_KEY_PLACES = {
    "hivelocity": "myVelocity → Settings → API Key (a new key replaces the old one)",
    "altostrat": "SDX dashboard → Automation → Vault, an item named api-key:…",
}


def _declared_hint(provider: str) -> str | None:
    """Where the provider's own declaration says a token comes from (plug-ins, Hetzner, Vultr)."""
    from bwtui.providers.registry import registry

    spec = registry().try_spec(provider)
    return spec.token_hint if spec is not None else None


def fix_hint(kind: str | None, provider: str, account: str, message: str = "") -> str | None:
    """A one-line fix for an account error, or None where the message already says it."""
    if kind == "auth":
        place = _KEY_PLACES.get(provider) or _declared_hint(provider) or "the provider's portal"
        if "retrying at" in message:  # refused; tried again on its own (bwtui.polling.auth_retry)
            return (
                f"Fix: check the key ({place}), then store it with `bwtui auth set {account}` or "
                f"set {token_env_var(account)}; bwtui reads it again at the retry, or press r now."
            )
        if "bwtui auth set" in message:
            return None  # no token found: the message names the ways to provide one
        return (
            f"Fix: the provider rejected the key. Check it ({place}), then store it with "
            f"`bwtui auth set {account}` or set {token_env_var(account)}, and press r."
        )
    if kind == "forbidden":
        return (
            "Fix: the key works but lacks permission for this; ask the account owner to grant "
            "it (a sub-user key reaches only what its permissions allow)."
        )
    if kind == "rate_limited":
        return "bwtui waits for the provider's window to reset; nothing to do."
    return None
