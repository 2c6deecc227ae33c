"""``/metrics``: the collector's session as Prometheus metrics, from memory only."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from bwtui.clock import FakeClock as SteppedClock
from bwtui.collector.access import Access
from bwtui.collector.core import Collector, CollectorInfo
from bwtui.collector.metrics import SPECS, MetricsPage, SessionMetrics, registry_for
from bwtui.collector.server import build_app
from bwtui.collector.service import counted_runtime
from bwtui.collector.requests import RequestCounters
from bwtui.config import AccountConfig
from bwtui.session.core import MonitorSession
from bwtui.session.live import LivePollerSource
from collector_support import counted_simulator, running_collector, wait_for
from ui_support import HOSTILE_NAMES, standard_script


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def _value(samples: dict[Any, float], name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


class Untouchable:
    """Anything read from it fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"registering read {name!r}")


def test_registering_the_collector_reads_nothing_describe_lists_every_family() -> None:
    metrics = SessionMetrics(Untouchable())  # type: ignore[arg-type]
    registry = CollectorRegistry(auto_describe=True)
    registry.register(metrics)
    assert [family.name for family in metrics.describe()] == [
        spec.name.removesuffix("_total") for spec in SPECS]


def test_metric_names_follow_prometheus_practice() -> None:
    for spec in SPECS:
        assert spec.name.startswith("bwtui_")
        if spec.kind == "counter":
            assert not spec.name.endswith("_total")  # the client adds it
        else:
            assert not spec.name.endswith("_total")
        assert "bits" not in spec.name  # base units: bytes
        if "timestamp" in spec.name or spec.name.endswith("_time_seconds"):
            assert spec.name.endswith("_seconds")


async def test_every_figure_equals_the_sessions_and_hostile_names_survive_the_exposition() -> None:
    script = standard_script(hostile=True, failing="[bold]unclosed", rate_limited_account="vpn")
    async with running_collector(script) as running:
        async with httpx.AsyncClient() as http:
            response = await http.get(running.url + "/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        samples = _samples(response.text)
        session = running.collector.session
        names = set()
        for key, state in session.store.states.items():
            account, rid = key
            resource = state.resource
            (labels_found,) = [dict(labels) for (n, labels) in samples
                               if n == "bwtui_resource_info" and dict(labels)["id"] == rid
                               and dict(labels)["account"] == account]
            assert labels_found == {"account": account, "id": rid, "provider": resource.provider,
                                    "kind": resource.kind, "name": resource.name,
                                    "location": resource.location or ""}
            names.add(labels_found["name"])
            in_bps, out_bps = session.store.rates(key)
            if out_bps is not None:
                assert _value(samples, "bwtui_resource_rate_bytes_per_second", account=account,
                              id=rid, direction="out") == out_bps / 8
            if state.usage is not None and state.usage.period_out_bytes is not None:
                assert _value(samples, "bwtui_resource_period_bytes", account=account, id=rid,
                              direction="out") == state.usage.period_out_bytes
            figures = session.billing(state)
            if figures is not None:
                assert _value(samples, "bwtui_resource_billing_period_end_timestamp_seconds",
                              account=account, id=rid) == figures.period_end
                if figures.projected_out_bytes is not None:
                    assert _value(samples, "bwtui_resource_projected_period_bytes", account=account,
                                  id=rid, direction="out") == figures.projected_out_bytes
                if figures.projected_overage_cost is not None:
                    assert _value(samples, "bwtui_resource_projected_overage_cost", account=account,
                                  id=rid, currency="USD") == figures.projected_overage_cost
            if state.error is not None:
                assert _value(samples, "bwtui_resource_error", account=account, id=rid,
                              kind=state.error.kind.value) == 1
        assert set(HOSTILE_NAMES) <= names  # exactly the API's strings, escaped only on the wire
        assert _value(samples, "bwtui_api_rate_limit_remaining", account="vpn") == 0
        assert _value(samples, "bwtui_account_up", account="hv-prod", provider="hivelocity") == 1
        assert _value(samples, "bwtui_collector_ready") == 1


async def test_the_cached_page_is_byte_for_byte_what_prometheus_client_writes() -> None:
    """/metrics renders resource lines from a per-resource cache; it must equal generate_latest
    over the custom collector, before and after some resources change."""
    from prometheus_client import generate_latest

    from bwtui.events import ResourceUpdated
    from ui_support import T0, make_resources, make_state

    script = standard_script(services=30, hostile=True, failing="[bold]unclosed")
    async with running_collector(script) as running:
        collector = running.collector
        page = MetricsPage(collector, process=False)
        registry = registry_for(collector)
        assert page.render() == generate_latest(registry)
        for seed, resource in enumerate(make_resources("hv-prod", "hivelocity", 30)[:5]):
            running.poller.emit(ResourceUpdated(make_state(resource, seed + 40, T0 + 600)))
        await wait_for(lambda: collector.events_applied > 0)
        await asyncio.sleep(0.05)
        assert page.render() == generate_latest(registry)
        text = page.render().decode()
        assert text.count("# TYPE bwtui_resource_info gauge") == 1


async def test_a_scrape_never_calls_a_provider() -> None:
    """A real poller on a clock that does not move: after its first round it sends nothing more,
    and any number of scrapes leaves the simulator's request count where it was."""
    with counted_simulator(hivelocity_services=2, altostrat_instances=1, hetzner_servers=0,
                           vultr_instances=0) as world:
        counters = RequestCounters()
        import os

        os.environ["BWTUI_TOKEN_HV_SIM"] = "demo-hv-key"
        try:
            runtime = await asyncio.to_thread(counted_runtime, AccountConfig(
                "hv-sim", "hivelocity", base_url=world.server.hivelocity_base_url), counters)
        finally:
            del os.environ["BWTUI_TOKEN_HV_SIM"]
        clock = SteppedClock(time.time())
        session = MonitorSession(now=clock.now)
        source = LivePollerSource([runtime], clock=clock)
        collector = Collector([runtime], source=source, session=session, counters=counters,
                              info=CollectorInfo("test", "http://test", clock.now()), clock=clock)
        app = build_app(collector, Access(None))
        await collector.start()
        try:
            await wait_for(lambda: len(session.store.states) == 2 and all(
                s.usage is not None for s in session.store.states.values()), what="first round")
            await wait_for(lambda: world.requests == counters.view().requests, what="quiet")
            before = world.requests
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://collector") as http:
                for _ in range(20):
                    assert (await http.get("/metrics")).status_code == 200
                    assert (await http.get("/api/v1/snapshot")).status_code == 200
            await asyncio.sleep(0.2)
            assert world.requests == before
            text = (await httpx.AsyncClient(transport=transport, base_url="http://c").get("/metrics")).text
            samples = _samples(text)
            answered = sum(v for (n, labels), v in samples.items() if n == "bwtui_api_requests_total")
            assert answered == before  # the collector's own count is the simulator's
        finally:
            await collector.stop()
