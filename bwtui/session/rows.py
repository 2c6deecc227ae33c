"""Which resources a view lists, in what order, and what they add up to.

One :class:`ResourceRows` per monitor, shared by every view: the sidebar reads the filtered
resources in config order (:meth:`ResourceRows.groups`), the overview reads them in sort order
(:meth:`ResourceRows.ordered`) with totals per account and overall (:meth:`ResourceRows.totals`).

Cost does not grow with what a key press touches: each resource's figures (what it is sorted and
summed by) are worked out once after it changes (:meth:`ResourceRows.touch` only marks it), so a
filter character, a sort or ``Esc`` is a pass over plain tuples, never a call into the store or
the billing code per row. Every resource keeps its place in one ranking (all of them, in sort
order as last sorted); the shown rows are the ranking with the filter applied, so typing,
backspace and ``Esc`` never sort. The ranking only changes when a view asks for it
(:meth:`ResourceRows.resort`), so rows never jump by themselves. No Textual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bwtui.billing import BillingFigures
from bwtui.model import ResourceState
from bwtui.samples import out_values
from bwtui.session.store import Key, MonitorStore

STALE_STEPS = 1.5  # data older than this many of its provider's steps shows its age


@dataclass(frozen=True, slots=True)
class SortColumn:
    """A column rows can be sorted by: its header label and its first direction."""

    label: str
    descending: bool  # a first click sorts this way (biggest, worst, oldest first)


SORT_COLUMNS: dict[str, SortColumn] = {
    "status": SortColumn("status", True),
    "name": SortColumn("name", False),
    "in": SortColumn("in rate", True),
    "out": SortColumn("out rate", True),
    "trend": SortColumn("peak out", True),
    "period_in": SortColumn("period in", True),
    "period_out": SortColumn("period out", True),
    "pct": SortColumn("projected % of allowance", True),
    "overage": SortColumn("projected overage", True),
    "age": SortColumn("data age", True),
    "account": SortColumn("account", False),
}
# What the sort key steps through (each in its first direction).
SORT_CYCLE = ("out", "in", "period_out", "period_in", "pct", "overage", "age", "status", "name",
              "account")
_SEVERITY = {status: rank for rank, status in
             enumerate(("pending", "ok", "paused", "stale", "rate_limited", "error"))}


@dataclass(frozen=True, slots=True)
class RowValues:
    """One resource's figures as rows are filtered, sorted and summed by (None: unknown)."""

    name: str  # case-folded, for the filter and the name sort
    account: str
    severity: int
    in_bps: float | None
    out_bps: float | None
    peak_out_bps: float | None
    period_in_bytes: int | None
    period_out_bytes: int | None
    projected_pct: float | None
    overage_usd: float | None
    data_at: float | None  # when the newest figure was true (the age is now minus this)
    stale_after_s: float | None  # the age is worth showing past this


@dataclass(frozen=True, slots=True)
class Totals:
    """What some rows add up to: rates now, the period so far, the projected overage.

    A figure is None when no row has it (rates not measured yet, no allowance or no USD price),
    so "nothing known" never reads as "0 bit/s" or "$0.00"; ``priced`` says how many rows had
    a cost figure.
    """

    label: str
    rows: int
    in_bps: float | None
    out_bps: float | None
    period_in_bytes: int | None
    period_out_bytes: int | None
    overage_usd: float | None
    priced: int


def data_age_s(values: RowValues, now: float) -> float | None:
    """How old the resource's newest figure is, when older than its provider's steps allow."""
    if values.data_at is None or values.stale_after_s is None:
        return None
    age = now - values.data_at
    return age if age > values.stale_after_s else None


class ResourceRows:
    """The name filter, the sort and the totals over a :class:`MonitorStore`.

    ``billing`` gives a resource's billing figures (the session's); ``step_s`` gives how often a
    provider's figures change (None: unknown, no age shown).
    """

    def __init__(
        self,
        store: MonitorStore,
        *,
        billing: Callable[[ResourceState], BillingFigures | None],
        step_s: Callable[[str], float | None] = lambda provider: None,
    ) -> None:
        self._store = store
        self._billing = billing
        self._step_s = step_s
        self._steps: dict[str, float | None] = {}
        self._values: dict[Key, RowValues] = {}
        self._dirty: set[Key] = set()
        self._all: list[Key] = []  # every resource, config order
        self._position: dict[Key, int] = {}
        self._shown: list[Key] = []  # the filtered rows, config order
        self._ranked: list[Key] = []  # every resource, sort order as last sorted (new: last)
        self._order: list[Key] = []  # the filtered rows in ranking order
        self._needle = ""
        self.filter_text = ""
        self.sort_column = "out"
        self.descending = True
        self.order_stale = False  # a row's sort figure changed (or rows came) since the last sort
        # The last sort had no row's figure to go by (the list came before any data): its order
        # says nothing yet, so the next automatic sort need not wait to spare the reader a jump.
        self.sorted_blind = True
        self._shown_set: set[Key] = set()
        # Per account, the shown rows' sums (see _add): kept up to date as rows change, worked
        # out again only when the shown rows change; None: to be worked out.
        self._sums: dict[str, list[float]] | None = None  # per account, over the shown rows
        # The same over every row, kept up to date while a filter is on: clearing the filter
        # (Esc) needs no pass over the fleet.
        self._all_sums: dict[str, list[float]] | None = None
        self._totals: tuple[list[Totals], Totals] | None = None
        self.sync()

    # ----- the resource list ----------------------------------------------------------------
    def sync(self) -> None:
        """The resource list changed (an account listed): new rows join, vanished ones leave.

        New rows go to the end of the order until the next :meth:`resort`.
        """
        keys = [r.key for view in self._store.accounts.values() for r in view.resources]
        self._all = keys
        self._position = {key: index for index, key in enumerate(keys)}
        self._all_sums = None  # rows came or went: summed again when next needed
        gone = self._values.keys() - self._position.keys()
        for key in gone:
            del self._values[key]
        self._dirty -= gone
        self._dirty.update(key for key in keys if key not in self._values)
        position = self._position
        ranked = [key for key in self._ranked if key in position]
        known = set(ranked)
        new = [key for key in keys if key not in known]
        if new:
            ranked.extend(new)
            self.order_stale = True
        self._ranked = ranked
        self._set_shown(self._matching(keys))

    def _set_shown(self, shown: list[Key]) -> None:
        self._shown = shown
        self._shown_set = shown_set = set(shown)
        self._order = [key for key in self._ranked if key in shown_set] if self._needle else list(
            self._ranked)
        self._sums = None if self._needle else self._all_sums
        self._totals = None

    def touch(self, keys: Iterable[Key]) -> None:
        """These resources changed: their figures are worked out again when next read."""
        keys = set(keys)
        if any(key not in self._position and key[0] in self._store.accounts for key in keys):
            self.sync()  # a resource its account's listing did not name (the store adds it)
        self._dirty.update(key for key in keys if key in self._position)

    def touch_all(self) -> None:
        """Everything changed (pause, a new hour for the projections)."""
        self.touch(self._all)

    def values(self, key: Key) -> RowValues:
        """The figures of one resource (worked out now if it changed)."""
        if key in self._dirty or key not in self._values:
            self._refresh_values()
            if key not in self._values:
                self._values[key] = self._compute(key)
        return self._values[key]

    def _refresh_values(self) -> None:
        if not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()
        sort_key = self._sort_key()
        shown = self._shown_set
        all_sums = self._all_sums
        sums = self._sums if self._sums is not all_sums else None  # a filter's own sums
        for key in dirty:
            old = self._values.get(key)
            new = self._compute(key)
            self._values[key] = new
            if not self.order_stale and old is not None and sort_key(old) != sort_key(new):
                self.order_stale = True
            if old == new:
                continue
            for acc_by_account in (all_sums, sums if key in shown else None):
                if acc_by_account is not None:
                    acc = acc_by_account.setdefault(key[0], [0.0] * _SLOTS)
                    if old is not None:
                        _add(acc, old, -1)
                    _add(acc, new, 1)
            if key in shown:
                self._totals = None

    def _compute(self, key: Key) -> RowValues:
        store = self._store
        state = store.states.get(key)
        status = store.status(key)
        if state is None:
            return RowValues(key[1].casefold(), key[0], _SEVERITY.get(status, 0), None, None, None,
                             None, None, None, None, None, None)
        in_bps, out_bps = store.rates(key)
        outs = [v for v in out_values(state.history) if v is not None]
        usage = state.usage
        figures = self._billing(state) if usage is not None else None
        provider = state.resource.provider
        if provider not in self._steps:
            self._steps[provider] = self._step_s(provider)
        step = self._steps[provider]
        data_at = state.rate_at if state.rate_at is not None else (usage.as_of if usage else None)
        return RowValues(
            name=state.resource.name.casefold(),
            account=state.resource.account,
            severity=_SEVERITY.get(status, 0),
            in_bps=in_bps,
            out_bps=out_bps,
            peak_out_bps=max(outs) if outs else None,
            period_in_bytes=usage.period_in_bytes if usage else None,
            period_out_bytes=usage.period_out_bytes if usage else None,
            projected_pct=figures.projected_pct if figures else None,
            overage_usd=figures.projected_overage_cost if figures else None,
            data_at=data_at,
            stale_after_s=None if step is None else step * STALE_STEPS,
        )

    # ----- the filter ---------------------------------------------------------------------
    def set_filter(self, text: str) -> bool:
        """Show only resources whose name contains ``text`` (any case); "" shows all.

        Returns whether the shown rows changed. Rows keep their place in the ranking: no sort
        (a longer needle only looks at the rows shown now).
        """
        self.filter_text = text
        needle = text.strip().casefold()
        if needle == self._needle:
            return False
        narrowing = needle.startswith(self._needle)
        self._needle = needle
        self._refresh_values()
        before = len(self._shown)
        self._set_shown(self._matching(self._shown if narrowing else self._all))
        return not narrowing or len(self._shown) != before

    def _matching(self, keys: list[Key]) -> list[Key]:
        needle = self._needle
        if not needle:
            return list(keys)
        values = self._values
        out = []
        for key in keys:
            found = values.get(key)
            name = found.name if found is not None else self._name(key)
            if needle in name:
                out.append(key)
        return out

    def _name(self, key: Key) -> str:
        state = self._store.states.get(key)
        return (state.resource.name if state is not None else key[1]).casefold()

    @property
    def filtering(self) -> bool:
        return bool(self._needle)

    @property
    def shown_count(self) -> int:
        return len(self._shown)

    @property
    def total_count(self) -> int:
        return len(self._all)

    def filter_note(self, *, compact: bool = False) -> str:
        """``filter: prim · 1 of 18`` while a filter is on, else ""; ``compact`` (a narrow
        header, where the alert counts must still fit): ``/prim · 1 of 18``."""
        if not self._needle:
            return ""
        label = "/" if compact else "filter: "
        return f"{label}{self.filter_text.strip()} · {self.shown_count:,} of {self.total_count:,}"

    # ----- the sort -----------------------------------------------------------------------
    def sort_by(self, column: str) -> None:
        """Sort by ``column``: its first direction, or the other one if it is already the sort
        (a second click on a header)."""
        if column not in SORT_COLUMNS:
            raise ValueError(f"unknown sort column {column!r}")
        if column == self.sort_column:
            self.descending = not self.descending
        else:
            self.sort_column = column
            self.descending = SORT_COLUMNS[column].descending
        self.resort()

    def cycle_sort(self) -> str:
        """The next column of :data:`SORT_CYCLE`, in its first direction; returns it."""
        try:
            index = SORT_CYCLE.index(self.sort_column)
        except ValueError:
            index = -1
        self.sort_column = SORT_CYCLE[(index + 1) % len(SORT_CYCLE)]
        self.descending = SORT_COLUMNS[self.sort_column].descending
        self.resort()
        return self.sort_column

    def sort_label(self) -> str:
        """``out rate ▼`` style words for a notice."""
        word = SORT_COLUMNS[self.sort_column].label
        return f"{word}, {'highest' if self.descending else 'lowest'} first" if self.sort_column not in (
            "name", "account") else f"{word}, {'Z-A' if self.descending else 'A-Z'}"

    def resort(self) -> bool:
        """Rank every resource now; returns whether the shown rows' order changed."""
        self._refresh_values()
        before = self._order
        self._sort()
        shown = self._shown_set
        self._order = [key for key in self._ranked if key in shown] if self._needle else list(
            self._ranked)
        self.order_stale = False
        return self._order != before

    def _sort(self) -> None:
        self._refresh_values()
        values = self._values
        compute = self._compute
        for key in self._all:
            if key not in values:
                values[key] = compute(key)
        position = self._position
        column = self.sort_column
        if column in ("name", "account"):
            def text_key(key: Key) -> tuple[str, str, int]:
                found = values[key]
                return ((found.account, found.name, position[key]) if column == "account"
                        else (found.name, found.account, position[key]))
            self._ranked = sorted(self._all, key=text_key, reverse=self.descending)
            self.sorted_blind = False
            return
        pick = _NUMBER[column]
        sign = -1.0 if self.descending else 1.0
        self.sorted_blind = not any(pick(values[key]) is not None for key in self._all)

        def number_key(key: Key) -> tuple[bool, float, str, int]:
            found = values[key]
            value = pick(found)
            return (value is None, 0.0 if value is None else sign * value, found.name, position[key])

        self._ranked = sorted(self._all, key=number_key)

    def _sort_key(self) -> Callable[[RowValues], object]:
        column = self.sort_column
        if column in ("name", "account"):
            return lambda found: (found.name, found.account)
        return _NUMBER[column]

    def ordered(self) -> list[Key]:
        """The shown rows in the order last sorted (new ones at the end until the next sort)."""
        self._refresh_values()
        return self._order

    def index_of(self, key: Key) -> int | None:
        """Where ``key`` is in :meth:`ordered` (None: filtered out or unknown)."""
        try:
            return self._order.index(key)
        except ValueError:
            return None

    # ----- the sidebar --------------------------------------------------------------------
    def groups(self) -> list[tuple[str, list[Key]]]:
        """The shown resources by account, in config order. While a filter is on, accounts
        with no match are left out; otherwise every account is there (even with no resources)."""
        by_account: dict[str, list[Key]] = {}
        for key in self._shown:
            by_account.setdefault(key[0], []).append(key)
        if self._needle:
            return [(name, by_account[name]) for name in self._store.accounts if name in by_account]
        return [(name, by_account.get(name, [])) for name in self._store.accounts]

    def first(self) -> Key | None:
        """The first shown resource in config order."""
        return self._shown[0] if self._shown else None

    def is_shown(self, key: Key | None) -> bool:
        return key in self._shown_set

    # ----- totals -------------------------------------------------------------------------
    def totals(self) -> tuple[list[Totals], Totals]:
        """Totals of the shown rows per account (config order) and overall.

        The same object until something in it changes (a view may compare by identity). Kept
        up to date row by row; a full pass only after the shown rows changed.
        """
        self._refresh_values()
        if self._totals is not None:
            return self._totals
        if self._sums is None:
            sums: dict[str, list[float]] = {}
            values = self._values
            for key in self._shown:
                found = values.get(key)
                if found is None:
                    found = values[key] = self._compute(key)
                acc = sums.get(key[0])
                if acc is None:
                    acc = sums[key[0]] = [0.0] * _SLOTS
                _add(acc, found, 1)
            self._sums = sums
            if not self._needle:
                self._all_sums = sums
        accounts = [_totals(name, self._sums[name]) for name in self._store.accounts
                    if name in self._sums and self._sums[name][0] > 0]
        overall = [0.0] * _SLOTS
        for acc in self._sums.values():
            for index, value in enumerate(acc):
                overall[index] += value
        self._totals = (accounts, _totals("all", overall))
        return self._totals


# A totals accumulator: rows, then (sum, how many rows had it) for in, out, period in, period
# out and overage.
_SLOTS = 11


def _add(acc: list[float], found: RowValues, sign: int) -> None:
    """Add (sign 1) or take away (sign -1) one row's figures (unrolled: it runs per row)."""
    acc[0] += sign
    value: float | None = found.in_bps
    if value is not None:
        acc[1] += sign * value
        acc[2] += sign
    value = found.out_bps
    if value is not None:
        acc[3] += sign * value
        acc[4] += sign
    count = found.period_in_bytes
    if count is not None:
        acc[5] += sign * count
        acc[6] += sign
    count = found.period_out_bytes
    if count is not None:
        acc[7] += sign * count
        acc[8] += sign
    value = found.overage_usd
    if value is not None:
        acc[9] += sign * value
        acc[10] += sign


def _totals(label: str, acc: list[float]) -> Totals:
    def known(slot: int) -> float | None:
        return acc[slot] if acc[slot + 1] else None

    def count(slot: int) -> int | None:
        return int(acc[slot]) if acc[slot + 1] else None

    return Totals(label=label, rows=int(acc[0]), in_bps=known(1), out_bps=known(3),
                  period_in_bytes=count(5), period_out_bytes=count(7), overage_usd=known(9),
                  priced=int(acc[10]))


def _age_value(found: RowValues) -> float | None:
    return None if found.data_at is None else -found.data_at  # older first when descending


_NUMBER: dict[str, Callable[[RowValues], float | None]] = {
    "status": lambda found: float(found.severity),
    "in": lambda found: found.in_bps,
    "out": lambda found: found.out_bps,
    "trend": lambda found: found.peak_out_bps,
    "period_in": lambda found: None if found.period_in_bytes is None else float(found.period_in_bytes),
    "period_out": lambda found: None if found.period_out_bytes is None else float(found.period_out_bytes),
    "pct": lambda found: found.projected_pct,
    "overage": lambda found: found.overage_usd,
    "age": _age_value,
}
