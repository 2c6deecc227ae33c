"""The one line a one-shot command (``status``, ``check``) prints about history, when it has one.

Only what is true: no store at all ("running without history"), a store that cannot be written
(figures still shown, nothing from this run saved), a store started by this run ("no history
yet"), or nothing when history works. Plain Python: no SQLite, HTTP or Textual here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bwtui.history import HistoryStore

_NEXT_RUN = "rates of totals-only providers (Altostrat) show from the next run"


def oneshot_history_note(
    store: HistoryStore | None, notice: str | None, *, existed: bool
) -> str | None:
    """What to tell the user about history after :func:`bwtui.history.open_history` answered
    ``(store, notice)``; ``existed``: the file was there before it was opened. None: all is well."""
    if store is None:
        problem = notice or "it could not be opened"
        return f"running without history ({problem}); rates of totals-only providers (Altostrat) need it"
    if store.read_only:
        return (
            f"history read-only ({store.path} cannot be written): stored figures are still "
            "shown, nothing from this run is saved. Fix: make it writable"
        )
    if notice:  # a damaged file kept aside and a new history started
        return f"no history yet: {notice}; {_NEXT_RUN}"
    if not existed:
        return f"no history yet: {store.path} was started by this run; {_NEXT_RUN}"
    return None
