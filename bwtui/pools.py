"""Pooled allowances: resources whose ``BillingTerms.pool`` match share one allowance.

Vultr pools bandwidth across an account's instances; its API states each instance's share
(``allowed_bandwidth``) but no account-wide figure, so the pool is the sum of its members. Pure
functions over the model (no HTTP, no Textual): the session, ``status`` and the UI call them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bwtui.model import Resource, Usage

PoolKey = tuple[str, str]  # (account, pool)


@dataclass(frozen=True, slots=True)
class PoolFigures:
    """One pool's allowance and use. ``allowance_out_bytes`` is None when a member's share is
    unknown; ``used_out_bytes`` sums the members with usage (``members_without_usage`` did not)."""

    key: PoolKey
    members: tuple[str, ...]  # resource ids
    allowance_out_bytes: int | None
    used_out_bytes: int
    members_without_usage: int

    @property
    def used_pct(self) -> float | None:
        if not self.allowance_out_bytes:
            return None
        return self.used_out_bytes / self.allowance_out_bytes * 100.0


def pool_key(resource: Resource) -> PoolKey | None:
    """The pool a resource's allowance belongs to, if any."""
    pool = resource.billing.pool if resource.billing is not None else None
    return (resource.account, pool) if pool else None


def pools(items: Iterable[tuple[Resource, Usage | None]]) -> list[PoolFigures]:
    """Every pool among ``items`` (resources not in a pool are left out), in first-seen order."""
    grouped: dict[PoolKey, list[tuple[Resource, Usage | None]]] = {}
    for resource, usage in items:
        key = pool_key(resource)
        if key is not None:
            grouped.setdefault(key, []).append((resource, usage))
    figures: list[PoolFigures] = []
    for key, members in grouped.items():
        shares = [r.billing.allowance_out_bytes for r, _ in members if r.billing is not None]
        allowance = None if any(s is None for s in shares) else sum(s for s in shares if s is not None)
        used = [u.period_out_bytes for _, u in members if u is not None and u.period_out_bytes is not None]
        figures.append(PoolFigures(
            key=key,
            members=tuple(r.id for r, _ in members),
            allowance_out_bytes=allowance,
            used_out_bytes=sum(used),
            members_without_usage=len(members) - len(used),
        ))
    return figures
