"""The embedded demo: the simulated provider APIs on loopback, and accounts pointing at them.

The demo runs the real provider clients and real HTTP against the project's own simulator,
so everything a user sees in ``--demo`` is what they would see with real accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bwtui.config import AccountConfig
from bwtui.runtime import AccountRuntime

DEMO_HIVELOCITY_ACCOUNT = "hv-demo"
DEMO_ALTOSTRAT_ACCOUNT = "vpn-demo"
DEMO_HETZNER_ACCOUNT = "hz-demo"
DEMO_VULTR_ACCOUNT = "vultr-demo"


@dataclass
class DemoEnv:
    """A running simulator and the account runtimes that talk to it."""

    base_url: str
    runtimes: list[AccountRuntime]
    simulator: object
    _server: object = field(repr=False)

    @property
    def accounts(self) -> list[AccountConfig]:
        return [runtime.config for runtime in self.runtimes]

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
) -> DemoEnv:
    """Start the simulator on 127.0.0.1 (a free port) and build clients for it: one account per
    provider that has resources (all four built-in providers in one pane by default)."""
    from bwtui.providers import make_client
    from bwtui.simulator import Simulator, SimulatorConfig, serve_in_thread

    reset_at = None
    if clock is None and speed == 1.0:  # real time: agree with the other demo runs on this machine
        import time

        from bwtui.demo_world import altostrat_reset_at
        from bwtui.paths import state_dir

        reset_at = altostrat_reset_at(time.time(), state_dir())
    sim_config = SimulatorConfig(
        altostrat_reset_at=reset_at,
        seed=seed,
        hivelocity_services=services,
        altostrat_instances=instances,
        clock=clock,
        speed=speed,
        hostile_names=hostile_names,
        hetzner_servers=hetzner_servers,
        vultr_instances=vultr_instances,
    )
    simulator = Simulator(sim_config)
    server = serve_in_thread(simulator)
    client_clock = simulator.now if hasattr(simulator, "now") else (clock or _wall_clock())
    # (account, provider, how many, base path, token, provider settings)
    plan = [
        (DEMO_HIVELOCITY_ACCOUNT, "hivelocity", services, simulator.hivelocity_base_url_path,
         sim_config.hivelocity_token, {}),
        (DEMO_ALTOSTRAT_ACCOUNT, "altostrat", instances, simulator.altostrat_base_path,
         sim_config.altostrat_token, {"path_prefix": "/vpn"}),
        (DEMO_HETZNER_ACCOUNT, "hetzner", hetzner_servers, simulator.hetzner_base_path,
         sim_config.hetzner_token, {}),
        (DEMO_VULTR_ACCOUNT, "vultr", vultr_instances, simulator.vultr_base_path,
         sim_config.vultr_token, {}),
    ]
    runtimes: list[AccountRuntime] = []
    for name, provider, count, path, token, settings in plan:
        if provider in ("hetzner", "vultr") and count <= 0:
            continue
        config = AccountConfig(
            name=name,
            provider=provider,
            base_url=server.base_url + path,
            path_prefix=settings.get("path_prefix"),
        )
        client = make_client(provider, name, token, base_url=config.base_url, clock=client_clock, **settings)
        runtimes.append(AccountRuntime(config, client))
    return DemoEnv(server.base_url, runtimes, simulator, server)


def _wall_clock() -> Callable[[], float]:
    import time

    return time.time
