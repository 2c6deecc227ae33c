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
) -> DemoEnv:
    """Start the simulator on 127.0.0.1 (a free port) and build clients for it."""
    from bwtui.providers import make_client
    from bwtui.simulator import Simulator, SimulatorConfig, serve_in_thread

    sim_config = SimulatorConfig(
        seed=seed,
        hivelocity_services=services,
        altostrat_instances=instances,
        clock=clock,
        speed=speed,
        hostile_names=hostile_names,
    )
    simulator = Simulator(sim_config)
    server = serve_in_thread(simulator)
    client_clock = simulator.now if hasattr(simulator, "now") else (clock or _wall_clock())
    hv_config = AccountConfig(
        name=DEMO_HIVELOCITY_ACCOUNT,
        provider="hivelocity",
        base_url=server.base_url + simulator.hivelocity_base_url_path,
    )
    alto_config = AccountConfig(
        name=DEMO_ALTOSTRAT_ACCOUNT,
        provider="altostrat",
        base_url=server.base_url + simulator.altostrat_base_path,
        path_prefix="/vpn",
    )
    runtimes = [
        AccountRuntime(
            hv_config,
            make_client(
                "hivelocity",
                hv_config.name,
                sim_config.hivelocity_token,
                base_url=hv_config.base_url,
                clock=client_clock,
            ),
        ),
        AccountRuntime(
            alto_config,
            make_client(
                "altostrat",
                alto_config.name,
                sim_config.altostrat_token,
                base_url=alto_config.base_url,
                path_prefix="/vpn",
                clock=client_clock,
            ),
        ),
    ]
    return DemoEnv(server.base_url, runtimes, simulator, server)


def _wall_clock() -> Callable[[], float]:
    import time

    return time.time
