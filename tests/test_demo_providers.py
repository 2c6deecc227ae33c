"""`bwtui --demo` shows all four built-in providers in one pane, each polled for real."""

from __future__ import annotations

import asyncio

import pytest

from bwtui.clock import RealClock
from bwtui.demo import start_demo
from bwtui.events import ResourceUpdated
from bwtui.poller import Poller


@pytest.mark.parametrize("separate_process", [False, True], ids=["in-process", "child-process"])
async def test_the_demo_polls_all_four_providers(separate_process: bool) -> None:
    with start_demo(services=2, instances=2, hetzner_servers=2, vultr_instances=2,
                    separate_process=separate_process) as env:
        assert [rt.config.provider for rt in env.runtimes] == ["hivelocity", "altostrat", "hetzner", "vultr"]
        assert (env.simulator is None) == separate_process  # a child's lives elsewhere
        updates: list[ResourceUpdated] = []
        poller = Poller(env.runtimes, clock=RealClock(),
                        on_event=lambda e: updates.append(e) if isinstance(e, ResourceUpdated) else None)
        task = asyncio.create_task(poller.run())
        try:
            async with asyncio.timeout(30):
                while {u.state.resource.provider for u in updates if u.state.usage is not None} != {
                        "hivelocity", "altostrat", "hetzner", "vultr"}:
                    await asyncio.sleep(0.05)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            for runtime in env.runtimes:
                await runtime.client.aclose()
    vultr = [u.state for u in updates if u.state.resource.provider == "vultr"]
    assert all(s.resource.rate_basis == "daily_average" for s in vultr)
    assert not [u.state.error for u in updates if u.state.error is not None]
