"""Per-resource polling state: its jobs (series, usage, chart period), data, errors and history."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bwtui.model import ProviderError, Resource, ResourceState, Sample, Series, Usage
from bwtui.model import Period
from bwtui.rates import RateTracker
from bwtui.samples import SampleRun

if TYPE_CHECKING:
    from bwtui.polling.account import Account

SERIES = "series"  # the DAY series: current rate and history (Hivelocity)
PERIOD = "period"  # the chart period the user picked, when it is not DAY
USAGE = "usage"  # billing-period totals (and Altostrat's rate)
JOB_ORDER = (SERIES, PERIOD, USAGE)


@dataclass(slots=True)
class Job:
    """One kind of request for a resource and when it is next due."""

    kind: str
    interval_s: float
    due: float  # when it runs (natural_due, stretched, or backed off)
    natural_due: float  # when it would run at its own cadence
    failures: int = 0
    error: ProviderError | None = None
    last_ok_at: float | None = None  # when it last succeeded (caps the backoff after a storm)
    misses: int = 0  # answers in a row that brought no new row (asked before it was published)


class Slot:
    """Everything the poller keeps about one resource."""

    __slots__ = (
        "resource", "account", "jobs", "history", "tracker", "in_bps", "out_bps", "rate_at",
        "usage", "updated_at", "wait_error", "busy", "removed", "stopped", "forced", "heap_seq",
        "period", "emit_day", "snapshot", "signature", "last_point_t", "visible",
        "held_until", "held_error",
    )  # fmt: skip

    def __init__(self, resource: Resource, account: Account, history_len: int) -> None:
        self.resource = resource
        self.account = account
        self.jobs: dict[str, Job] = {}
        # Immutable and compact: the states sent out share it (see bwtui.samples).
        self.history = SampleRun(maxlen=history_len)
        self.tracker = RateTracker()
        self.in_bps: float | None = None
        self.out_bps: float | None = None
        self.rate_at: float | None = None
        self.usage: Usage | None = None
        self.updated_at: float | None = None
        self.wait_error: ProviderError | None = None  # waiting on the budget
        self.busy = False
        self.removed = False
        self.stopped: ProviderError | None = None  # forbidden: polling stopped until refresh
        self.forced: set[str] = set()  # job kinds the user asked to run now
        self.heap_seq = -1
        self.period = Period.DAY
        self.emit_day = False  # next DAY series goes out as SeriesUpdated too
        self.snapshot: ResourceState | None = None
        self.signature: tuple[object, ...] | None = None
        self.last_point_t: float | None = None  # label of the newest DAY row seen
        self.visible = False  # on the user's screen: polled before the rest
        self.held_until = -math.inf  # a 429 for this resource only: nothing before this time
        self.held_error: ProviderError | None = None  # that 429, with its end time

    @property
    def key(self) -> tuple[str, str]:
        return self.resource.key

    @property
    def error(self) -> ProviderError | None:
        if self.stopped is not None:
            return self.stopped
        if self.held_error is not None:
            return self.held_error
        for kind in JOB_ORDER:
            job = self.jobs.get(kind)
            if job is not None and job.error is not None:
                return job.error
        return self.wait_error

    def next_due(self) -> float:
        if self.forced:
            return -math.inf
        earliest = min((job.due for job in self.jobs.values()), default=math.inf)
        return max(earliest, self.held_until)

    def due_jobs(self, now: float) -> list[Job]:
        if now < self.held_until and not self.forced:
            return []
        return [
            self.jobs[kind]
            for kind in JOB_ORDER
            if kind in self.jobs and (kind in self.forced or self.jobs[kind].due <= now)
        ]

    def demand_rps(self) -> float:
        """Requests a second this resource costs at its natural cadence."""
        return sum(1.0 / job.interval_s for job in self.jobs.values() if job.interval_s > 0)

    def merge_series(self, series: Series, refill_points: int = 12) -> None:
        """Put the fresh DAY series into the history.

        The history's last ``refill_points`` points are replaced (late data fills earlier gaps);
        a history that does not reach the series yet takes all of it.
        """
        samples = series.samples
        if not samples:
            return
        history = self.history
        cutoff = samples[0].t
        if history:
            cutoff = max(cutoff, history[-1].t - refill_points * series.step_s)
        start = len(samples)
        while start > 0 and samples[start - 1].t >= cutoff:
            start -= 1
        self.history = history.before(cutoff).extended(samples[start:])

    def build_state(self) -> ResourceState:
        error = self.error
        has_data = self.usage is not None or self.rate_at is not None
        return ResourceState(
            resource=self.resource,
            in_bps=self.in_bps,
            out_bps=self.out_bps,
            rate_at=self.rate_at,
            usage=self.usage,
            error=error,
            updated_at=self.updated_at,
            stale=error is not None and has_data,
            history=self.history,
        )

    def state_signature(self) -> tuple[object, ...]:
        error = self.error
        last = self.history[-1] if self.history else None
        return (
            self.in_bps,
            self.out_bps,
            self.rate_at,
            self.usage,
            None if error is None else (error.kind, error.message),
            len(self.history),
            last,
        )
