"""Poll events reach the view in order and in bursts: one wake-up per burst, a slice at a time."""

from __future__ import annotations

import threading

from bwtui.session.inbox import EventInbox


def test_one_wake_up_per_burst_and_every_event_in_order() -> None:
    wakes: list[int] = []
    inbox = EventInbox(lambda: wakes.append(1))
    for i in range(1200):
        inbox.put(i)  # type: ignore[arg-type]
    assert len(wakes) == 1  # the first event woke the view; the rest joined the burst
    first, more = inbox.take(500)
    second, more_after = inbox.take(500)
    third, none_left = inbox.take(500)
    assert more and more_after and not none_left
    assert first + second + third == list(range(1200))
    inbox.put(1200)  # into an empty inbox again: a new burst
    assert len(wakes) == 2


def test_events_from_another_thread_are_never_lost_or_reordered() -> None:
    woken = threading.Semaphore(0)
    inbox = EventInbox(woken.release)
    got: list[int] = []

    def produce() -> None:
        for i in range(20_000):
            inbox.put(i)  # type: ignore[arg-type]

    producer = threading.Thread(target=produce)
    producer.start()
    while len(got) < 20_000:
        woken.acquire(timeout=5)
        while True:  # what the view does: take slices, waking itself while more wait
            events, more = inbox.take(300)
            got.extend(events)  # type: ignore[arg-type]
            if not more:
                break
    producer.join()
    assert got == list(range(20_000))
