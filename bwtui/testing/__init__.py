"""bwtui's provider contract kit: what a provider plug-in runs against its own simulator.

    from bwtui.testing import ContractTarget, FaultInjector, ProviderContract, serve_app

See :mod:`bwtui.testing.contract` for the tests and the README's "Writing a provider" section
for a complete minimal plug-in. Importing this module needs pytest (a test dependency).
"""

from bwtui.testing.contract import ContractTarget, ProviderContract
from bwtui.testing.faults import FaultControl, FaultInjector, SimulatorFaults
from bwtui.testing.serving import serve_app

__all__ = [
    "ContractTarget",
    "FaultControl",
    "FaultInjector",
    "ProviderContract",
    "SimulatorFaults",
    "serve_app",
]
