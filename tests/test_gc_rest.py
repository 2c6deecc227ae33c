"""Full garbage collections wait for the user to rest (a 70 ms pause at 5,000 resources landed
on whatever key was being answered), yet still come often enough for memory to stay bounded."""

from __future__ import annotations

import gc

from bwtui.gc_rest import EVERY_S, LONGEST_S, NEVER, REST_S, WHOLE_EVERY, RestingCollector
from ui_support import fake_app


class FakeGc:
    def __init__(self) -> None:
        self.threshold = (700, 10, 10)
        self.collections = 0
        self.calls: list[str] = []

    def get_threshold(self) -> tuple[int, int, int]:
        return self.threshold

    def set_threshold(self, threshold0: int, threshold1: int = 10, threshold2: int = 10) -> None:
        self.threshold = (threshold0, threshold1, threshold2)

    def collect(self, generation: int = 2) -> int:
        self.collections += 1
        self.calls.append("collect")
        return 0

    def freeze(self) -> None:
        self.calls.append("freeze")

    def unfreeze(self) -> None:
        self.calls.append("unfreeze")


def _collector() -> tuple[RestingCollector, FakeGc, list[float]]:
    now = [0.0]
    fake = FakeGc()
    collector = RestingCollector(clock=lambda: now[0], collector=fake)
    collector.start()
    return collector, fake, now


def test_only_the_full_collection_is_taken_over_and_given_back() -> None:
    collector, fake, _ = _collector()
    assert fake.threshold == (700, 10, NEVER)
    collector.stop()
    assert fake.threshold == (700, 10, 10)


def test_a_full_collection_waits_until_the_user_rests() -> None:
    collector, fake, now = _collector()
    now[0] = EVERY_S + 5
    collector.input_seen()  # typing
    now[0] += REST_S / 2
    assert not collector.tick() and fake.collections == 0
    now[0] += REST_S
    assert collector.tick() and fake.collections == 1
    now[0] += EVERY_S / 2  # resting, but one ran a moment ago
    assert not collector.tick()


def test_constant_typing_still_collects_within_the_longest_wait() -> None:
    collector, fake, now = _collector()
    while now[0] < LONGEST_S + 1:
        now[0] += 0.2
        collector.input_seen()
        collector.tick()
    assert fake.collections == 1


def test_survivors_are_frozen_and_every_tenth_collection_walks_everything() -> None:
    collector, fake, now = _collector()
    for _ in range(2 * WHOLE_EVERY):
        now[0] += LONGEST_S
        assert collector.tick()
    whole = ["unfreeze", "collect", "freeze"]
    young = ["collect", "freeze"]
    assert fake.calls == (young * (WHOLE_EVERY - 1) + whole) * 2  # the first walks only the new
    collector.stop()
    assert fake.calls[-1] == "unfreeze"  # nothing stays frozen after the app


async def test_the_monitor_collects_at_rest_and_restores_the_thresholds_at_exit() -> None:
    before = gc.get_threshold()
    app = fake_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert gc.get_threshold()[2] == NEVER
        input_at = app._resting_gc._input_at
        await pilot.press("j")
        assert app._resting_gc._input_at > input_at  # keys count as input
    assert gc.get_threshold() == before
