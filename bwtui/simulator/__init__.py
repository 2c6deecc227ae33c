"""Simulated Hivelocity, Altostrat, Hetzner Cloud and Vultr APIs for the demo and the tests.

    sim = Simulator(SimulatorConfig(seed=7))
    with serve_in_thread(sim) as server:
        base = server.base_url + sim.hivelocity_base_url_path
    sim.inject("hivelocity", "152017", faults.status(503))

The names below load on first use (PEP 562): a process that only needs
:mod:`bwtui.simulator.contract` (the monitor, whose demo simulator runs in a child process)
never imports Starlette or uvicorn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bwtui.simulator import faults
    from bwtui.simulator.core import LoggedRequest, Simulator, SimulatorConfig
    from bwtui.simulator.faults import Fault
    from bwtui.simulator.server import RunningServer, serve, serve_in_thread

_HOMES = {
    "faults": "bwtui.simulator.faults",
    "Fault": "bwtui.simulator.faults",
    "LoggedRequest": "bwtui.simulator.core",
    "Simulator": "bwtui.simulator.core",
    "SimulatorConfig": "bwtui.simulator.core",
    "RunningServer": "bwtui.simulator.server",
    "serve": "bwtui.simulator.server",
    "serve_in_thread": "bwtui.simulator.server",
}

__all__ = ["Fault", "LoggedRequest", "RunningServer", "Simulator", "SimulatorConfig", "faults",
           "serve", "serve_in_thread"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'bwtui.simulator' has no attribute {name!r}")
    module = importlib.import_module(home)
    value = module if name == "faults" else getattr(module, name)
    globals()[name] = value
    return value
