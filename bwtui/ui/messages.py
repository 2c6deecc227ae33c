"""Textual messages that carry poller events (bwtui.events) to the widgets.

The poller calls ``on_event`` on the app's loop; the app posts one of these messages, and the
handlers update only what changed. Dispatch is by event class name so this module does not
depend on the poller's import graph.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message


class PollMessage(Message):
    """Base class: one poller event (``event`` is the original, untouched)."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


class AccountListedMessage(PollMessage):
    """An account's resource list arrived (``event.account``, ``event.resources``)."""


class AccountFailedMessage(PollMessage):
    """An account could not be listed (``event.account``, ``event.error``)."""


class ResourceUpdatedMessage(PollMessage):
    """A resource's state changed (``event.state``: a ResourceState snapshot)."""


class SeriesUpdatedMessage(PollMessage):
    """A chart series arrived (``event.key``, ``event.period``, ``event.series``)."""


class RateLimitUpdatedMessage(PollMessage):
    """An account's rate-limit figures changed (``event.account``, ``event.rate_limit``)."""


class PollerPausedMessage(PollMessage):
    """Polling was paused or resumed (``event.paused``)."""


class PollerCrashedMessage(Message):
    """The poller task itself died; the app keeps running and says so."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error


_BY_EVENT_NAME: dict[str, type[PollMessage]] = {
    "AccountListed": AccountListedMessage,
    "AccountFailed": AccountFailedMessage,
    "ResourceUpdated": ResourceUpdatedMessage,
    "SeriesUpdated": SeriesUpdatedMessage,
    "RateLimitUpdated": RateLimitUpdatedMessage,
    "PollerPaused": PollerPausedMessage,
}


def to_message(event: Any) -> PollMessage | None:
    """The message for a poller event, or None for an event the UI does not show."""
    message_type = _BY_EVENT_NAME.get(type(event).__name__)
    return None if message_type is None else message_type(event)
