"""Pooled allowances (Vultr): the pool is the sum of its members' shares and use."""

from __future__ import annotations

import pytest

from bwtui.model import BillingTerms, Resource, Usage
from bwtui.pools import pools

TB = 10**12


def instance(rid: str, account: str = "vu", share: int | None = TB, pool: str | None = "account") -> Resource:
    return Resource(account, "vultr", "instance", rid, rid, billing=BillingTerms(allowance_out_bytes=share, pool=pool))


def test_members_share_one_allowance_per_account():
    [pool, other] = pools([
        (instance("a"), Usage(0, 600 * 10**9, 0.0)),
        (instance("b", share=2 * TB), Usage(0, 900 * 10**9, 0.0)),
        (instance("c", account="vu2"), None),
        (Resource("hv", "hivelocity", "service", "1", "web"), Usage(0, 5 * TB, 0.0)),  # no pool
    ])
    assert pool.key == ("vu", "account") and pool.members == ("a", "b")
    assert pool.allowance_out_bytes == 3 * TB and pool.used_out_bytes == 1500 * 10**9
    assert pool.used_pct == pytest.approx(50.0)
    assert other.key == ("vu2", "account") and other.members_without_usage == 1 and other.used_pct == 0.0


def test_an_unknown_share_makes_the_pool_allowance_unknown():
    [pool] = pools([(instance("a"), None), (instance("b", share=None), None)])
    assert pool.allowance_out_bytes is None and pool.used_pct is None
