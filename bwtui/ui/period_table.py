"""Period tables in the monitor (``t``): traffic per hour, day, month and billing period.

The rows come from :mod:`bwtui.reports` (plain Python), built in a thread from the local history
and the series the monitor holds in memory, the finest winning where they overlap: the same
figures as ``bwtui report``, plus what this session has seen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from bwtui.reports import Table
from bwtui.session.format import format_bytes, format_money, format_rate

TABS = (("hourly", "Hours", "h"), ("daily", "Days", "d"), ("monthly", "Months", "n"),
        ("periods", "Billing periods", "p"))
HEADINGS = {"hourly": "hour (UTC)", "daily": "day (UTC)", "monthly": "month (UTC)", "periods": "billing period"}

TableBuilder = Callable[[str, Sequence[Any]], Table]  # kind, extra sources → table (blocks: a thread)
OlderFetcher = Callable[[str], Awaitable[Sequence[Any]]]  # kind → the provider's older points


class PeriodTablesScreen(ModalScreen[None]):
    """Tabs of period tables for one resource; ``h``/``d``/``n``/``p`` switch, Esc/q/t close."""

    DEFAULT_CSS = """
    PeriodTablesScreen { align: center middle; }
    PeriodTablesScreen > Vertical { width: 100%; height: 100%; padding: 0 1; background: $surface; }
    PeriodTablesScreen #tables-title { height: 1; text-style: bold; }
    PeriodTablesScreen #tables-notes { height: auto; max-height: 4; color: $foreground; }
    PeriodTablesScreen #tables-tabs { height: 1fr; }
    PeriodTablesScreen TabPane { height: 1fr; padding: 0; }
    PeriodTablesScreen DataTable { height: 1fr; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="tables-close"),
        Binding("q", "close", "Close", show=False, id="tables-close-q"),
        Binding("t", "close", "Close", show=False, id="tables-close-t"),
        *[Binding(key, f"tab('{kind}')", title, id=f"tables-{kind}") for kind, title, key in TABS],
    ]

    def __init__(self, title: str, build: TableBuilder, *, ascii_only: bool = False,
                 fetch_older: OlderFetcher | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.build = build
        self.fetch_older = fetch_older
        self.older_requests = 0
        self.ascii_only = ascii_only
        self.tables: dict[str, Table] = {}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text), id="tables-title")
            with TabbedContent(initial="tab-daily", id="tables-tabs"):
                for kind, title, key in TABS:
                    with TabPane(f"{title} ({key})", id=f"tab-{kind}"):
                        yield DataTable(id=f"table-{kind}", cursor_type="row", zebra_stripes=True)
            yield Static("", id="tables-notes")

    def on_mount(self) -> None:
        for kind, _, _ in TABS:
            table = self.query_one(f"#table-{kind}", DataTable)
            table.add_columns(*_columns(kind))
            table.loading = False
        self._fill("daily")
        self.query_one("#table-daily", DataTable).focus()

    def action_tab(self, kind: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{kind}"
        self.query_one(f"#table-{kind}", DataTable).focus()

    @on(TabbedContent.TabActivated)
    def _activated(self, event: TabbedContent.TabActivated) -> None:
        kind = (event.pane.id or "tab-daily").removeprefix("tab-")
        self._fill(kind)

    def _fill(self, kind: str) -> None:
        if kind in self.tables:
            self._show_notes(kind)
            return
        self.query_one("#tables-notes", Static).update(Text("reading the history…" if not self.ascii_only
                                                            else "reading the history..."))
        self._load(kind)

    @work(group="period-tables", exit_on_error=False)
    async def _load(self, kind: str) -> None:
        extra: Sequence[Any] = ()
        if self.fetch_older is not None:
            extra = await self.fetch_older(kind)  # through the poller: the same budget as polls
            self.older_requests += 1 if extra else 0
        try:
            table = await asyncio.to_thread(self.build, kind, extra)
        except Exception as error:  # noqa: BLE001 - shown, never fatal
            self._failed(kind, error)
            return
        self._loaded(kind, table)

    def _failed(self, kind: str, error: Exception) -> None:
        self.query_one("#tables-notes", Static).update(Text(f"The tables could not be built: {error}"))

    def _loaded(self, kind: str, table: Table) -> None:
        self.tables[kind] = table
        grid = self.query_one(f"#table-{kind}", DataTable)
        grid.clear()
        for cells in table_cells(table):
            grid.add_row(*cells)
        self._show_notes(kind)

    def _show_notes(self, kind: str) -> None:
        table = self.tables[kind]
        lines = [*(f"{note}" for note in table.notes)]
        if self.older_requests:
            lines.append(f"older points from the provider: {self.older_requests} request"
                         f"{'s' if self.older_requests != 1 else ''} from its budget")
        if not table.rows:
            lines.insert(0, "No data for this resource yet: the tables fill as bwtui runs.")
        if any(row.ongoing for row in table.rows):
            lines.insert(0, "* so far: the row is not over yet")
        text = "\n".join(lines)
        if self.ascii_only:
            text = text.replace("×", "x").replace("…", "...")
        self.query_one("#tables-notes", Static).update(Text(text, style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)


def _columns(kind: str) -> list[str]:
    columns = [HEADINGS[kind], "in", "out", "peak out", "cover", "res", "overage"]
    if kind == "periods":
        columns += ["p95 out", "p95 pts", "> commit"]
    return columns


def table_cells(table: Table) -> list[Sequence[Any]]:
    """The DataTable rows (plain Text, never markup), newest first, then the total."""
    out: list[Sequence[Any]] = []
    rows = [*table.rows, *([table.total] if table.total is not None else [])]
    for row in rows:
        total = row is table.total
        cells: list[Any] = [
            Text(row.label + (" *" if row.ongoing else ""), style="bold" if total else ""),
            Text(format_bytes(row.in_bytes), justify="right"),
            Text(format_bytes(row.out_bytes), justify="right", style="bold"),
            Text(format_rate(row.peak_out_bps), justify="right"),
            Text("" if total else f"{row.coverage * 100:.0f}%", justify="right"),
            Text(row.resolution),
            Text(format_money(row.cost_usd), justify="right",
                 style="bold red" if (row.cost_usd or 0) > 0 else ""),
        ]
        if table.kind == "periods":
            points = "" if row.p95_points is None else f"{row.p95_points:,}/{row.p95_expected_points:,}"
            above = "" if row.above_commit is None else f"{row.above_commit:,}"
            cells += [Text(format_rate(row.p95_out_bps), justify="right"), Text(points, justify="right"),
                      Text(above, justify="right")]
        out.append(cells)
    return out
