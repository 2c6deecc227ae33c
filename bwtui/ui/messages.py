"""Textual messages that bring the data source's news to the app's loop.

The source calls the app's sink, possibly on the poller's thread; the sink puts the event in
the app's :class:`~bwtui.session.inbox.EventInbox`, which posts :class:`PollEventsWaiting`
(``post_message`` is thread-safe) once per burst; the app then hands the waiting events to the
session on its own loop, in order, a slice at a time.
"""

from __future__ import annotations

from textual.message import Message


class PollEventsWaiting(Message):
    """Poll events are waiting in the app's inbox."""


class SourceFailedMessage(Message):
    """The data source itself died; the app keeps running and says so."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error
