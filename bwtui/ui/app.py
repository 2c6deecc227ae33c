"""The monitor app: header, sidebar tree, detail pane or overview table, footer.

Data flows one way: the data source (:mod:`bwtui.session.source`, polling from this process
today) runs in a worker and hands events to a sink that posts them as messages; the app passes
each to the session (:mod:`bwtui.session.core`), which records it and says what changed; only
the widgets showing that are redrawn. User intent (select, period, refresh, pause) goes back to
the source's :class:`~bwtui.polling.control.PollerControl` as requests; the UI never performs
HTTP itself. The app keeps compose, actions, workers and drawing; everything it knows lives in
the session.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any

import rich
from rich.segment import Segments
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker

from bwtui.clock import Clock, RealClock
from bwtui.events import PollEvent
from bwtui.history import HistoryStore
from bwtui.history_health import store_mark
from bwtui.model import Period, ResourceState
from bwtui.polling.control import PollerControl
from bwtui.prefs import PrefsKeeper
from bwtui.runtime import AccountRuntime
from bwtui.session.billing import billing_lines
from bwtui.session.changes import Announcement, Changes
from bwtui.session.core import MonitorSession, history_note
from bwtui.session.history_sync import HISTORY_FLUSH_S
from bwtui.session.live import LivePollerSource, PollerFactory
from bwtui.session.inbox import EventInbox
from bwtui.session.source import MonitorSource
from bwtui.session.store import Key, MonitorStore
from bwtui.terminal import ColorDepth
from bwtui.text import safe_text
from bwtui.ui import messages as m
from bwtui.ui.body import MonitorBody
from bwtui.ui.chart_keys import CHART_BINDINGS, chart_keys_active
from bwtui.ui.demo_watch import DemoWatchMixin
from bwtui.ui.detail import ResourceDetail
from bwtui.ui.visible import VISIBLE_CHECK_S, VisibleReporter
from bwtui.ui.first_selection import FirstSelectionMixin
from bwtui.ui.key_bar import KeyBar
from bwtui.ui.header import NARROW_HEADER, HeaderBar
from bwtui.ui.choices import ChoicesMixin
from bwtui.ui.look import LookMixin
from bwtui.ui.new_accounts import NewAccountsMixin
from bwtui.ui.overview import OverviewTable
from bwtui.ui.rest_gc import RestingGcMixin
from bwtui.ui.sidebar import ResourceTree
from bwtui.ui.theming import install_themes

if TYPE_CHECKING:
    from bwtui.demo import DemoEnv
    from bwtui.ui.chart_panel import ChartPanel
    from bwtui.ui.first_run import DemoFactory

OVERVIEW_THRESHOLD = 15  # more resources than this: the overview is the default view
SORT_NOTE_S = 2.0  # how long the header says the new order after `s`

def _css_path() -> Path:
    """styles/app.tcss in the repository (editable install), else the package copy."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "styles" / "app.tcss", here.parents[1] / "styles" / "app.tcss"):
        if candidate.is_file():
            return candidate
    return here.parents[2] / "styles" / "app.tcss"


class BwtuiApp(LookMixin, ChoicesMixin, NewAccountsMixin, FirstSelectionMixin, RestingGcMixin,
               DemoWatchMixin, App[int]):
    """The full-screen monitor."""

    CSS_PATH = _css_path()
    # Screen classes the stylesheet lays out by (narrow terminals, wide ones, short ones).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-normal"), (160, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    TITLE = "bwtui"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("f1", "help", "Help", show=False, id="help-f1"),
        Binding("o", "toggle_overview", "Overview", id="overview"),
        Binding("a", "add_account", "Add account", show=False, id="add-account"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("R", "refresh_all", "Refresh all", show=False, id="refresh-all"),
        Binding("p", "toggle_pause", "Pause", id="pause"),
        Binding("b", "toggle_units", "Bits/Bytes", id="units"),
        Binding("1", "period('day')", "Day", id="period-day"),
        Binding("2", "period('week')", "Week", id="period-week"),
        Binding("3", "period('month')", "Period", id="period-month"),
        Binding("s", "cycle_sort", "Sort", show=False, id="sort"),
        *CHART_BINDINGS,
        Binding("T", "next_theme", "Theme", show=False, id="theme"),
    ]

    def __init__(
        self,
        runtimes: Sequence[AccountRuntime] = (),
        *,
        theme: str = "default",
        ascii: bool = False,
        colors: ColorDepth = "truecolor",
        no_color: bool | None = None,
        demo_factory: DemoFactory | None = None,
        first_run: bool = False,
        clock: Clock | None = None,
        history: HistoryStore | None = None,
        demo: bool = False,
        demo_env: DemoEnv | None = None,
        poller_factory: PollerFactory | None = None,
        source: MonitorSource | None = None,
        session: MonitorSession | None = None,
        overview_threshold: int = OVERVIEW_THRESHOLD,
        config_path: Path | None = None,
        history_problem: str | None = None,
        history_flush_s: float = HISTORY_FLUSH_S,
        keymap: Mapping[str, str] | None = None,
        prefs: PrefsKeeper | None = None,
    ) -> None:
        """``source`` replaces the default live poller over ``runtimes`` (built with
        ``poller_factory`` when given: tests pass a fake poller); ``session``: one started
        before the app with its source (:mod:`bwtui.session.early`), holding ``history``.
        ``colors`` is the terminal's colour depth and ``no_color`` NO_COLOR (None: from the
        environment, as Textual reads it).
        ``keymap`` remaps bindings by id (the config's [keys]); ``prefs`` remembers the user's
        choices (theme, units, view, sort) for the next start."""
        self._take_keymap(keymap)
        super().__init__()
        self.prefs = prefs if prefs is not None else PrefsKeeper()
        self.runtimes: list[AccountRuntime] = list(runtimes)
        self.ascii_only = ascii
        self.color_depth: ColorDepth = colors
        self.no_color = self.no_color if no_color is None else no_color
        install_themes(self, theme, colors, self.no_color)
        self.demo_factory = demo_factory
        self.first_run = first_run
        self.clock: Clock = clock if clock is not None else RealClock()
        self.is_demo = demo
        self.overview_threshold = overview_threshold
        self.config_path = config_path
        self.history_problem = history_problem
        self.session = session if session is not None else MonitorSession(
            now=self.clock.now, history=history, flush_s=history_flush_s)
        self._visible = VisibleReporter()  # what is on screen, told to the poller when it changes
        self._inbox = EventInbox(lambda: self.post_message(m.PollEventsWaiting()))
        self.source: MonitorSource = source if source is not None else LivePollerSource(
            self.runtimes, clock=self.clock, factory=poller_factory,
            seed=lambda: self.session.history.seed)
        self._source_worker: Worker[None] | None = None
        self.demo_env: DemoEnv | None = demo_env  # the first-run screen's `d` sets one too
        self.selected: Key | None = None
        self.selected_account: str | None = None
        self.period = Period.DAY
        self.bytes_mode = bool(self.prefs.prefs.bytes_mode)
        self.view_mode = "detail"
        self._mode_chosen = False
        self._flush_timer: Timer | None = None
        # Events update the session at once; widgets catch up in one flush per burst.
        self._dirty_keys: set[Key] = set()
        self._dirty_detail = False
        self._flush_pending = False
        self._sort_note_until = float("-inf")

    # ----- what the app shows and asks -------------------------------------------------------
    @property
    def store(self) -> MonitorStore:
        return self.session.store

    @property
    def history(self) -> HistoryStore | None:
        """The history store in use (None: running without history)."""
        return self.session.history.store

    @property
    def poller(self) -> PollerControl | None:
        """Where requests go: the running source's control (None while nothing runs)."""
        return self.source.control

    @property
    def tree(self) -> ResourceTree:
        return self.query_one("#tree", ResourceTree)

    @property
    def detail(self) -> ResourceDetail:
        return self.query_one("#detail", ResourceDetail)

    @property
    def overview(self) -> OverviewTable:
        return self.query_one("#overview", OverviewTable)

    # ----- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield HeaderBar(self.clock.now, ascii_only=self.ascii_only, id="header")
        yield MonitorBody(self.store, self.session.rows, now=self.clock.now,
                          billing_text=self._billing_text, filter_changed=self._filter_changed,
                          ascii_only=self.ascii_only, id="body")
        yield KeyBar()

    def _fatal_error(self) -> None:
        """Textual's crash report, without local variables (a frame may hold an API token) and
        with every known token scrubbed from exception messages."""
        from rich.traceback import Traceback  # only on a crash: it pulls in pygments

        from bwtui.scrub import scrub_trace

        self.bell()
        trace = scrub_trace(Traceback.extract(*sys.exc_info(), show_locals=False))
        traceback = Traceback(trace, show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()

    def on_mount(self) -> None:
        self.set_class(self.ascii_only, "-ascii")
        self._register_runtimes()
        self._apply_choices()
        if self.history_problem:
            self._announce(history_note(self.history_problem))
        if self.first_run and not self.runtimes:
            from bwtui.ui.first_run import FirstRunScreen  # only without accounts

            self.push_screen(FirstRunScreen(self.config_path, self.demo_factory))
        else:
            self.start_source()
        self._update_header()
        self.set_interval(VISIBLE_CHECK_S, self._report_visible)

    def _report_visible(self) -> None:
        """Tell the poller which resources are on screen (it serves them first on a short budget)."""
        if self.poller is None or len(self.screen_stack) > 1:
            return  # help, tables or a dialog on top: what is under it stays as last told
        try:
            keys = self.overview.visible_keys() if self.view_mode == "overview" else self.tree.visible_keys()
        except NoMatches:  # the app is closing: its views are already gone
            return
        if self.selected is not None:
            keys = [*keys, self.selected]
        self._visible.report(keys, self._ask)

    def _register_runtimes(self) -> None:
        self.session.register(self.runtimes)
        self.tree.rebuild()

    def _billing_text(self, state: ResourceState) -> Text | None:
        lines = billing_lines(self.session.billing(state), state)
        return None if lines is None else Text.assemble(*lines)

    # ----- the data source -----------------------------------------------------------------
    def start_source(self) -> None:
        """Run the source in its own worker group; its failure never closes the app.

        With a history store, the stored samples and readings are loaded in a thread first and
        seed the poller, so graphs and Altostrat rates show at once.
        """
        if self._source_worker is not None or not self.source.has_work:
            return
        self._source_worker = self.run_worker(self._run_source(self.source), name="source",
                                              group="source", exit_on_error=False)

    async def _run_source(self, source: MonitorSource) -> None:
        self._show(await self.session.load_seed())
        try:
            await source.run(self._on_poll_event)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - a source failure is shown, not fatal
            self.post_message(m.SourceFailedMessage(error))

    def _on_poll_event(self, event: PollEvent) -> None:
        # Called on the poller's thread when it is threaded: the inbox and post_message are
        # thread-safe; never touch the session or widgets here.
        self._inbox.put(event)

    def _renew_source(self) -> None:
        """The account list changed: a source over every runtime takes over from the old one."""
        self.source = self.source.renewed(self.runtimes)
        self._visible.forget()
        self.workers.cancel_group(self, "source")
        self._source_worker = None
        self.start_source()
        self._update_header()

    def _ask(self, request: Callable[[PollerControl], None]) -> None:
        """Send one request to the source's control; a failure is shown, never raised."""
        control = self.poller
        if control is None:
            return
        try:
            request(control)
        except Exception as error:  # noqa: BLE001 - a request must not crash the UI
            self.notify(safe_text(f"The request failed: {error}"), severity="error", markup=False)

    def on_source_failed_message(self, message: m.SourceFailedMessage) -> None:
        self._announce(self.session.source_failed(message.error))
        self._update_header()

    # ----- events → session → widgets ------------------------------------------------------
    def on_poll_events_waiting(self, _message: m.PollEventsWaiting) -> None:
        events, more = self._inbox.take()
        for event in events:
            self._show(self.session.apply(event))
        self._check_demo_simulator()
        if more:  # the rest on the next turn, after any key that came meanwhile
            self.post_message(m.PollEventsWaiting())

    def _show(self, changes: Changes) -> None:
        """Redraw what ``changes`` names: lists at once, rows and the detail in one flush."""
        if not changes:
            return
        if changes.listed is not None:
            self._account_listed(changes.listed)
        for account in changes.accounts:
            self.tree.update_account(account)  # (one the config did not name: a new line)
            if self.selected_account in (account, None):  # its summary, or every failing one's
                self.detail.refresh_data()
        if changes.accounts and changes.listed is None and self._auto_select_timer is not None:
            self._auto_select()  # a failed account was the one the first selection waited for
        if changes.accounts or changes.listed is not None:
            self.query_one(MonitorBody).refresh_problems()
        if changes.paused is not None:
            self.tree.relabel_all()
            self.overview.relabel_all()
            self.detail.refresh_data()
        for announcement in changes.announcements:
            self._announce(announcement)
        if changes.flush_in_s is not None and self._flush_timer is None:
            self._flush_timer = self.set_timer(changes.flush_in_s, self.flush_history)
        if changes.resources or self.selected in changes.charts:
            self._dirty_keys |= changes.resources
            self._dirty_detail |= self.selected in changes.resources or self.selected in changes.charts
            self._schedule_flush()
        if changes.accounts or changes.paused is not None or changes.listed is not None \
                or changes.history:
            self._update_header()

    def _account_listed(self, account: str) -> None:
        self._flush_ui()  # widgets first catch up with what arrived before this list
        self.tree.sync_account(account)
        self.overview.sync()
        if not self._mode_chosen and self.default_view() == "overview":
            self._set_mode("overview", chosen=False)
        self._auto_select()

    def _announce(self, announcement: Announcement) -> None:
        """Tell the user (a toast; never markup), and ring the bell when it asks for one."""
        options: dict[str, Any] = {"severity": announcement.severity, "markup": False}
        if announcement.title:
            options["title"] = announcement.title
        if announcement.timeout_s is not None:
            options["timeout"] = announcement.timeout_s
        self.notify(announcement.text, **options)
        if announcement.bell:
            self.bell()

    def _schedule_flush(self) -> None:
        """One widget update for everything that arrives before the app gets back to it."""
        if not self._flush_pending:
            self._flush_pending = True
            self.call_later(self._flush_ui)

    def _flush_ui(self) -> None:
        """Bring the widgets up to date with the store: only the resources that changed."""
        self._flush_pending = False
        keys, self._dirty_keys = self._dirty_keys, set()
        detail, self._dirty_detail = self._dirty_detail, False
        if not keys and not detail:
            return
        self.tree.update_lines(keys)
        self.overview.update_resources(keys)
        if detail and self.view_mode == "detail":
            self.detail.refresh_data()
        self._update_header()

    def _update_header(self) -> None:
        source = self.source.label if self._source_worker is not None else None
        try:  # by id: Textual caches that lookup (a query by type matched every widget)
            header = self.query_one("#header", HeaderBar)
        except NoMatches:  # before the app is composed
            return
        header.show(self.store, source=source, demo=self.is_demo, period=self.period,
                    bytes_mode=self.bytes_mode,
                    history_mark=store_mark(self.history, self.history_problem,
                                            ascii_only=self.ascii_only),
                    note=self.session.rows.filter_note(compact=0 < self.size.width < NARROW_HEADER),
                    aside=self._sort_note())

    def _sort_note(self) -> str:
        """For a moment after ``s``, the new order: ``sorted by out rate, highest first``."""
        if monotonic() < self._sort_note_until:
            return f"sorted by {self.session.rows.sort_label()}"
        return ""

    # ----- selection -----------------------------------------------------------------------
    def select_resource(self, key: Key) -> None:
        """Show ``key`` in the detail pane and ask the source to poll it first."""
        self.selected = key
        self.selected_account = key[0]
        self.detail.period = self.period
        self.detail.show(key)
        period = self.period
        self._ask(lambda control: control.prioritize(key))
        self._ask(lambda control: control.set_period(key, period))
        if self.view_mode == "detail":  # hidden: showing the detail loads it
            self._load_history_chart()

    @on(ResourceTree.Highlighted)
    def _tree_highlighted(self, event: ResourceTree.Highlighted) -> None:
        data = event.data
        if data[0] == "resource":
            if data[1] != self.selected:
                self.select_resource(data[1])
        else:
            self.selected = None
            self.selected_account = data[1]
            self.detail.show(None, data[1])

    @on(OverviewTable.Highlighted)
    def _overview_highlighted(self, event: OverviewTable.Highlighted) -> None:
        if self.view_mode == "overview":
            self._ask(lambda control: control.prioritize(event.key))

    @on(OverviewTable.Selected)
    @on(ResourceTree.Selected)
    def _open(self, event: OverviewTable.Selected | ResourceTree.Selected) -> None:
        """Enter (or a click on the highlighted row): show that resource's detail."""
        key = event.key if isinstance(event, OverviewTable.Selected) else event.data[1]
        self.tree.select_data(("resource", key))
        self.select_resource(key)
        self._set_mode("detail", chosen=True)

    # ----- actions -------------------------------------------------------------------------
    def _set_mode(self, mode: str, *, chosen: bool) -> None:
        self.view_mode = mode
        if chosen:
            self._mode_chosen = True
        picked = self.selected if self.selected != self._auto_selected else None
        self.query_one(MonitorBody).show(overview=mode == "overview", picked=picked)
        if mode == "detail":
            self._load_history_chart()

    def action_toggle_overview(self) -> None:
        """o: the overview of everything ⇄ the selected resource."""
        self._set_mode("detail" if self.view_mode == "overview" else "overview", chosen=True)
        self._remember(view=self.view_mode)

    def action_help(self) -> None:
        """? / F1: the help screen."""
        from bwtui.ui.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(ascii_only=self.ascii_only))

    def action_refresh(self) -> None:
        """r: refresh the selected resource (or the highlighted one) now."""
        key = self.overview.highlighted_key() if self.view_mode == "overview" else self.selected
        if key is not None:
            self._ask(lambda control: control.refresh_now(key))
            state = self.store.states.get(key)
            name = state.resource.name if state is not None else key[1]
            self.notify(f"Refreshing {safe_text(name, max_len=60)}", timeout=2, markup=False)
        elif self.selected_account is not None:
            keys = [resource.key for resource in self.store.accounts[self.selected_account].resources]

            def refresh_account(control: PollerControl) -> None:
                for key in keys:
                    control.refresh_now(key)

            self._ask(refresh_account)
            self.notify(f"Refreshing {safe_text(self.selected_account)}", timeout=2, markup=False)
        else:
            self.action_refresh_all()

    def action_refresh_all(self) -> None:
        """R: refresh every resource now."""
        self._ask(lambda control: control.refresh_now(None))
        self.notify("Refreshing everything", timeout=2, markup=False)

    def action_toggle_pause(self) -> None:
        """p: pause or resume polling (the store follows the source's PollerPaused event)."""
        if self.store.paused:
            self._ask(lambda control: control.resume())
        else:
            self._ask(lambda control: control.pause())

    def action_toggle_units(self) -> None:
        """b: rates in bits/s ⇄ bytes/s."""
        self.bytes_mode = not self.bytes_mode
        for widget in (self.tree, self.overview, self.detail):
            widget.bytes_mode = self.bytes_mode
        self.tree.relabel_all()
        self.overview.relabel_all()
        self.detail.refresh_data()
        self._update_header()
        self._remember(bytes_mode=self.bytes_mode)

    def action_period(self, period: str) -> None:
        """1/2/3: the chart shows the last day, the last week, the billing period."""
        self.detail.chart.window_for(Period(period))
        self._use_period(Period(period))

    def action_chart(self, verb: str, arg: object = None) -> None:
        """The chart's keys (cursor, zoom, compare, tables, image): see bwtui.ui.chart_keys."""
        self.detail.chart.command(verb, arg)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self._monitor_key_off(action):
            return False
        return chart_keys_active(self, str(parameters[0])) if action == "chart" else True

    def on_chart_panel_period_wanted(self, message: ChartPanel.PeriodWanted) -> None:
        if message.period != self.period:
            self._use_period(message.period)

    def _use_period(self, period: Period) -> None:
        """Keep the provider's series for ``period`` fresh, and chart it."""
        self.period = period
        self.detail.period = self.period
        selected, chosen = self.selected, self.period
        if selected is not None:
            self._ask(lambda control: control.set_period(selected, chosen))
        self.detail.refresh_data()
        self._load_history_chart()
        self._update_header()

    def action_cycle_sort(self) -> None:
        """s: overview sort by the next column (a header click sorts by that one)."""
        self.overview.cycle_sort()
        self._remember_sort()
        # In the header for a moment, beside the column's arrow (a toast cost 15-30 ms a key).
        self._sort_note_until = monotonic() + SORT_NOTE_S
        self._update_header()
        self.set_timer(SORT_NOTE_S, self._update_header)

    def action_filter(self) -> None:
        """/: filter resources by name."""
        self.query_one(MonitorBody).open_filter()

    def on_monitor_body_filter_closed(self) -> None:
        self.query_one(MonitorBody).show(overview=self.view_mode == "overview", picked=None)

    def _filter_changed(self) -> None:
        self.selected = self.selected if self.session.rows.is_shown(self.selected) else None
        self._update_header()

    # ----- the demo and new accounts ---------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from bwtui.ui.help import DEMO_COMMAND, PALETTE

        yield from super().get_system_commands(screen)
        offer_demo = self.demo_factory is not None and self.demo_env is None and not self.runtimes
        for title, help_text, action in (*PALETTE, *([DEMO_COMMAND] if offer_demo else [])):
            yield SystemCommand(title, help_text, partial(self.run_action, action))

    # ----- history ---------------------------------------------------------------------------
    def flush_history(self) -> Worker[None]:
        """Write what is pending to the history store now (in a thread); returns the worker."""
        self._flush_timer = None
        showing = None if self.selected is None else (self.selected, self.period)
        return self._show_later(self.session.write_history(showing), "history-write")

    def _load_history_chart(self) -> None:
        """For the selected resource and period, a chart from stored samples (in a thread)."""
        if self.selected is not None:
            self._show_later(self.session.load_history_chart(self.selected, self.period), "history-read")

    def _show_later(self, pending: Awaitable[Changes], group: str) -> Worker[None]:
        async def show() -> None:
            self._show(await pending)

        return self.run_worker(show(), name=group, group=group, exit_on_error=False)

    # ----- shutdown ------------------------------------------------------------------------
    async def on_unmount(self) -> None:
        self._remember_sort()  # a header click sorts too: the last sort is kept at exit
        await self.session.write_history()  # best effort: a failure only turns history off
        await self.source.aclose()
