"""The commands' side of attaching: which collector, and the one-shot report from its snapshot.

``status`` and ``check`` read ``/api/v1/snapshot`` and replay it into a
:class:`~bwtui.session.core.MonitorSession` (the collector's own code path), then hand the
same :class:`~bwtui.oneshot.OneShot` a direct poll would have made, marked ``via``. A collector
that does not answer is reported on stderr and the command polls directly instead.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterator
from typing import Any

from bwtui.collect import AccountResult
from bwtui.collector.client import CollectorUnavailable, collector_token, export_rows, fetch_snapshot
from bwtui.collector.discovery import CollectorRef, find_collector
from bwtui.collector.protocol import FeedError, decode_accounts, decode_event
from bwtui.config import Config
from bwtui.history import ExportRow
from bwtui.model import ErrorKind, ProviderError
from bwtui.oneshot import OneShot
from bwtui.runtime import AccountRuntime
from bwtui.session.core import MonitorSession

READY_WAIT_S = 15.0
READY_POLL_S = 0.25


def choose_collector(config: Config, option: str | None) -> CollectorRef | None:
    """``--collector``, ``$BWTUI_COLLECTOR``, the config's ``collector``, else discovery."""
    return find_collector(option=option, configured=config.collector)


def note(message: str) -> None:
    print(f"bwtui: {message}", file=sys.stderr)


def oneshot_via_collector(config: Config, *, option: str | None,
                          only_account: str | None = None) -> OneShot | None:
    """The report from a collector, or None (after saying why on stderr) to poll directly."""
    ref = choose_collector(config, option)
    if ref is None:
        return None
    try:
        document = _ready_snapshot(ref.url)
        return oneshot_from_snapshot(document, ref.url, only_account=only_account)
    except (CollectorUnavailable, FeedError) as error:
        note(f"{error}; polling the providers directly instead")
        return None


def _ready_snapshot(url: str, *, wait_s: float = READY_WAIT_S) -> dict[str, Any]:
    """The snapshot once the collector has listed every account (or after ``wait_s``)."""
    deadline = time.monotonic() + wait_s
    token = collector_token()
    while True:
        document = dict(fetch_snapshot(url, token=token))
        if document.get("ready") or time.monotonic() >= deadline:
            return document
        time.sleep(READY_POLL_S)


def oneshot_from_snapshot(document: dict[str, Any], url: str, *, only_account: str | None = None,
                          now: float | None = None) -> OneShot:
    """Replay a snapshot into a session and read the report off it (see the module docstring)."""
    from bwtui.exits import UsageError

    accounts = decode_accounts(document.get("accounts"))
    events = document.get("events")
    if not isinstance(events, list):
        raise FeedError("the snapshot has no events")
    moment = time.time() if now is None else now
    session = MonitorSession(now=lambda: moment)
    session.register([AccountRuntime(account, None) for account in accounts])
    for raw in events:
        event = decode_event(raw) if isinstance(raw, dict) else None
        if event is not None:
            session.apply(event)
    names = [account.name for account in accounts]
    if only_account is not None and only_account not in names:
        raise UsageError(f"the collector at {url} has no account named {only_account!r} "
                         f"(it polls: {', '.join(names) or 'none'})")
    store = session.store
    results: list[AccountResult] = []
    for account in accounts:
        if only_account is not None and account.name != only_account:
            continue
        view = store.accounts.get(account.name)
        error = None
        if view is not None and view.error:
            error = _error(view.error_kind, view.error)
        elif view is None or not view.listed:
            error = ProviderError(ErrorKind.TIMEOUT, f"the collector at {url} has not listed it yet")
        results.append(AccountResult(account.name, account.provider, error,
                                     tuple(view.resources) if view is not None else ()))
    states = [state for key, state in store.states.items()
              if only_account is None or key[0] == only_account]
    billing = {state.resource.key: session.billing(state) if state.usage else None for state in states}
    return OneShot(Config(path=None, accounts=list(accounts)), moment, results, states, billing,
                   via=url)


def _error(kind: str | None, message: str) -> ProviderError:
    try:
        return ProviderError(ErrorKind(kind or ""), message)
    except ValueError:
        return ProviderError(ErrorKind.BAD_RESPONSE, message)


def export_via_collector(config: Config | None, *, option: str | None, since: float | None,
                         account: str | None, resource_id: str | None) -> Iterator[ExportRow] | None:
    """The collector's stored history, or None (after saying why) to read the local file."""
    ref = choose_collector(config if config is not None else Config(path=None), option)
    if ref is None:
        return None
    rows = export_rows(ref.url, since=since, account=account, resource_id=resource_id,
                       token=collector_token())
    try:
        first = next(rows)
    except StopIteration:
        return iter(())
    except CollectorUnavailable as error:
        note(f"{error}; exporting this machine's own history file instead")
        return None
    return itertools.chain([first], rows)
