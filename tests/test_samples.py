"""The compact sample run: a Sequence[Sample] that never changes and costs 24 bytes a point."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bwtui.model import Sample
from bwtui.samples import SampleRun, out_values, run_of

POINTS = [Sample(100.0, 1e6, 2e6), Sample(400.0, None, None), Sample(700.0, 3.5, None)]


def test_a_run_reads_back_the_samples_it_was_given_gaps_included() -> None:
    run = SampleRun(POINTS)
    assert list(run) == POINTS
    assert run[1] == Sample(400.0, None, None)  # a gap stays a gap, never 0
    assert run[-1] == POINTS[-1] and len(run) == 3
    assert list(reversed(run)) == POINTS[::-1]
    assert run == tuple(POINTS) and run == SampleRun(POINTS)
    assert out_values(run) == [2e6, None, None] == out_values(POINTS)


def test_slices_are_runs_and_maxlen_keeps_the_newest() -> None:
    run = SampleRun(POINTS, maxlen=2)
    assert list(run) == POINTS[1:]
    tail = SampleRun(POINTS)[-2:]
    assert isinstance(tail, SampleRun) and list(tail) == POINTS[1:]


def test_changing_a_run_gives_a_new_one_and_the_old_stays_as_it_was() -> None:
    run = SampleRun(POINTS[:2], maxlen=2)
    longer = run.appended(POINTS[2])
    assert list(run) == POINTS[:2]  # a state already sent out never changes under a view
    assert list(longer) == POINTS[1:]
    assert list(longer.before(700.0)) == [POINTS[1]]
    assert run.extended([]) is run


def test_a_point_costs_24_bytes() -> None:
    run = SampleRun([Sample(float(t), 1.0, 2.0) for t in range(288)])
    assert run.nbytes == 288 * 24


def test_run_of_keeps_a_run_and_converts_anything_else() -> None:
    run = SampleRun(POINTS)
    assert run_of(run) is run
    assert run_of(POINTS) == run


@given(st.lists(st.tuples(st.floats(0, 1e9), st.none() | st.floats(0, 1e12),
                          st.none() | st.floats(0, 1e12)), max_size=40),
       st.integers(1, 50))
def test_any_samples_round_trip(points: list[tuple[float, float | None, float | None]],
                                maxlen: int) -> None:
    samples = [Sample(*p) for p in points]
    run = SampleRun(samples, maxlen=maxlen)
    assert list(run) == samples[-maxlen:]


def test_samples_after_a_time_from_a_run_or_a_tuple() -> None:
    from bwtui.samples import samples_after

    run = SampleRun(POINTS)
    assert samples_after(run, 400.0) == [POINTS[2]] == samples_after(tuple(POINTS), 400.0)
    assert samples_after(run, None) == POINTS
    assert samples_after(run, 1000.0) == []
