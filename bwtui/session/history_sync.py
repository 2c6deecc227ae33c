"""Between poll events and the history store: what to write and when, what to seed, what to chart.

Plain Python (no Textual). New data is collected here on the event loop (cheap dict work);
:class:`HistorySync` says when a write is due (at most every ``flush_s``, coalesced), hands out
the batch, and a thread writes it. Loading the seed at start and a chart from history also run
in threads. Nothing here blocks on SQLite unless called from such a thread: the functions and
methods that do say so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bwtui.history import HistoryStore
from bwtui.model import Period, Reading, Resource, ResourceState, Sample, Series
from bwtui.samples import samples_after

Key = tuple[str, str]
# What the poller is primed with: a resource's stored samples and its last totals reading.
HistorySeed = Callable[[Resource], tuple[Sequence[Sample], Reading | None]]
Seeds = Mapping[Key, tuple[list[Sample], Reading | None]]

HISTORY_FLUSH_S = 5.0  # new data is written to the history store at most this often

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
        fresh = samples_after(state.history, written)  # oldest first: a search, not a walk
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
def write_batch(history: HistoryStore, batch: Batch) -> None:
    """One ``add_batch`` for the samples, then the readings (raises HistoryUnavailable)."""
    if batch.samples:
        history.add_batch(batch.samples)
    for key, reading in batch.readings:
        history.add_reading(key, reading)


def load_seeds(
    history: HistoryStore, accounts: Iterable[str], now: float
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


def load_chart(history: HistoryStore, key: Key, period: Period, now: float) -> Series | None:
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


def seed_function(seeds: Seeds) -> HistorySeed:
    """A poller ``history_seed``: a dictionary lookup, no SQLite on the event loop."""

    def seed(resource: Resource) -> tuple[Sequence[Sample], Reading | None]:
        return seeds.get(resource.key, ([], None))

    return seed


class HistorySync:
    """The history store as the monitor uses it: buffer, flush policy, seed, and off-switch.

    ``store`` is None when there is no history (none opened, the demo, or it failed): then
    nothing is buffered and nothing is due. Call the ``note_*`` methods, ``take_batch`` and
    ``apply_seeds`` on the event loop; ``write`` and ``chart`` block (run them in a thread).
    """

    def __init__(self, store: HistoryStore | None, *, flush_s: float = HISTORY_FLUSH_S) -> None:
        self._store = store
        self.flush_s = flush_s
        self._buffer = HistoryBuffer()
        self._armed = False  # a write is due: the owner has been told when
        self._seed: HistorySeed | None = None

    @property
    def store(self) -> HistoryStore | None:
        return self._store

    @property
    def seed(self) -> HistorySeed | None:
        """The poller's seed once loaded (None before, or without history)."""
        return self._seed

    @property
    def needs_seed(self) -> bool:
        return self._store is not None and self._seed is None

    async def load_seed(self, accounts: Iterable[str], now: float) -> None:
        """Read these accounts' stored samples and readings in a thread; raises what the store raises."""
        store = self._store
        if store is None:
            return
        seeds = await asyncio.to_thread(load_seeds, store, list(accounts), now)
        self.apply_seeds(seeds)

    def apply_seeds(self, seeds: Seeds) -> None:
        """What the store already holds is never written again; the poller starts from it."""
        for key, (samples, reading) in seeds.items():
            self._buffer.mark_stored(key, samples, reading)
        self._seed = seed_function(seeds)

    def note_state(self, state: ResourceState, *, store_readings: bool) -> float | None:
        """Buffer what is new in ``state``; returns in how many seconds to write, when newly due."""
        if self._store is None:
            return None
        return self._due(self._buffer.note_state(state, store_readings=store_readings))

    def note_series(self, key: Key, period: Period, series: Series | None) -> float | None:
        """Buffer a provider series' new points; returns in how many seconds to write, when newly due."""
        if self._store is None:
            return None
        return self._due(self._buffer.note_series(key, period, series))

    def _due(self, added: bool) -> float | None:
        if not added or self._armed:
            return None
        self._armed = True
        return self.flush_s

    def take_batch(self) -> Batch | None:
        """Everything pending, to hand to :meth:`write` in a thread (None: nothing to write)."""
        self._armed = False
        if self._store is None or not self._buffer:
            return None
        return self._buffer.drain()

    def write(self, batch: Batch) -> None:
        """Write one batch (blocks; raises HistoryUnavailable or worse)."""
        if self._store is not None:
            write_batch(self._store, batch)

    def wants_chart(self, has_series: bool) -> bool:
        """Whether a chart from history is worth loading (history on, no provider series)."""
        return self._store is not None and not has_series

    def chart(self, key: Key, period: Period, now: float) -> Series | None:
        """A chart series from stored samples (blocks; None without history or data)."""
        if self._store is None:
            return None
        return load_chart(self._store, key, period, now)

    def turn_off(self) -> bool:
        """Stop using the store (it failed, or the demo started); True if it was on."""
        if self._store is None:
            return False
        self._store = None
        self._buffer = HistoryBuffer()
        self._armed = False
        return True
