"""Textual messages that carry events from the data source to the app's loop.

The source calls the app's sink, possibly on the poller's thread; the sink posts one of these
(``post_message`` is thread-safe) and the app hands the event to the session on its own loop.
Each event class has its own message class, so handlers and tests (``message_hook``) can tell
them apart; :func:`to_message` picks it by the event's class.
"""

from __future__ import annotations

from textual.message import Message

from bwtui.events import (
    AccountFailed,
    AccountListed,
    BudgetUpdated,
    PollerPaused,
    PollEvent,
    RateLimitUpdated,
    ResourceUpdated,
    SeriesUpdated,
    SourceChanged,
)


class PollMessage(Message):
    """Base class: one poll event (``event`` is the original, untouched)."""

    def __init__(self, event: PollEvent) -> None:
        super().__init__()
        self.event = event


class AccountListedMessage(PollMessage):
    """An account's resource list arrived."""


class AccountFailedMessage(PollMessage):
    """An account could not be listed."""


class ResourceUpdatedMessage(PollMessage):
    """A resource's state changed."""


class SeriesUpdatedMessage(PollMessage):
    """A chart series arrived."""


class RateLimitUpdatedMessage(PollMessage):
    """An account's rate-limit figures changed."""


class BudgetUpdatedMessage(PollMessage):
    """A request budget group's pace, stretch or 429 block changed."""


class PollerPausedMessage(PollMessage):
    """Polling was paused or resumed."""


class SourceChangedMessage(PollMessage):
    """The data source switched (attached to a collector, polling directly)."""


class SourceFailedMessage(Message):
    """The data source itself died; the app keeps running and says so."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error


_BY_EVENT: dict[type[PollEvent], type[PollMessage]] = {
    AccountListed: AccountListedMessage,
    AccountFailed: AccountFailedMessage,
    ResourceUpdated: ResourceUpdatedMessage,
    SeriesUpdated: SeriesUpdatedMessage,
    RateLimitUpdated: RateLimitUpdatedMessage,
    BudgetUpdated: BudgetUpdatedMessage,
    PollerPaused: PollerPausedMessage,
    SourceChanged: SourceChangedMessage,
}


def to_message(event: PollEvent) -> PollMessage | None:
    """The message for a poll event, or None for an event the app does not show."""
    message_type = _BY_EVENT.get(type(event))
    return None if message_type is None else message_type(event)
