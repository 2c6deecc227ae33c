"""The embedded demo: the simulated provider APIs on loopback, and accounts pointing at them.

The demo runs the real provider clients and real HTTP against the project's own simulator,
so everything a user sees in ``--demo`` is what they would see with real accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bwtui.config import AccountConfig
from bwtui.runtime import AccountRuntime

DEMO_HIVELOCITY_ACCOUNT = "hv-demo"
DEMO_ALTOSTRAT_ACCOUNT = "vpn-demo"
DEMO_HETZNER_ACCOUNT = "hz-demo"
DEMO_VULTR_ACCOUNT = "vultr-demo"
DEMO_SIMULATOR_LOG = "demo-simulator.log"  # in the state dir: what a child simulator said


@dataclass
class DemoEnv:
    """A running simulator and the account runtimes that talk to it."""

    base_url: str
    runtimes: list[AccountRuntime]
    simulator: object | None  # None when it runs in a child process
    _server: object = field(repr=False)

    @property
    def accounts(self) -> list[AccountConfig]:
        return [runtime.config for runtime in self.runtimes]

    def ended(self) -> str | None:
        """Why the simulator is gone, when it ran in a child process that exited; else None."""
        ended = getattr(self._server, "ended", None)
        return ended() if callable(ended) else None

    def stop(self) -> None:
        """Stop the loopback server (clients are closed by their owner)."""
        self._server.stop()  # type: ignore[attr-defined]

    def __enter__(self) -> DemoEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_demo(
    *,
    seed: int = 7,
    speed: float = 1.0,
    clock: Callable[[], float] | None = None,
    services: int = 12,
    instances: int = 6,
    hostile_names: bool = False,
    hetzner_servers: int = 4,
    vultr_instances: int = 4,
    separate_process: bool = False,
) -> DemoEnv:
    """Start the simulator on 127.0.0.1 (a free port) and build clients for it: one account per
    provider that has resources (all four built-in providers in one pane by default).

    ``separate_process``: the simulator runs in a child process (what the monitor does, see
    :mod:`bwtui.simulator.process`); ``DemoEnv.simulator`` is then None. By default it runs in
    a thread of this one, where tests can reach it (faults, request log, a fake ``clock``)."""
    import time

    from bwtui.providers import make_client
    from bwtui.simulator import contract

    reset_at = None
    if clock is None and speed == 1.0:  # real time: agree with the other demo runs on this machine
        from bwtui.demo_world import altostrat_reset_at
        from bwtui.paths import state_dir

        reset_at = altostrat_reset_at(time.time(), state_dir())
    config: dict[str, Any] = {
        "altostrat_reset_at": reset_at, "seed": seed, "hivelocity_services": services,
        "altostrat_instances": instances, "speed": speed, "hostile_names": hostile_names,
        "hetzner_servers": hetzner_servers, "vultr_instances": vultr_instances}
    simulator: object | None = None
    if separate_process:
        if clock is not None:
            raise ValueError("a simulator in another process runs on the real clock")
        config["started_at"] = started_at = time.time()
        server: Any = _child_simulator(config)
        client_clock = contract.simulated_clock(started_at, speed)
    else:
        from bwtui.simulator import Simulator, SimulatorConfig, serve_in_thread

        sim = Simulator(SimulatorConfig(clock=clock, **config))
        simulator, server = sim, serve_in_thread(sim)
        client_clock = sim.now
    # (account, provider, how many, base path, token, provider settings)
    plan = [
        (DEMO_HIVELOCITY_ACCOUNT, "hivelocity", services, contract.HIVELOCITY_PATH,
         contract.HIVELOCITY_TOKEN, {}),
        (DEMO_ALTOSTRAT_ACCOUNT, "altostrat", instances, contract.ALTOSTRAT_PATH,
         contract.ALTOSTRAT_TOKEN, {"path_prefix": "/vpn"}),
        (DEMO_HETZNER_ACCOUNT, "hetzner", hetzner_servers, contract.HETZNER_PATH,
         contract.HETZNER_TOKEN, {}),
        (DEMO_VULTR_ACCOUNT, "vultr", vultr_instances, contract.VULTR_PATH,
         contract.VULTR_TOKEN, {}),
    ]
    runtimes: list[AccountRuntime] = []
    for name, provider, count, path, token, settings in plan:
        if provider in ("hetzner", "vultr") and count <= 0:
            continue
        account = AccountConfig(
            name=name,
            provider=provider,
            base_url=server.base_url + path,
            path_prefix=settings.get("path_prefix"),
        )
        client = make_client(provider, name, token, base_url=account.base_url, clock=client_clock,
                             **settings)
        runtimes.append(AccountRuntime(account, client))
    return DemoEnv(server.base_url, runtimes, simulator, server)


def _child_simulator(config: dict[str, Any]) -> Any:
    """The simulator in a child process; its complaints, if any, in the state dir's log."""
    from bwtui.paths import state_dir
    from bwtui.simulator.process import SimulatorProcess

    log = state_dir() / DEMO_SIMULATOR_LOG
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return SimulatorProcess(config)  # no state dir: its complaints go nowhere
    return SimulatorProcess(config, log=log)
