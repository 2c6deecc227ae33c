"""``/metrics``: the collector's session as Prometheus metrics, computed at scrape time from memory.

:class:`SessionMetrics` is a ``prometheus_client`` custom collector over everything.
``describe()`` lists the families without reading anything, so registering it does no work;
``collect()`` reads the session the poller feeds (and the request counters) and never calls a
provider. Names follow Prometheus practice: base units (bytes, seconds), unit suffixes,
``_total`` only on counters, directions and kinds as labels. Label values are the providers'
strings verbatim (the exposition escapes them); resources are joined to their names through
``bwtui_resource_info``.

Rendering is where the time goes: ``prometheus_client``'s ``generate_latest`` costs about 20 µs
a sample here, and 1,000 resources make some 15,000 samples (300 ms a scrape). So
:class:`MetricsPage` (what ``/metrics`` serves) renders the per-resource families itself from
lines cached per resource, rebuilt only when that resource's state changed, in exactly the text
format ``generate_latest`` writes (a test compares them byte for byte), and leaves the small
families (accounts, requests, the collector, the process) to ``generate_latest``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as PromCollector
from prometheus_client.registry import CollectorRegistry
from prometheus_client.utils import floatToGoString as _go_float

from bwtui.collector.core import Collector
from bwtui.collector.protocol import FEED_VERSION
from bwtui.model import Period, ResourceState
from bwtui.session.core import MonitorSession

CACHED = ("From the collector's poller cache, read at scrape time (a scrape never calls the "
          "provider); as old as bwtui_resource_data_timestamp_seconds says.")
RES = ("account", "id")
DIR = ("account", "id", "direction")
Key = tuple[str, str]
Sample = tuple[str, tuple[str, ...], float]  # (family, label values in the spec's order, value)


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    kind: str  # "gauge" or "counter" (name without _total)
    help: str
    labels: tuple[str, ...]


RESOURCE_SPECS: tuple[Spec, ...] = (
    Spec("bwtui_resource_info", "gauge", "A watched resource (always 1): join on account and id for "
         "its provider, kind, name and location. Label values are the API's strings verbatim.",
         ("account", "provider", "kind", "id", "name", "location")),
    Spec("bwtui_resource_rate_bytes_per_second", "gauge",
         f"Latest traffic rate the provider reported (bits/s ÷ 8). {CACHED}", DIR),
    Spec("bwtui_resource_rate_timestamp_seconds", "gauge",
         "When the latest rate was measured (Unix time).", RES),
    Spec("bwtui_resource_period_bytes", "gauge",
         f"Traffic in the billing period so far, as the provider counts it. {CACHED}", DIR),
    Spec("bwtui_resource_period_timestamp_seconds", "gauge",
         "When the billing-period totals were true (Unix time).", RES),
    Spec("bwtui_resource_data_timestamp_seconds", "gauge",
         "Newest of the rate and totals times (Unix time): time() minus this is the data's age.",
         RES),
    Spec("bwtui_resource_last_success_timestamp_seconds", "gauge",
         "When the collector last polled this resource successfully (Unix time).", RES),
    Spec("bwtui_resource_allowance_bytes", "gauge",
         "Traffic included in the billing period (config, else the provider's terms).", DIR),
    Spec("bwtui_resource_projected_period_bytes", "gauge",
         "Linear estimate of the billing period's traffic at its end (usage so far ÷ time elapsed "
         f"× period length; absent in the period's first hour). {CACHED}", DIR),
    Spec("bwtui_resource_projected_overage_cost", "gauge",
         "Estimated charge for projected outbound traffic beyond the allowance, in the currency "
         "label's unit.", ("account", "id", "currency")),
    Spec("bwtui_resource_billing_period_start_timestamp_seconds", "gauge",
         "Start of the resource's current billing period (Unix time).", RES),
    Spec("bwtui_resource_billing_period_end_timestamp_seconds", "gauge",
         "End of the resource's current billing period (Unix time).", RES),
    Spec("bwtui_resource_error", "gauge",
         "1 while the resource's last poll failed, labelled with the error kind.",
         ("account", "id", "kind")),
)
OTHER_SPECS: tuple[Spec, ...] = (
    Spec("bwtui_account_up", "gauge",
         "1 when the account's resources are listed and it has no error, else 0.",
         ("account", "provider")),
    Spec("bwtui_account_error", "gauge",
         "1 while the account cannot be listed or has no token, labelled with the error kind.",
         ("account", "kind")),
    Spec("bwtui_account_resources", "gauge", "Resources listed for the account.", ("account",)),
    Spec("bwtui_api_rate_limit_remaining", "gauge",
         "Requests left in the provider's rate-limit window, as its last answer said.", ("account",)),
    Spec("bwtui_api_rate_limit_limit", "gauge",
         "Requests allowed per rate-limit window, as the provider's last answer said.", ("account",)),
    Spec("bwtui_api_rate_limit_reset_timestamp_seconds", "gauge",
         "When the provider said its rate-limit window resets (Unix time).", ("account",)),
    Spec("bwtui_api_requests", "counter",
         "HTTP requests the collector sent that the provider answered, by status code.",
         ("provider", "account", "code")),
    Spec("bwtui_api_request_failures", "counter",
         "HTTP requests that got no answer, by reason (timeout, network, cancelled).",
         ("provider", "account", "reason")),
    Spec("bwtui_poll_errors", "counter",
         "Failed provider calls by error kind (auth, forbidden, not_found, rate_limited, server, "
         "network, timeout, bad_response).", ("provider", "account", "kind")),
    Spec("bwtui_budget_pace_requests_per_second", "gauge",
         "How fast the collector spends a request budget group now (its pacer's rate).", ("group",)),
    Spec("bwtui_budget_stretch_ratio", "gauge",
         "How much longer than their data's own cadence resources wait between polls to stay "
         "within the budget (1: not at all).", ("group",)),
    Spec("bwtui_budget_blocked_until_timestamp_seconds", "gauge",
         "While a 429 stops every request of the group: until when (Unix time).", ("group",)),
    Spec("bwtui_budget_rejected", "counter", "Requests the provider refused with 429, per group.",
         ("group",)),
    Spec("bwtui_collector_info", "gauge", "The collector (always 1): its version and feed version.",
         ("version", "feed_version")),
    Spec("bwtui_collector_start_time_seconds", "gauge", "When the collector started (Unix time).", ()),
    Spec("bwtui_collector_ready", "gauge",
         "1 once every account with a token has been listed (or has failed) once.", ()),
    Spec("bwtui_collector_viewers", "gauge", "Viewers attached to the feed now.", ()),
    Spec("bwtui_collector_events", "counter", "Poll events the collector's session applied.", ()),
)
SPECS = RESOURCE_SPECS + OTHER_SPECS
_BY_NAME = {spec.name: spec for spec in SPECS}


def _family(spec: Spec) -> Metric:
    if spec.kind == "counter":
        return CounterMetricFamily(spec.name, spec.help, labels=spec.labels)
    return GaugeMetricFamily(spec.name, spec.help, labels=spec.labels)


# ----- what each resource contributes --------------------------------------------------------------
def resource_samples(session: MonitorSession, key: Key, state: ResourceState) -> list[Sample]:
    """One resource's samples (the same rates, totals and billing the monitor shows)."""
    resource = state.resource
    account, rid = resource.account, resource.id
    out: list[Sample] = [("bwtui_resource_info", (account, resource.provider, resource.kind, rid,
                                                  resource.name, resource.location or ""), 1.0)]

    def add(name: str, labels: tuple[str, ...], value: float | int | None) -> None:
        if value is not None:
            out.append((name, labels, float(value)))

    in_bps, out_bps = session.store.rates(key)
    add("bwtui_resource_rate_bytes_per_second", (account, rid, "in"), None if in_bps is None else in_bps / 8)
    add("bwtui_resource_rate_bytes_per_second", (account, rid, "out"), None if out_bps is None else out_bps / 8)
    add("bwtui_resource_rate_timestamp_seconds", (account, rid), state.rate_at)
    usage = state.usage
    if usage is not None:
        add("bwtui_resource_period_bytes", (account, rid, "in"), usage.period_in_bytes)
        add("bwtui_resource_period_bytes", (account, rid, "out"), usage.period_out_bytes)
        add("bwtui_resource_period_timestamp_seconds", (account, rid), usage.as_of)
    times = [t for t in (state.rate_at, usage.as_of if usage else None) if t is not None]
    add("bwtui_resource_data_timestamp_seconds", (account, rid), max(times) if times else None)
    add("bwtui_resource_last_success_timestamp_seconds", (account, rid), state.updated_at)
    figures = session.billing(state)
    if figures is not None:
        add("bwtui_resource_allowance_bytes", (account, rid, "out"), figures.allowance_out_bytes)
        add("bwtui_resource_projected_period_bytes", (account, rid, "in"), figures.projected_in_bytes)
        add("bwtui_resource_projected_period_bytes", (account, rid, "out"), figures.projected_out_bytes)
        add("bwtui_resource_projected_overage_cost", (account, rid, "USD"), figures.projected_overage_cost)
        add("bwtui_resource_billing_period_start_timestamp_seconds", (account, rid), figures.period_start)
        add("bwtui_resource_billing_period_end_timestamp_seconds", (account, rid), figures.period_end)
    if state.error is not None:
        add("bwtui_resource_error", (account, rid, state.error.kind.value), 1)
    return out


def _other_samples(collector: Collector) -> Iterator[Sample]:
    store = collector.session.store
    for view in store.accounts.values():
        yield "bwtui_account_up", (view.name, view.provider), 1.0 if view.listed and not view.error else 0.0
        if view.error:
            yield "bwtui_account_error", (view.name, view.error_kind or "error"), 1.0
        if view.listed:
            yield "bwtui_account_resources", (view.name,), float(len(view.resources))
        limit = view.rate_limit
        if limit is not None:
            if limit.remaining is not None:
                yield "bwtui_api_rate_limit_remaining", (view.name,), float(limit.remaining)
            if limit.limit is not None:
                yield "bwtui_api_rate_limit_limit", (view.name,), float(limit.limit)
            if limit.reset_s is not None:
                yield ("bwtui_api_rate_limit_reset_timestamp_seconds", (view.name,),
                       limit.observed_at + limit.reset_s)
    counts = collector.counters.view()
    for name, table in (("bwtui_api_requests", counts.answered),
                        ("bwtui_api_request_failures", counts.unanswered),
                        ("bwtui_poll_errors", counts.errors)):
        for labels, value in sorted(table.items()):
            yield name, labels, float(value)
    for group, budget in sorted(collector.budgets.items()):
        yield "bwtui_budget_pace_requests_per_second", (group,), budget.rate_rps
        yield "bwtui_budget_stretch_ratio", (group,), budget.stretch
        if budget.blocked_until is not None:
            yield "bwtui_budget_blocked_until_timestamp_seconds", (group,), budget.blocked_until
        yield "bwtui_budget_rejected", (group,), float(budget.rejected)
    yield "bwtui_collector_info", (collector.info.version, str(FEED_VERSION)), 1.0
    yield "bwtui_collector_start_time_seconds", (), collector.info.started_at
    yield "bwtui_collector_ready", (), 1.0 if collector.ready else 0.0
    yield "bwtui_collector_viewers", (), float(collector.viewers)
    yield "bwtui_collector_events", (), float(collector.events_applied)


def _families(specs: Iterable[Spec], samples: Iterable[Sample]) -> Iterator[Metric]:
    families = {spec.name: _family(spec) for spec in specs}
    for name, labels, value in samples:
        families[name].add_metric(list(labels), value)  # type: ignore[attr-defined]
    yield from families.values()


class SessionMetrics(PromCollector):
    """The custom collector over a :class:`~bwtui.collector.core.Collector` (scrape-time view)."""

    def __init__(self, collector: Collector) -> None:
        self._collector = collector

    def describe(self) -> Iterable[Metric]:
        """Every family, empty: registering reads nothing."""
        return [_family(spec) for spec in SPECS]

    def collect(self) -> Iterator[Metric]:
        session = self._collector.session
        samples = [sample for key, state in session.store.states.items()
                   for sample in resource_samples(session, key, state)]
        samples.extend(_other_samples(self._collector))
        yield from _families(SPECS, samples)


class _OtherMetrics(PromCollector):
    """Only the small families (accounts, requests, the collector), for :class:`MetricsPage`."""

    def __init__(self, collector: Collector) -> None:
        self._collector = collector

    def describe(self) -> Iterable[Metric]:
        return [_family(spec) for spec in OTHER_SPECS]

    def collect(self) -> Iterator[Metric]:
        yield from _families(OTHER_SPECS, _other_samples(self._collector))


def registry_for(collector: Collector) -> CollectorRegistry:
    """A registry holding the session metrics (all families; no process collector)."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(SessionMetrics(collector))
    return registry


# ----- the page /metrics serves ----------------------------------------------------------------------
def floatToGoString(value: float) -> str:  # noqa: N802 - prometheus_client's name
    """A value as the exposition writes it (Go's float formatting)."""
    return str(_go_float(value))  # type: ignore[no-untyped-call]


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _line(spec: Spec, labels: tuple[str, ...], value: float) -> str:
    """One sample line exactly as ``generate_latest`` writes it (label names sorted)."""
    pairs = sorted(zip(spec.labels, labels, strict=True))
    inner = ",".join(f'{name}="{_escape(text)}"' for name, text in pairs)
    return f"{spec.name}{{{inner}}} {floatToGoString(value)}\n" if inner else \
        f"{spec.name} {floatToGoString(value)}\n"


class MetricsPage:
    """What ``/metrics`` serves: cached per-resource lines plus ``generate_latest`` for the rest.

    Per family, each resource's lines are kept as one string (empty when it has no sample in
    that family), so a scrape re-renders only the resources whose state, day series or account
    config changed, then joins 13 families of strings.
    """

    def __init__(self, collector: Collector, *, process: bool = True) -> None:
        self._collector = collector
        self._markers: dict[Key, tuple[object, ...]] = {}
        self._texts: dict[str, dict[Key, bytes]] = {spec.name: {} for spec in RESOURCE_SPECS}
        self._heads = {spec.name: (f"# HELP {spec.name} {_escape_help(spec.help)}\n"
                                   f"# TYPE {spec.name} {spec.kind}\n").encode() for spec in RESOURCE_SPECS}
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(_OtherMetrics(collector))
        if process:
            ProcessCollector(registry=self.registry)

    def render(self) -> bytes:
        """The whole page (text format 0.0.4)."""
        return self.resource_text() + generate_latest(self.registry)

    def resource_text(self) -> bytes:
        """The per-resource families, rebuilding only the resources that changed."""
        session = self._collector.session
        store = session.store
        hour = int(time.time() // 3600)  # billing periods follow the clock when there is no usage
        for key, state in store.states.items():
            marker = (state, store.series.get((key, Period.DAY)), session.account_config(key[0]),
                      None if state.usage is not None else hour)
            old = self._markers.get(key)
            if old is not None and _same(old, marker):
                continue
            self._markers[key] = marker
            lines: dict[str, list[str]] = {}
            for name, labels, value in resource_samples(session, key, state):
                lines.setdefault(name, []).append(_line(_BY_NAME[name], labels, value))
            for name, texts in self._texts.items():
                texts[key] = "".join(lines.get(name, ())).encode()
        if len(self._markers) != len(store.states):
            for key in [key for key in self._markers if key not in store.states]:
                del self._markers[key]
                for texts in self._texts.values():
                    texts.pop(key, None)
        return b"".join(self._heads[name] + b"".join(texts.values()) for name, texts in self._texts.items())


def _same(old: tuple[object, ...], new: tuple[object, ...]) -> bool:
    """The same objects (state, series, account config) and the same hour."""
    return all(a is b for a, b in zip(old[:-1], new[:-1], strict=True)) and old[-1] == new[-1]


def _escape_help(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")
