"""A terminal driver whose lone ``Esc`` arrives after ``ESCDELAY``, not up to 100 ms later.

A lone Esc byte may be the Esc key or the start of a key's escape sequence, so Textual's
input parser waits ``ESCDELAY`` milliseconds (100 by default) for more bytes before it calls
it the Esc key. Textual 8's Linux driver only asks the parser whether that wait is over when
its ``select`` returns, which is every 100 ms when no input comes: with ``ESCDELAY=10``
(fast links, tmux users) Esc still took up to 110 ms. This driver sleeps in ``select`` only
until the parser's own deadline, so Esc costs ``ESCDELAY`` and nothing more. With nothing
pending it sleeps up to a second (Textual's woke ten times a second, a fifth of the idle
monitor's CPU): setting its exit event also writes to a pipe the ``select`` watches, so
stopping or suspending the app never waits for that second.
"""

from __future__ import annotations

import os
import selectors
import threading
from codecs import getincrementaldecoder
from typing import Any

from textual._loop import loop_last
from textual._parser import ParseError, Parser
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver

IDLE_WAIT_S = 1.0  # the select timeout with nothing pending (Textual's: 0.1); exit wakes it
FINAL_WAIT_S = 0.1  # Textual's last look for input on the way out


def input_wait_s(parser: Parser[object], now: float) -> float:
    """How long the input thread may sleep: until the parser's pending deadline (a lone Esc
    waiting for ``ESCDELAY``), else :data:`IDLE_WAIT_S`."""
    deadline: float | None = getattr(parser, "_timeout_time", None)
    if deadline is None:
        return IDLE_WAIT_S
    return min(IDLE_WAIT_S, max(0.0, deadline - now))


class WakingEvent(threading.Event):
    """An event that, once set, also leaves a pipe readable (:attr:`read_fd`), so a ``select``
    watching the pipe returns at once; clearing it empties the pipe again."""

    def __init__(self) -> None:
        super().__init__()
        self.read_fd, self._write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self._write_fd, False)

    def set(self) -> None:
        super().set()
        if self._write_fd >= 0:
            try:
                os.write(self._write_fd, b"\0")
            except OSError:  # full (already readable) or closed: nothing more to wake
                pass

    def clear(self) -> None:
        super().clear()
        try:
            while self.read_fd >= 0 and os.read(self.read_fd, 64):
                pass
        except OSError:  # empty
            pass

    def close(self) -> None:
        """Close the pipe (a later ``set`` only sets the event)."""
        for fd in (self.read_fd, self._write_fd):
            if fd >= 0:
                os.close(fd)
        self.read_fd = self._write_fd = -1


class PromptEscapeDriver(LinuxDriver):
    """Textual's Linux driver with :func:`input_wait_s` as the input thread's select timeout,
    woken at once by its exit event (a :class:`WakingEvent`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exit_event = WakingEvent()

    def close(self) -> None:
        super().close()
        if isinstance(self.exit_event, WakingEvent):
            self.exit_event.close()

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events (Textual 8.2's loop, timeout and wake-up aside)."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        exit_event = self.exit_event
        if isinstance(exit_event, WakingEvent) and exit_event.read_fd >= 0:
            selector.register(exit_event.read_fd, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        feed, tick = parser.feed, parser.tick
        decode = getincrementaldecoder("utf-8")().decode

        def process(events: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> None:
            events = [event for event in events if event[0].fd == fileno]  # not the wake-up pipe
            for last, (_key, mask) in loop_last(events):
                if mask & selectors.EVENT_READ:
                    data = decode(os.read(fileno, 1024 * 4), final=final and last)
                    if not data:
                        break  # stdin is a pipe that was closed
                    for event in feed(data):
                        self.process_message(event)
            for event in tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                process(selector.select(input_wait_s(parser, get_time())))
            selector.unregister(self.fileno)
            process(selector.select(FINAL_WAIT_S), final=True)
        finally:
            selector.close()
            try:
                for _event in feed(""):
                    pass
            except (EOFError, ParseError):
                pass


def driver_for(default: type[Driver]) -> type[Driver]:
    """The driver to run on: :class:`PromptEscapeDriver` where Textual would use its Linux
    driver; anything else (Windows, a driver named in ``TEXTUAL_DRIVER``, the browser's) as is."""
    return PromptEscapeDriver if default is LinuxDriver else default
