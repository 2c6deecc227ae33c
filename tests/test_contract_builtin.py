"""Every built-in provider passes the shipped contract kit against bwtui's own simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bwtui.providers import provider_spec
from bwtui.simulator import Simulator, SimulatorConfig, serve_in_thread
from bwtui.simulator.world import HOSTILE_INSTANCE_NAME, HOSTILE_NAME, HOSTILE_VARIABLE_NAME
from bwtui.testing import ContractTarget, ProviderContract, SimulatorFaults


def _simulator() -> Simulator:
    return Simulator(SimulatorConfig(
        seed=11, hivelocity_services=4, altostrat_instances=3, hetzner_servers=3, vultr_instances=3,
        hostile_names=True, rate_limit_per_hour=10**6, vultr_requests_per_s=10**6,
        hivelocity_token="hv-contract-token-1", altostrat_token="alto-contract-token-2",
        hetzner_token="hz-contract-token-3", vultr_token="vultr-contract-token-4",
    ))


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Simulator, str]]:
    sim = _simulator()
    with serve_in_thread(sim) as server:
        yield sim, server.base_url


def _target(served: tuple[Simulator, str], provider: str) -> Iterator[ContractTarget]:
    sim, root = served
    sim.clear_faults()
    sim.reset_rate_limit()
    config = sim.config
    targets = {
        "hivelocity": (config.hivelocity_token, sim.hivelocity_base_url(root), sim.hivelocity_service_ids(),
                       {sim.hivelocity_service_ids()[2]: HOSTILE_NAME}, {}),
        "altostrat": (config.altostrat_token, sim.altostrat_base_url(root), sim.altostrat_instance_ids(),
                      {sim.altostrat_instance_ids()[1]: HOSTILE_INSTANCE_NAME,
                       sim.altostrat_instance_ids()[2]: HOSTILE_VARIABLE_NAME}, {"path_prefix": "/vpn"}),
        "hetzner": (config.hetzner_token, sim.hetzner_base_url(root), sim.hetzner_server_ids(),
                    {sim.hetzner_server_ids()[1]: HOSTILE_NAME, sim.hetzner_server_ids()[2]: HOSTILE_VARIABLE_NAME},
                    {"per_page": 2}),
        "vultr": (config.vultr_token, sim.vultr_base_url(root), sim.vultr_instance_ids(),
                  {sim.vultr_instance_ids()[1]: HOSTILE_INSTANCE_NAME}, {"per_page": 2}),
    }
    token, base_url, ids, names, settings = targets[provider]
    yield ContractTarget(spec=provider_spec(provider), token=token, base_url=base_url,
                         faults=SimulatorFaults(sim, provider), expected_ids=ids, expected_names=names,
                         settings=settings, clock=sim.now)
    sim.clear_faults()


class TestHivelocityContract(ProviderContract):
    @pytest.fixture
    def target(self, served):
        yield from _target(served, "hivelocity")


class TestAltostratContract(ProviderContract):
    @pytest.fixture
    def target(self, served):
        yield from _target(served, "altostrat")


class TestHetznerContract(ProviderContract):
    @pytest.fixture
    def target(self, served):
        yield from _target(served, "hetzner")


class TestVultrContract(ProviderContract):
    @pytest.fixture
    def target(self, served):
        yield from _target(served, "vultr")
