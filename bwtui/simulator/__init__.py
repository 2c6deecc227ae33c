"""Simulated Hivelocity and Altostrat APIs for the demo and the tests.

    sim = Simulator(SimulatorConfig(seed=7))
    with serve_in_thread(sim) as server:
        base = server.base_url + sim.hivelocity_base_url_path
    sim.inject("hivelocity", "152017", faults.status(503))
"""

from bwtui.simulator import faults
from bwtui.simulator.core import LoggedRequest, Simulator, SimulatorConfig
from bwtui.simulator.faults import Fault
from bwtui.simulator.server import RunningServer, serve, serve_in_thread

__all__ = [
    "Fault",
    "LoggedRequest",
    "RunningServer",
    "Simulator",
    "SimulatorConfig",
    "faults",
    "serve",
    "serve_in_thread",
]
