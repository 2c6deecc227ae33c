"""``/metrics``: the collector's session as Prometheus metrics, computed at scrape time from memory.

:class:`SessionMetrics` is a ``prometheus_client`` custom collector. ``describe()`` lists the
families without reading anything, so registering it does no work; ``collect()`` reads the
session the poller feeds (and the request counters) and never calls a provider. Names follow
Prometheus practice: base units (bytes, seconds), unit suffixes, ``_total`` only on counters,
directions and kinds as labels. Label values are the providers' strings verbatim (the
exposition format escapes them); resources are joined to their names through
``bwtui_resource_info``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as PromCollector
from prometheus_client.registry import CollectorRegistry

from bwtui.collector.core import Collector
from bwtui.collector.protocol import FEED_VERSION

CACHED = ("From the collector's poller cache, read at scrape time (a scrape never calls the "
          "provider); as old as bwtui_resource_data_timestamp_seconds says.")
RES = ("account", "id")
DIR = ("account", "id", "direction")


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    kind: str  # "gauge" or "counter" (name without _total)
    help: str
    labels: tuple[str, ...]


SPECS: tuple[Spec, ...] = (
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
    Spec("bwtui_collector_info", "gauge", "The collector (always 1): its version and feed version.",
         ("version", "feed_version")),
    Spec("bwtui_collector_start_time_seconds", "gauge", "When the collector started (Unix time).", ()),
    Spec("bwtui_collector_ready", "gauge",
         "1 once every account with a token has been listed (or has failed) once.", ()),
    Spec("bwtui_collector_viewers", "gauge", "Viewers attached to the feed now.", ()),
    Spec("bwtui_collector_events", "counter", "Poll events the collector's session applied.", ()),
)


def _family(spec: Spec) -> Metric:
    if spec.kind == "counter":
        return CounterMetricFamily(spec.name, spec.help, labels=spec.labels)
    return GaugeMetricFamily(spec.name, spec.help, labels=spec.labels)


class SessionMetrics(PromCollector):
    """The custom collector over a :class:`~bwtui.collector.core.Collector` (scrape-time view)."""

    def __init__(self, collector: Collector) -> None:
        self._collector = collector

    def describe(self) -> Iterable[Metric]:
        """Every family, empty: registering reads nothing."""
        return [_family(spec) for spec in SPECS]

    def collect(self) -> Iterator[Metric]:
        families = {spec.name: _family(spec) for spec in SPECS}
        self._resources(families)
        self._accounts(families)
        self._requests(families)
        self._self(families)
        yield from families.values()

    def _resources(self, f: dict[str, Metric]) -> None:
        collector = self._collector
        session = collector.session
        store = session.store
        info = f["bwtui_resource_info"]
        rate, rate_t = f["bwtui_resource_rate_bytes_per_second"], f["bwtui_resource_rate_timestamp_seconds"]
        period, period_t = f["bwtui_resource_period_bytes"], f["bwtui_resource_period_timestamp_seconds"]
        data_t, ok_t = f["bwtui_resource_data_timestamp_seconds"], f["bwtui_resource_last_success_timestamp_seconds"]
        allowance, projected = f["bwtui_resource_allowance_bytes"], f["bwtui_resource_projected_period_bytes"]
        cost = f["bwtui_resource_projected_overage_cost"]
        start, end = (f["bwtui_resource_billing_period_start_timestamp_seconds"],
                      f["bwtui_resource_billing_period_end_timestamp_seconds"])
        error = f["bwtui_resource_error"]
        for key, state in store.states.items():
            resource = state.resource
            ids = [resource.account, resource.id]
            info.add_metric([resource.account, resource.provider, resource.kind, resource.id,  # type: ignore[attr-defined]
                             resource.name, resource.location or ""], 1)
            in_bps, out_bps = store.rates(key)
            _add(rate, [*ids, "in"], None if in_bps is None else in_bps / 8)
            _add(rate, [*ids, "out"], None if out_bps is None else out_bps / 8)
            _add(rate_t, ids, state.rate_at)
            usage = state.usage
            if usage is not None:
                _add(period, [*ids, "in"], usage.period_in_bytes)
                _add(period, [*ids, "out"], usage.period_out_bytes)
                _add(period_t, ids, usage.as_of)
            times = [t for t in (state.rate_at, usage.as_of if usage else None) if t is not None]
            _add(data_t, ids, max(times) if times else None)
            _add(ok_t, ids, state.updated_at)
            if state.error is not None:
                error.add_metric([*ids, state.error.kind.value], 1)  # type: ignore[attr-defined]
            figures = session.billing(state)
            if figures is None:
                continue
            _add(start, ids, figures.period_start)
            _add(end, ids, figures.period_end)
            _add(allowance, [*ids, "out"], figures.allowance_out_bytes)
            _add(projected, [*ids, "in"], figures.projected_in_bytes)
            _add(projected, [*ids, "out"], figures.projected_out_bytes)
            _add(cost, [*ids, "USD"], figures.projected_overage_cost)

    def _accounts(self, f: dict[str, Metric]) -> None:
        for view in self._collector.session.store.accounts.values():
            up = 1 if view.listed and not view.error else 0
            f["bwtui_account_up"].add_metric([view.name, view.provider], up)  # type: ignore[attr-defined]
            if view.error:
                f["bwtui_account_error"].add_metric([view.name, view.error_kind or "error"], 1)  # type: ignore[attr-defined]
            if view.listed:
                f["bwtui_account_resources"].add_metric([view.name], len(view.resources))  # type: ignore[attr-defined]
            limit = view.rate_limit
            if limit is not None:
                _add(f["bwtui_api_rate_limit_remaining"], [view.name], limit.remaining)
                _add(f["bwtui_api_rate_limit_limit"], [view.name], limit.limit)
                reset = None if limit.reset_s is None else limit.observed_at + limit.reset_s
                _add(f["bwtui_api_rate_limit_reset_timestamp_seconds"], [view.name], reset)

    def _requests(self, f: dict[str, Metric]) -> None:
        counts = self._collector.counters.view()
        for labels, value in sorted(counts.answered.items()):
            f["bwtui_api_requests"].add_metric(list(labels), value)  # type: ignore[attr-defined]
        for labels, value in sorted(counts.unanswered.items()):
            f["bwtui_api_request_failures"].add_metric(list(labels), value)  # type: ignore[attr-defined]
        for labels, value in sorted(counts.errors.items()):
            f["bwtui_poll_errors"].add_metric(list(labels), value)  # type: ignore[attr-defined]

    def _self(self, f: dict[str, Metric]) -> None:
        collector = self._collector
        f["bwtui_collector_info"].add_metric([collector.info.version, str(FEED_VERSION)], 1)  # type: ignore[attr-defined]
        f["bwtui_collector_start_time_seconds"].add_metric([], collector.info.started_at)  # type: ignore[attr-defined]
        f["bwtui_collector_ready"].add_metric([], 1 if collector.ready else 0)  # type: ignore[attr-defined]
        f["bwtui_collector_viewers"].add_metric([], collector.viewers)  # type: ignore[attr-defined]
        f["bwtui_collector_events"].add_metric([], collector.events_applied)  # type: ignore[attr-defined]


def _add(family: Metric, labels: list[str], value: float | int | None) -> None:
    if value is not None:
        family.add_metric(labels, float(value))  # type: ignore[attr-defined]


def registry_for(collector: Collector) -> CollectorRegistry:
    """A registry holding only the session metrics (no process or platform collectors)."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(SessionMetrics(collector))
    return registry
