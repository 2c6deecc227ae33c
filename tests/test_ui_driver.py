"""The terminal driver hands a lone Esc over once ESCDELAY has passed (Textual's Linux driver
slept up to 100 ms more in ``select``), and sleeps as long as Textual's when nothing waits."""

from __future__ import annotations

from textual import constants
from textual._xterm_parser import XTermParser
from textual.drivers.headless_driver import HeadlessDriver
from textual.drivers.linux_driver import LinuxDriver

from bwtui.ui.driver import IDLE_WAIT_S, PromptEscapeDriver, driver_for, input_wait_s
from ui_support import fake_app


def test_nothing_pending_sleeps_as_long_as_textual() -> None:
    parser = XTermParser()
    assert list(parser.feed("j")) and input_wait_s(parser, 0.0) == IDLE_WAIT_S


def test_a_lone_esc_wakes_the_input_thread_at_its_deadline() -> None:
    parser = XTermParser()
    assert list(parser.feed("\x1b")) == []  # not yet known: Esc, or the start of a sequence?
    deadline = parser._timeout_time
    assert deadline is not None
    waits = input_wait_s(parser, deadline - constants.ESCAPE_DELAY)
    assert abs(waits - min(IDLE_WAIT_S, constants.ESCAPE_DELAY)) < 1e-6
    assert abs(input_wait_s(parser, deadline - 0.004) - 0.004) < 1e-6  # 4 ms left: sleep 4 ms
    assert input_wait_s(parser, deadline + 1.0) == 0.0  # overdue: tick at once
    # once the deadline passes, the parser's tick says it was the Esc key
    parser._timeout_time = deadline - 1.0  # as if the time had come
    events = list(parser.tick())
    assert [getattr(event, "key", None) for event in events] == ["escape"]
    assert input_wait_s(parser, deadline) == IDLE_WAIT_S


def test_the_monitor_runs_on_it_where_textual_would_use_its_linux_driver() -> None:
    assert driver_for(LinuxDriver) is PromptEscapeDriver
    assert driver_for(HeadlessDriver) is HeadlessDriver  # a driver named elsewhere stays
    app = fake_app()
    assert app.driver_class is PromptEscapeDriver


def test_the_exit_event_wakes_a_select_at_once_and_clearing_it_rearms_it() -> None:
    import selectors
    import time

    from bwtui.ui.driver import WakingEvent

    event = WakingEvent()
    selector = selectors.SelectSelector()
    selector.register(event.read_fd, selectors.EVENT_READ)
    try:
        assert selector.select(0) == []  # nothing yet: an idle select sleeps
        event.set()
        started = time.monotonic()
        assert selector.select(5.0) and time.monotonic() - started < 1.0  # woken, not timed out
        event.clear()
        assert not event.is_set() and selector.select(0) == []  # re-armed for a resumed thread
    finally:
        selector.close()
        event.close()
    event.set()  # after close: still an event, no write to a closed (or reused) descriptor
    assert event.is_set()
