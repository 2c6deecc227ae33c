"""A compact, immutable run of rate samples: what a resource's recent history is kept as.

A :class:`~bwtui.model.Sample` object with its three floats costs about 130 bytes; a day of
5-minute points for 5,000 resources is 1.44 million of them, some 190 MB. :class:`SampleRun`
keeps the same points in three ``array('d')`` columns (24 bytes a point, gaps as NaN) and is a
``Sequence[Sample]``: indexing and iterating hand out ``Sample`` objects made on the spot,
slicing gives another run. It never changes, so the poller and every view share one run per
resource: "changing" it (:meth:`SampleRun.appended`, :meth:`SampleRun.extended`,
:meth:`SampleRun.before`) returns a new run.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

from bwtui.model import Sample

_NAN = math.nan


def _pack(value: float | None) -> float:
    return _NAN if value is None else value


def _unpack(value: float) -> float | None:
    return None if value != value else value  # NaN is a gap


class SampleRun(Sequence[Sample]):
    """Samples oldest first, at most ``maxlen`` of them (the oldest leave first)."""

    __slots__ = ("_t", "_in", "_out", "maxlen")

    def __init__(self, samples: Iterable[Sample] = (), maxlen: int | None = None) -> None:
        items = list(samples)
        if maxlen is not None and len(items) > maxlen:
            items = items[len(items) - maxlen:]
        self._t = array("d", [s.t for s in items])
        self._in = array("d", [_pack(s.in_bps) for s in items])
        self._out = array("d", [_pack(s.out_bps) for s in items])
        self.maxlen = maxlen

    @classmethod
    def from_columns(cls, times: Iterable[float], ins: Iterable[float | None],
                     outs: Iterable[float | None], maxlen: int | None = None) -> SampleRun:
        """A run from its three columns (None: a gap), without a Sample object per point;
        the columns must be of one length (ValueError otherwise)."""
        t = array("d", times)
        in_ = array("d", [_pack(v) for v in ins])
        out = array("d", [_pack(v) for v in outs])
        if not len(t) == len(in_) == len(out):
            raise ValueError("sample columns of different lengths")
        return cls._of(t, in_, out, maxlen)

    @classmethod
    def _of(cls, t: array[float], in_: array[float], out: array[float],
            maxlen: int | None) -> SampleRun:
        run = cls.__new__(cls)
        if maxlen is not None and len(t) > maxlen:
            cut = len(t) - maxlen
            t, in_, out = t[cut:], in_[cut:], out[cut:]
        run._t, run._in, run._out, run.maxlen = t, in_, out, maxlen
        return run

    def __len__(self) -> int:
        return len(self._t)

    @overload
    def __getitem__(self, index: int) -> Sample: ...

    @overload
    def __getitem__(self, index: slice) -> SampleRun: ...

    def __getitem__(self, index: int | slice) -> Sample | SampleRun:
        if isinstance(index, slice):
            return SampleRun._of(self._t[index], self._in[index], self._out[index], self.maxlen)
        return Sample(self._t[index], _unpack(self._in[index]), _unpack(self._out[index]))

    def __iter__(self) -> Iterator[Sample]:
        for t, in_bps, out_bps in zip(self._t, self._in, self._out):
            yield Sample(t, _unpack(in_bps), _unpack(out_bps))

    def __reversed__(self) -> Iterator[Sample]:
        for index in range(len(self._t) - 1, -1, -1):
            yield self[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SampleRun):
            return (self._t == other._t and _same(self._in, other._in)
                    and _same(self._out, other._out))
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash((len(self._t), self._t[-1] if self._t else None))

    def __repr__(self) -> str:
        return f"SampleRun({len(self)} samples, maxlen={self.maxlen})"

    @property
    def nbytes(self) -> int:
        """What the points take (for benches)."""
        return sum(col.itemsize * len(col) for col in (self._t, self._in, self._out))

    # ----- values, without a Sample per point -------------------------------------------------
    def times(self) -> array[float]:
        return self._t

    def outs(self) -> list[float | None]:
        return [_unpack(v) for v in self._out]

    def ins(self) -> list[float | None]:
        return [_unpack(v) for v in self._in]

    # ----- new runs -------------------------------------------------------------------------
    def appended(self, sample: Sample) -> SampleRun:
        """This run with ``sample`` at the end."""
        return self.extended((sample,))

    def extended(self, samples: Iterable[Sample]) -> SampleRun:
        """This run with ``samples`` at the end."""
        items = list(samples)
        if not items:
            return self
        t, in_, out = array("d", self._t), array("d", self._in), array("d", self._out)
        t.extend(s.t for s in items)
        in_.extend(_pack(s.in_bps) for s in items)
        out.extend(_pack(s.out_bps) for s in items)
        return SampleRun._of(t, in_, out, self.maxlen)

    def before(self, t: float) -> SampleRun:
        """The samples older than ``t``."""
        end = len(self._t)
        while end > 0 and self._t[end - 1] >= t:
            end -= 1
        return self if end == len(self._t) else self[:end]


def _same(a: array[float], b: array[float]) -> bool:
    """Equal columns, NaN (a gap) equal to NaN."""
    if len(a) != len(b):
        return False
    return all(x == y or (x != x and y != y) for x, y in zip(a, b))


def out_values(samples: Sequence[Sample]) -> list[float | None]:
    """The out rates of ``samples`` (without a Sample object per point for a run)."""
    if isinstance(samples, SampleRun):
        return samples.outs()
    return [s.out_bps for s in samples]


def samples_after(samples: Sequence[Sample], t: float | None) -> list[Sample]:
    """The samples newer than ``t`` (all of them for None); a run is searched, not walked."""
    if t is None:
        return list(samples)
    if isinstance(samples, SampleRun):
        return list(samples[bisect_right(samples.times(), t):])
    return [s for s in samples if s.t > t]


def run_of(samples: Sequence[Sample], maxlen: int | None = None) -> SampleRun:
    """``samples`` as a run (the same object when it is one already)."""
    if isinstance(samples, SampleRun) and (maxlen is None or len(samples) <= maxlen):
        return samples
    return SampleRun(samples, maxlen)
