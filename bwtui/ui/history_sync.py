"""Between the poller's events and the history store: what to write, what to seed, what to chart.

Plain Python (no Textual). The app collects new data here on the UI thread (cheap dict work),
drains it every few seconds, and hands the batch to a thread that calls the store; loading the
seed at start and a chart from history also run in threads. Nothing here blocks on SQLite unless
called from such a thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bwtui.model import Reading, ResourceState, Sample, Series
from bwtui.model import Period

Key = tuple[str, str]

SEED_SPAN_S = 2 * 86400.0  # what the poller keeps in memory: two days
SEED_MAX_POINTS = 576  # 2 days of 5-minute points; denser (Altostrat) history is averaged
REFILL_S = 1800.0  # a provider series may fill gaps this far back: write it again
PERIOD_SPAN_S = {Period.DAY: 86400.0, Period.WEEK: 7 * 86400.0, Period.MONTH: 30 * 86400.0}
CHART_MAX_POINTS = 400


@dataclass(slots=True)
class Batch:
    """One drain: raw samples per resource (for ``add_batch``) and readings to store."""

    samples: list[tuple[Key, list[Sample]]] = field(default_factory=list)
    readings: list[tuple[Key, Reading]] = field(default_factory=list)

    def keys(self) -> set[Key]:
        return {key for key, _ in self.samples} | {key for key, _ in self.readings}

    def __bool__(self) -> bool:
        return bool(self.samples or self.readings)


class HistoryBuffer:
    """New samples and readings since the last drain, deduplicated by time."""

    def __init__(self) -> None:
        self._samples: dict[Key, dict[float, Sample]] = {}
        self._readings: dict[Key, dict[float, Reading]] = {}
        self._written_t: dict[Key, float] = {}  # newest sample time already stored
        self._reading_t: dict[Key, float] = {}  # newest reading time already stored

    def __bool__(self) -> bool:
        return bool(self._samples or self._readings)

    def mark_stored(self, key: Key, samples: Iterable[Sample], reading: Reading | None) -> None:
        """What the store already holds (the seed): not written again."""
        newest = max((s.t for s in samples), default=None)
        if newest is not None:
            self._written_t[key] = max(newest, self._written_t.get(key, newest))
        if reading is not None:
            self._reading_t[key] = max(reading.t, self._reading_t.get(key, reading.t))

    def note_state(self, state: ResourceState, *, store_readings: bool) -> bool:
        """Samples newer than the stored ones, and the period totals; True if anything is new."""
        key = state.resource.key
        added = False
        written = self._written_t.get(key)
        fresh = [s for s in state.history if written is None or s.t > written]
        if fresh:
            self._add_samples(key, fresh)
            added = True
        usage = state.usage
        if (
            store_readings
            and usage is not None
            and usage.as_of is not None
            and usage.period_in_bytes is not None
            and usage.period_out_bytes is not None
            and usage.as_of > self._reading_t.get(key, float("-inf"))
        ):
            reading = Reading(float(usage.as_of), int(usage.period_in_bytes), int(usage.period_out_bytes))
            self._readings.setdefault(key, {})[reading.t] = reading
            self._reading_t[key] = reading.t
            added = True
        return added

    def note_series(self, key: Key, period: Period, series: Series | None) -> bool:
        """A provider's DAY series: its new points plus the recent ones it may have refilled."""
        if period is not Period.DAY or series is None or not series.samples:
            return False
        written = self._written_t.get(key)
        floor = None if written is None else written - REFILL_S
        fresh = [s for s in series.samples if floor is None or s.t > floor]
        if not fresh:
            return False
        self._add_samples(key, fresh)
        return True

    def _add_samples(self, key: Key, samples: list[Sample]) -> None:
        pending = self._samples.setdefault(key, {})
        for sample in samples:
            pending[sample.t] = sample
        newest = max(s.t for s in samples)
        self._written_t[key] = max(newest, self._written_t.get(key, newest))

    def drain(self) -> Batch:
        """Everything pending, oldest first per resource; the buffer is empty afterwards."""
        batch = Batch(
            samples=[(key, [by_t[t] for t in sorted(by_t)]) for key, by_t in self._samples.items()],
            readings=[
                (key, by_t[t]) for key, by_t in self._readings.items() for t in sorted(by_t)
            ],
        )
        self._samples = {}
        self._readings = {}
        return batch


# ----- run these in a thread -------------------------------------------------------------------
def write_batch(history: Any, batch: Batch) -> None:
    """One ``add_batch`` for the samples, then the readings (raises HistoryUnavailable)."""
    if batch.samples:
        history.add_batch(batch.samples)
    for key, reading in batch.readings:
        history.add_reading(key, reading)


def load_seeds(
    history: Any, accounts: Iterable[str], now: float
) -> dict[Key, tuple[list[Sample], Reading | None]]:
    """Per stored resource of these accounts: the last two days of samples and the last reading."""
    wanted = set(accounts)
    seeds: dict[Key, tuple[list[Sample], Reading | None]] = {}
    for key in history.keys():
        if key[0] not in wanted:
            continue
        samples = history.samples(key, since=now - SEED_SPAN_S, max_points=SEED_MAX_POINTS)
        reading = history.last_reading(key)
        if samples or reading is not None:
            seeds[key] = (samples, reading)
    return seeds


def load_chart(history: Any, key: Key, period: Period, now: float) -> Series | None:
    """A chart series for ``period`` from stored samples (None when there are too few)."""
    samples = history.samples(
        key, since=now - PERIOD_SPAN_S[period], until=now, max_points=CHART_MAX_POINTS
    )
    if len(samples) < 2:
        return None
    spans = [b.t - a.t for a, b in zip(samples, samples[1:], strict=False) if b.t > a.t]
    spans.sort()
    step_s = max(1, int(spans[len(spans) // 2]) if spans else 60)
    with_gaps: list[Sample] = [samples[0]]
    for previous, sample in zip(samples, samples[1:], strict=False):
        if sample.t - previous.t > 3 * step_s:  # bwtui was not running: a gap, not a line
            with_gaps.append(Sample(previous.t + step_s, None, None))
        with_gaps.append(sample)
    return Series(step_s=step_s, samples=tuple(with_gaps))


def seed_function(seeds: Mapping[Key, tuple[list[Sample], Reading | None]]) -> Any:
    """A poller ``history_seed``: a dictionary lookup, no SQLite on the event loop."""

    def seed(resource: Any) -> tuple[list[Sample], Reading | None]:
        return seeds.get(resource.key, ([], None))

    return seed
