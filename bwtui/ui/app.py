"""The monitor app: header, sidebar tree, detail pane or overview table, footer.

Data flows one way: the poller (in a worker, its own group) emits events, the app turns them
into messages, the store records them, and only widgets whose data changed are refreshed.
User intent (select, period, refresh, pause) goes back to the poller as requests; the UI never
performs HTTP itself.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static, Tree

from bwtui.exits import EXIT_USAGE, NOT_A_TERMINAL
from bwtui.model import ResourceState
from bwtui.model import Period
from bwtui.runtime import AccountRuntime
from bwtui.ui import messages as m
from bwtui.ui.detail import ResourceDetail, TextPanel
from bwtui.ui.first_run import FirstRunScreen
from bwtui.text import safe_text
from bwtui.ui.format import (
    STATUS_STYLES,
    format_bytes,
    format_clock,
    format_money,
    glyph,
)
from bwtui.ui.help import HelpScreen
from bwtui.ui.history_sync import HistoryBuffer, load_chart, load_seeds, seed_function, write_batch
from bwtui.ui.overview import OverviewTable
from bwtui.ui.sidebar import ResourceTree
from bwtui.ui.store import Alert, Key, UiStore

OVERVIEW_THRESHOLD = 15  # more resources than this: the overview is the default view
HISTORY_FLUSH_S = 5.0  # new data is written to the history store at most this often

THEMES = {"default": "textual-dark", "ansi": "ansi-dark", "ansi-dark": "ansi-dark",
          "ansi-light": "ansi-light"}

def _css_path() -> Path:
    """styles/app.tcss in the repository (editable install), else the package copy."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "styles" / "app.tcss", here.parents[1] / "styles" / "app.tcss"):
        if candidate.is_file():
            return candidate
    return here.parents[2] / "styles" / "app.tcss"


class _WallClock:
    def now(self) -> float:
        import time

        return time.time()


class ClockLabel(Static):
    """``HH:MM UTC``; wakes once a minute and redraws only when the text changes."""

    def __init__(self, now: Callable[[], float], **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self._now = now
        self._shown = ""

    def on_mount(self) -> None:
        self._tick()

    def _tick(self) -> None:
        now = self._now()
        text = format_clock(now)
        if text != self._shown:
            self._shown = text
            self.update(text)
        self.set_timer(max(1.0, 60.0 - now % 60.0 + 0.05), self._tick)


PollerFactory = Callable[..., Any]


def default_poller_factory(
    runtimes: list[AccountRuntime], *, clock: Any, on_event: Callable[[Any], None],
    history: Any = None, thread: Any = None,
) -> Any:
    """The core poller, given the history store when it accepts one.

    On the real clock it runs in its own thread and loop (ThreadedPoller; ``thread`` is a
    PollerThread to reuse, from a previous poller's ``detach()``), so HTTP and JSON parsing
    never delay key presses. Any other clock (tests' fake ones) keeps it on the app's loop.
    """
    from bwtui.clock import RealClock
    from bwtui.poller import Poller

    kwargs: dict[str, Any] = {"clock": clock, "on_event": on_event}
    seed = _history_seed(history, clock)
    if seed is not None and "history_seed" in inspect.signature(Poller).parameters:
        kwargs["history_seed"] = seed
    poller = Poller(runtimes, **kwargs)
    if not isinstance(clock, RealClock):
        return poller
    from bwtui.polling.threaded import ThreadedPoller

    clients = [rt.client for rt in runtimes if rt.client is not None]
    return ThreadedPoller(poller, clients=clients, thread=thread)


def _history_seed(history: Any, clock: Any) -> Callable[[Any], Any] | None:
    """A poller ``history_seed`` from a callable, or from a HistoryStore (last two days)."""
    if history is None:
        return None
    if callable(history):
        return history
    if hasattr(history, "samples") and hasattr(history, "last_reading"):

        def seed(resource: Any) -> tuple[Any, Any]:
            try:
                since = clock.now() - 2 * 86400
                return history.samples(resource.key, since=since), history.last_reading(resource.key)
            except Exception:  # noqa: BLE001 - history is optional; start empty instead
                return (), None

        return seed
    return None


class BwtuiApp(App[int]):
    """The full-screen monitor."""

    CSS_PATH = _css_path()
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
        Binding("3", "period('month')", "Month", id="period-month"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("s", "cycle_sort", "Sort", show=False, id="sort"),
    ]

    def __init__(
        self,
        runtimes: Sequence[AccountRuntime] = (),
        *,
        theme: str = "default",
        ascii: bool = False,
        demo_factory: Callable[[], Any] | None = None,
        first_run: bool = False,
        clock: Any = None,
        history: Any = None,
        demo: bool = False,
        poller_factory: PollerFactory | None = None,
        overview_threshold: int = OVERVIEW_THRESHOLD,
        config_path: Path | None = None,
        history_problem: str | None = None,
        history_flush_s: float = HISTORY_FLUSH_S,
    ) -> None:
        super().__init__()
        self.runtimes: list[AccountRuntime] = list(runtimes)
        self.theme_choice = theme
        self.ascii_only = ascii
        self.demo_factory = demo_factory
        self.first_run = first_run
        self.clock = clock if clock is not None else _wall_clock_for_app()
        self.history = history
        self.is_demo = demo
        self.poller_factory = poller_factory or default_poller_factory
        self.overview_threshold = overview_threshold
        self.config_path = config_path
        self.store = UiStore()
        self.poller: Any = None
        # A threaded poller's loop thread kept for the next poller (its clients live on it).
        self._poller_thread: Any = None
        self.demo_env: Any = None
        self.selected: Key | None = None
        self.selected_account: str | None = None
        self.period = Period.DAY
        self.bytes_mode = False
        self.view_mode = "detail"
        self._mode_chosen = False
        self._auto_selected: Key | None = None
        self._notified_errors: dict[str, str] = {}
        self._accounts = {rt.config.name: rt.config for rt in self.runtimes}
        self.history_problem = history_problem
        self.history_flush_s = history_flush_s
        self._history_buffer = HistoryBuffer()
        self._flush_timer: Any = None
        self._history_seed: Callable[[Any], Any] | None = None
        self._starting = False
        # Poller events update the store at once; widgets catch up in one flush per burst.
        self._dirty_keys: set[Key] = set()
        self._dirty_detail = False
        self._flush_pending = False
        from bwtui.thresholds import ThresholdLatch

        self.latch = ThresholdLatch()

    # ----- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="header"):
            yield Static(Text("bwtui", style="bold"), id="hdr-title")
            yield TextPanel(id="hdr-accounts")
            yield TextPanel(id="hdr-poll")
            yield ClockLabel(self.clock.now, id="hdr-clock")
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield Input(placeholder="filter by name", id="filter")
                yield TextPanel(id="filter-label")
                yield ResourceTree(self.store, ascii_only=self.ascii_only, id="tree")
            with Container(id="main"):
                yield ResourceDetail(
                    self.store,
                    ascii_only=self.ascii_only,
                    now=self.clock.now,
                    billing=self._billing_text,
                    id="detail",
                )
                yield OverviewTable(
                    self.store,
                    ascii_only=self.ascii_only,
                    billing=self._billing,
                    id="overview",
                )
        yield Footer()

    def _fatal_error(self) -> None:
        """Textual's crash report, without local variables: a frame may hold an API token."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()

    def on_mount(self) -> None:
        wanted = THEMES.get(self.theme_choice, self.theme_choice)
        self.theme = wanted if wanted in self.available_themes else "textual-dark"
        self.query_one("#filter", Input).display = False
        self.query_one("#filter-label").display = False
        self._register_runtimes()
        self._set_mode("detail", chosen=False)
        if self.history_problem:
            self.notify(safe_text(self.history_problem, max_len=400), severity="warning",
                        title="history", timeout=20, markup=False)
        if self.first_run and not self.runtimes:
            self.push_screen(FirstRunScreen(self.config_path))
        else:
            self.start_polling()
        self._update_header()

    def _register_runtimes(self) -> None:
        self._accounts = {rt.config.name: rt.config for rt in self.runtimes}
        for runtime in self.runtimes:
            self.store.add_account(
                runtime.config.name, runtime.config.provider, runtime.credential_error
            )
        self.tree.rebuild()

    @property
    def tree(self) -> ResourceTree:
        return self.query_one("#tree", ResourceTree)

    @property
    def detail(self) -> ResourceDetail:
        return self.query_one("#detail", ResourceDetail)

    @property
    def overview(self) -> OverviewTable:
        return self.query_one("#overview", OverviewTable)

    # ----- polling -------------------------------------------------------------------------
    def start_polling(self) -> None:
        """Start the poller in its own worker group; its errors never close the app.

        With a history store, the stored samples and readings are loaded in a thread first and
        handed to the poller as its seed, so graphs and Altostrat rates show at once.
        """
        if self.poller is not None or self._starting:
            return
        if not any(rt.client is not None for rt in self.runtimes):
            return
        if self.history is not None and self._history_seed is None:
            self._starting = True
            self.run_worker(self._load_seed_then_poll(), name="history-seed", group="history-seed",
                            exit_on_error=False)
            return
        self._create_poller()

    async def _load_seed_then_poll(self) -> None:
        accounts = [rt.config.name for rt in self.runtimes]
        try:
            seeds = await asyncio.to_thread(load_seeds, self.history, accounts, self.clock.now())
        except Exception as error:  # noqa: BLE001 - a broken history must not stop polling
            self._history_failed(error)
            seeds = {}
        for key, (samples, reading) in seeds.items():
            self._history_buffer.mark_stored(key, samples, reading)
        self._history_seed = seed_function(seeds)
        self._starting = False
        self._create_poller()
        self._update_header()

    def _create_poller(self) -> None:
        kwargs: dict[str, Any] = {"clock": self.clock, "on_event": self._on_poll_event,
                                  "history": self._history_seed}
        thread, self._poller_thread = self._poller_thread, None
        if thread is not None and _accepts_keyword(self.poller_factory, "thread"):
            kwargs["thread"] = thread
        try:
            self.poller = self.poller_factory(self.runtimes, **kwargs)
        except Exception as error:  # noqa: BLE001 - shown to the user, app keeps running
            self._poller_failed(error)
            self.poller = None
        if thread is not None and getattr(self.poller, "thread", None) is not thread:
            thread.stop_soon()  # not taken over: let it end
        if self.poller is None:
            return
        self.run_worker(
            self._run_poller(), name="poller", group="poller", exit_on_error=False
        )

    async def _run_poller(self) -> None:
        try:
            await self.poller.run()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - a poller crash is shown, not fatal
            self.post_message(m.PollerCrashedMessage(error))

    def _on_poll_event(self, event: Any) -> None:
        # Called on the poller's thread when it is threaded: post_message is thread-safe
        # (call_soon_threadsafe onto the app's loop); never touch widgets here.
        message = m.to_message(event)
        if message is not None:
            self.post_message(message)

    def _poller_call(self, method: str, *args: Any) -> None:
        poller = self.poller
        if poller is None:
            return
        try:
            getattr(poller, method)(*args)
        except Exception as error:  # noqa: BLE001 - a request to the poller must not crash the UI
            self.notify(safe_text(f"{method} failed: {error}"), severity="error", markup=False)

    def on_poller_crashed_message(self, message: m.PollerCrashedMessage) -> None:
        self._poller_failed(message.error)

    def _poller_failed(self, error: BaseException) -> None:
        self.store.crashed = safe_text(f"{type(error).__name__}: {error}", max_len=200)
        self._update_header()
        self.notify(
            f"Polling stopped: {self.store.crashed}. The last data stays on screen.",
            severity="error",
            timeout=30,
            markup=False,
        )

    # ----- poller messages -----------------------------------------------------------------
    def on_account_listed_message(self, message: m.AccountListedMessage) -> None:
        event = message.event
        self.store.apply_listed(event.account, event.provider, list(event.resources))
        self._notified_errors.pop(event.account, None)
        self._flush_ui()  # widgets first catch up with what arrived before this list
        self.tree.sync_account(event.account)
        self.overview.sync()
        if not self._mode_chosen and self.store.resource_count() > self.overview_threshold:
            self._set_mode("overview", chosen=False)
        # Until the user moves, the selection is the first resource in tree (config) order,
        # whichever account happened to answer first.
        nothing_chosen = self.selected is None and self.selected_account is None
        if nothing_chosen or (self._auto_selected is not None and self.selected == self._auto_selected):
            first = self.tree.first_resource()
            if first is not None and first != self.selected:
                self.tree.select_data(("resource", first))
                self.select_resource(first)
                self._auto_selected = first
        self._update_header()

    def on_account_failed_message(self, message: m.AccountFailedMessage) -> None:
        event = message.event
        if self.store.apply_failed(event.account, event.error):
            if event.account not in self.tree._account_nodes:
                self.tree.rebuild()
            self.tree.update_account(event.account)
            view = self.store.accounts[event.account]
            text = f"{event.account}: {view.error_kind}: {view.error}"
            if self._notified_errors.get(event.account) != text:
                self._notified_errors[event.account] = text
                self.notify(safe_text(text, max_len=300), severity="error", markup=False,
                            title="account failed")
            if self.selected is None and self.selected_account == event.account:
                self.detail.refresh_data()
            self._update_header()

    def on_resource_updated_message(self, message: m.ResourceUpdatedMessage) -> None:
        state: ResourceState = message.event.state
        key = state.resource.key
        if not self.store.apply_state(state):
            return
        self._note_history(self._history_buffer.note_state(
            state, store_readings=self._stores_readings(state)))
        self._check_thresholds(state)
        self._mark_dirty(key)

    def on_series_updated_message(self, message: m.SeriesUpdatedMessage) -> None:
        event = message.event
        if not self.store.apply_series(event.key, event.period, event.series):
            return
        self._note_history(self._history_buffer.note_series(event.key, event.period, event.series))
        if event.period == Period.DAY:
            self._mark_dirty(event.key)
        elif event.key == self.selected:
            self._dirty_detail = True
            self._schedule_flush()

    def _mark_dirty(self, key: Key) -> None:
        self._dirty_keys.add(key)
        if key == self.selected:
            self._dirty_detail = True
        self._schedule_flush()

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
        tree = self.tree
        for key in keys:
            tree.update_resource_label(key)
        for account in {key[0] for key in keys}:
            tree.update_account(account)
        self.overview.update_resources(keys)
        if detail and self.view_mode == "detail":
            self.detail.refresh_data()
        self._update_header()

    def on_rate_limit_updated_message(self, message: m.RateLimitUpdatedMessage) -> None:
        event = message.event
        if self.store.apply_rate_limit(event.account, event.rate_limit):
            self.tree.update_account(event.account)
            if self.selected is None and self.selected_account == event.account:
                self.detail.refresh_data()
            self._update_header()

    def on_poller_paused_message(self, message: m.PollerPausedMessage) -> None:
        self._set_paused(bool(message.event.paused))

    def _set_paused(self, paused: bool) -> None:
        if self.store.paused == paused:
            return
        self.store.paused = paused
        self.tree.relabel_all()
        self.overview.relabel_all()
        self.detail.refresh_data()
        self._update_header()

    # ----- header --------------------------------------------------------------------------
    def _update_header(self) -> None:
        if not self.is_mounted:
            return
        accounts, resources, failing = self.store.summary()
        text = Text()
        text.append(f"{accounts} account{'s' if accounts != 1 else ''} · {resources} resources")
        if failing:
            text.append(f" · {failing} failing", style=STATUS_STYLES["error"])
        if self.store.accounts and any(v.rate_limit and v.rate_limit.remaining == 0
                                       for v in self.store.accounts.values()):
            text.append(" · rate-limited", style=STATUS_STYLES["rate_limited"])
        self.query_one("#hdr-accounts", TextPanel).set_text(text)
        poll = Text()
        if self.store.crashed:
            poll.append(glyph("error", ascii_only=self.ascii_only) + " polling stopped",
                        style=STATUS_STYLES["error"])
        elif self.store.paused:
            poll.append(glyph("paused", ascii_only=self.ascii_only) + " PAUSED (p)",
                        style="bold yellow")
        elif self.poller is not None:
            poll.append(glyph("ok", ascii_only=self.ascii_only) + " polling",
                        style=STATUS_STYLES["ok"])
        else:
            poll.append("idle", style="dim")
        if self.is_demo:
            poll.append("  DEMO", style="bold reverse")
        poll.append(f"  {self.period.value}", style="dim")
        poll.append(f"  {'B/s' if self.bytes_mode else 'bit/s'}", style="dim")
        self.query_one("#hdr-poll", TextPanel).set_text(poll)

    # ----- selection -----------------------------------------------------------------------
    def select_resource(self, key: Key) -> None:
        """Show ``key`` in the detail pane and ask the poller to poll it first."""
        self.selected = key
        self.selected_account = key[0]
        self.detail.period = self.period
        self.detail.show(key)
        self._poller_call("prioritize", key)
        self._poller_call("set_period", key, self.period)
        self._load_history_chart()

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Any]) -> None:
        data = event.node.data
        if not data:
            return
        self.tree.wanted = data
        if data[0] == "resource":
            if data[1] != self.selected:
                self.select_resource(data[1])
        else:
            self.selected = None
            self.selected_account = data[1]
            self.detail.show(None, data[1])

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.view_mode != "overview":
            return
        key = self.overview.highlighted_key()
        if key is not None:
            self._poller_call("prioritize", key)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = self.overview.highlighted_key()
        if key is None:
            return
        self.tree.select_data(("resource", key))
        self.select_resource(key)
        self._set_mode("detail", chosen=True)

    # ----- actions -------------------------------------------------------------------------
    def _set_mode(self, mode: str, *, chosen: bool) -> None:
        self.view_mode = mode
        if chosen:
            self._mode_chosen = True
        overview = mode == "overview"
        self.query_one("#sidebar").display = not overview
        self.detail.display = not overview
        self.overview.display = overview
        if overview:
            self.overview.apply_sort()
            if self.selected is not None and self.selected != self._auto_selected:
                # The user picked a resource: the overview opens on it.
                self.overview.follow_top = False
                self.overview.highlight(self.selected)
            self.overview.focus()
        else:
            self.detail.refresh_data()
            self.tree.focus()

    def action_toggle_overview(self) -> None:
        """o: the overview of everything ⇄ the selected resource."""
        self._set_mode("detail" if self.view_mode == "overview" else "overview", chosen=True)

    def action_help(self) -> None:
        """? / F1: the help screen."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(ascii_only=self.ascii_only))

    def action_refresh(self) -> None:
        """r: refresh the selected resource (or the highlighted one) now."""
        key = self.overview.highlighted_key() if self.view_mode == "overview" else self.selected
        if key is not None:
            self._poller_call("refresh_now", key)
            state = self.store.states.get(key)
            name = state.resource.name if state is not None else key[1]
            self.notify(f"Refreshing {safe_text(name, max_len=60)}", timeout=2, markup=False)
        elif self.selected_account is not None:
            for resource in self.store.accounts[self.selected_account].resources:
                self._poller_call("refresh_now", resource.key)
            self.notify(f"Refreshing {safe_text(self.selected_account)}", timeout=2, markup=False)
        else:
            self.action_refresh_all()

    def action_refresh_all(self) -> None:
        """R: refresh every resource now."""
        self._poller_call("refresh_now", None)
        self.notify("Refreshing everything", timeout=2, markup=False)

    def action_toggle_pause(self) -> None:
        """p: pause or resume polling."""
        if self.store.paused:
            self._poller_call("resume")
            self._set_paused(False)
        else:
            self._poller_call("pause")
            self._set_paused(True)

    def action_toggle_units(self) -> None:
        """b: rates in bits/s ⇄ bytes/s."""
        self.bytes_mode = not self.bytes_mode
        for widget in (self.tree, self.overview, self.detail):
            widget.bytes_mode = self.bytes_mode
        self.tree.relabel_all()
        self.overview.relabel_all()
        self.detail.refresh_data()
        self._update_header()

    def action_period(self, period: str) -> None:
        """1/2/3: chart period day/week/month."""
        self.period = Period(period)
        self.detail.period = self.period
        if self.selected is not None:
            self._poller_call("set_period", self.selected, self.period)
        self.detail.refresh_data()
        self._load_history_chart()
        self._update_header()

    def action_cycle_sort(self) -> None:
        """s: overview sort by out rate / in rate / name."""
        mode = self.overview.cycle_sort()
        self.notify(f"Sorted by {mode}{' rate' if mode != 'name' else ''}", timeout=2,
                    markup=False)

    def action_filter(self) -> None:
        """/: filter resources by name."""
        box = self.query_one("#filter", Input)
        if self.view_mode == "overview":
            self.query_one("#sidebar").display = True
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self._apply_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self._close_filter()

    def _apply_filter(self, value: str) -> None:
        self.tree.name_filter = value
        self.overview.name_filter = value
        self.tree.rebuild()
        self.overview.rebuild()
        label = self.query_one("#filter-label", TextPanel)
        if value.strip():
            label.set_text(Text.assemble(("filter: ", "bold"), safe_text(value)))
        label.display = bool(value.strip())

    def _close_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = False
        self._set_mode(self.view_mode, chosen=self._mode_chosen)

    def on_key(self, event: Any) -> None:
        if event.key == "escape" and self.focused is self.query_one("#filter", Input):
            self._close_filter()
            event.stop()

    def action_start_demo(self) -> None:
        """d on the first-run screen: start the simulated accounts in this app."""
        if self.demo_factory is None:
            self._first_run_status("The demo is not available here.", error=True)
            return
        if self.demo_env is not None:
            return
        self._first_run_status("Starting the demo…")
        self.run_worker(self._start_demo(), name="demo", group="demo", exit_on_error=False)

    async def _start_demo(self) -> None:
        try:
            env = await asyncio.to_thread(self.demo_factory)  # type: ignore[arg-type]
        except Exception as error:  # noqa: BLE001 - shown on the first-run screen
            self._first_run_status(f"The demo could not start: {error}", error=True)
            return
        self.demo_env = env
        self.runtimes = list(env.runtimes)
        self.is_demo = True
        self.history = None  # simulated data never goes into the real history store
        self._register_runtimes()
        if isinstance(self.screen, FirstRunScreen):
            self.pop_screen()
        self.start_polling()
        self._update_header()

    def action_add_account(self) -> None:
        """a: the add-account form; the new account is polled as soon as it is saved."""
        from bwtui.ui.add_account import AddAccountScreen

        if self.is_demo:
            self.notify("The demo's accounts are simulated; quit and run `bwtui` to add yours.",
                        markup=False)
            return
        if isinstance(self.screen, AddAccountScreen):
            return
        path = self.config_path
        if path is None:
            from bwtui.paths import default_config_file

            path = default_config_file()
        names = [rt.config.name for rt in self.runtimes]
        self.push_screen(AddAccountScreen(path, names), self._account_added)

    def _account_added(self, account: Any) -> None:
        if account is None:
            return
        self.run_worker(self._start_account(account), name="add-account", group="add-account",
                        exit_on_error=False)

    async def _start_account(self, account: Any) -> None:
        """Build the new account's client (token lookup may block: a thread) and restart polling."""
        from bwtui.runtime import build_runtime

        runtime = await asyncio.to_thread(build_runtime, account)
        self.runtimes = [*self.runtimes, runtime]
        self._register_runtimes()
        if isinstance(self.screen, FirstRunScreen):
            self.pop_screen()
        self._restart_poller()
        self.notify(f"Added account {account.name}.", markup=False)

    def _restart_poller(self) -> None:
        """Stop the running poller (if any) and start one over every runtime."""
        if self.poller is not None:
            detach = getattr(self.poller, "detach", None)
            if detach is not None:  # threaded: keep its loop, where the clients are in use
                self._poller_thread = detach()
            self.workers.cancel_group(self, "poller")
            self.poller = None
        self.start_polling()
        self._update_header()

    def _first_run_status(self, message: str, *, error: bool = False) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, FirstRunScreen):
                screen.set_status(message, error=error)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands = (
            ("Overview / detail", "Toggle the overview of every resource (o)", self.action_toggle_overview),
            ("Refresh now", "Poll the selected resource now (r)", self.action_refresh),
            ("Refresh everything", "Poll every resource now (R)", self.action_refresh_all),
            ("Pause / resume polling", "Stop or restart polling (p)", self.action_toggle_pause),
            ("Bits / bytes", "Show rates in bit/s or B/s (b)", self.action_toggle_units),
            ("Period: day", "Chart the last 24 hours (1)", lambda: self.action_period("day")),
            ("Period: week", "Chart the last 7 days (2)", lambda: self.action_period("week")),
            ("Period: month", "Chart the last 30 days (3)", lambda: self.action_period("month")),
            ("Filter by name", "Show only resources whose name matches (/)", self.action_filter),
            ("Sort overview", "Sort by out rate, in rate or name (s)", self.action_cycle_sort),
            ("Help", "Keys and status glyphs (? or F1)", self.action_help),
            ("Add account", "Add a provider account; the key is checked first (a)", self.action_add_account),
        )
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)
        if self.demo_factory is not None and self.demo_env is None and not self.runtimes:
            yield SystemCommand("Start the demo", "Simulated accounts (d)", self.action_start_demo)

    # ----- history ---------------------------------------------------------------------------
    def _stores_readings(self, state: ResourceState) -> bool:
        """Totals are kept for providers whose rates come from readings (Altostrat)."""
        return state.resource.provider == "altostrat"

    def _note_history(self, added: bool) -> None:
        """Something new to store: write it with the next flush (coalesced, never per event)."""
        if not added or self.history is None:
            return
        if self._flush_timer is None:
            self._flush_timer = self.set_timer(self.history_flush_s, self.flush_history)

    def flush_history(self) -> Any:
        """Hand what is pending to a thread that writes it in one batch; returns the worker."""
        self._flush_timer = None
        if self.history is None or not self._history_buffer:
            return None
        batch = self._history_buffer.drain()
        history = self.history
        selected, period, now = self.selected, self.period, self.clock.now()
        reload_chart = (
            selected is not None
            and selected in batch.keys()
            and self._wants_history_chart(selected, period)
        )

        def write() -> None:
            try:
                write_batch(history, batch)
            except Exception as error:  # noqa: BLE001 - HistoryUnavailable or worse: go on without
                self.call_from_thread(self._history_failed, error)
                return
            if reload_chart:
                try:
                    chart = load_chart(history, selected, period, now)
                except Exception:  # noqa: BLE001 - a chart from history is an extra
                    return
                self.call_from_thread(self._apply_history_chart, selected, period, chart)

        return self.run_worker(write, name="history-write", group="history-write", thread=True,
                               exit_on_error=False)

    def _history_failed(self, error: BaseException) -> None:
        """Say once why history stopped, and keep running without it."""
        if self.history is None:
            return
        self.history = None
        self._history_buffer = HistoryBuffer()
        self.notify(safe_text(f"History is off: {error}", max_len=400), severity="warning",
                    title="history", timeout=20, markup=False)

    def _wants_history_chart(self, key: Key, period: Period) -> bool:
        series = self.store.series.get((key, period))
        return self.history is not None and (series is None or not series.samples)

    def _load_history_chart(self) -> None:
        """For the selected resource and period, a chart from stored samples (in a thread)."""
        key, period = self.selected, self.period
        if key is None or not self._wants_history_chart(key, period):
            return
        history = self.history
        now = self.clock.now()

        def read() -> None:
            try:
                chart = load_chart(history, key, period, now)
            except Exception:  # noqa: BLE001 - a chart from history is an extra
                return
            self.call_from_thread(self._apply_history_chart, key, period, chart)

        self.run_worker(read, name="history-read", group="history-read", thread=True,
                        exit_on_error=False)

    def _apply_history_chart(self, key: Key, period: Period, chart: Any) -> None:
        if not self.store.apply_history_series(key, period, chart):
            return
        if key == self.selected and period == self.period and self.view_mode == "detail":
            self.detail.refresh_data()

    # ----- thresholds ------------------------------------------------------------------------
    def _check_thresholds(self, state: ResourceState) -> None:
        """Mark a resource over its thresholds; notify and ring the bell once per crossing."""
        account = self._accounts.get(state.resource.account)
        if account is None:
            return
        from bwtui.thresholds import Level, effective_thresholds, evaluate_for, has_thresholds

        if not has_thresholds(effective_thresholds(account, state.resource.id)):
            return
        try:
            evaluation = evaluate_for(state, account, self.clock.now())
        except Exception:  # noqa: BLE001 - a threshold bug must not break the monitor
            return
        key = state.resource.key
        crossing = self.latch.update(key, evaluation)
        level = self.latch.level(key)
        if level in (Level.WARNING, Level.CRITICAL):
            previous = self.store.alerts.get(key)
            reasons = evaluation.reasons if evaluation.level is level else (
                previous.reasons if previous is not None else ())
            self.store.apply_alert(key, Alert(level.value.lower(), reasons))
        else:
            self.store.apply_alert(key, None)
        if crossing is None:
            return
        name = safe_text(state.resource.name, max_len=60)
        if crossing.escalated:
            why = "; ".join(safe_text(r, max_len=120) for r in crossing.reasons)
            self.notify(
                f"{name}: {crossing.level.value}" + (f" - {why}" if why else ""),
                title="threshold crossed",
                severity="error" if crossing.level is Level.CRITICAL else "warning",
                timeout=15,
                markup=False,
            )
            self.bell()
        else:
            self.notify(f"{name}: back within thresholds", title="recovered", timeout=8,
                        markup=False)

    # ----- billing -------------------------------------------------------------------------
    def _billing(self, state: ResourceState) -> Any:
        account = self._accounts.get(state.resource.account)
        if account is None:
            return None
        try:
            from bwtui.billing import billing_for
        except ImportError:
            return None
        try:
            return billing_for(state.resource, state.usage, account, self.clock.now())
        except Exception:  # noqa: BLE001 - billing is an extra; never break the panel
            return None

    def _billing_text(self, state: ResourceState) -> Text | None:
        """The billing lines of the usage panel; the projection is labelled an estimate (vnstat)."""
        figures = self._billing(state)
        if figures is None or state.usage is None:
            return None
        text = Text()
        text.append("month   ", style="bold")
        text.append(f"{figures.elapsed_fraction * 100:.0f}% elapsed")
        if figures.allowance_out_bytes is not None and figures.used_pct is not None:
            text.append(f" · {figures.used_pct:.0f}% of {format_bytes(figures.allowance_out_bytes)}"
                        " used")
        text.append("\nest.    ", style="bold")
        if figures.projected_out_bytes is None:
            text.append("too early in the period to estimate", style="dim")
            return text
        text.append(f"out {format_bytes(figures.projected_out_bytes)}")
        if figures.projected_pct is not None:
            style = "bold red" if figures.projected_pct >= 100 else ""
            text.append(f" ({figures.projected_pct:.0f}%)", style=style)
        text.append(" at period end", style="dim")
        cost = figures.projected_overage_cost
        if cost is not None and cost > 0:
            text.append(" · overage ")
            text.append(format_money(cost), style="bold red")
        return text

    # ----- shutdown ------------------------------------------------------------------------
    async def on_unmount(self) -> None:
        if self.history is not None and self._history_buffer:
            batch = self._history_buffer.drain()
            try:
                await asyncio.to_thread(write_batch, self.history, batch)
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
        closed_elsewhere: set[int] = set()
        poller = self.poller
        if poller is not None and hasattr(poller, "aclose"):
            # Threaded: the poller closes its clients on its own loop, then its thread ends.
            try:
                await poller.aclose(timeout_s=1.0)
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
            closed_elsewhere = {id(client) for client in getattr(poller, "clients", ())}
        if self._poller_thread is not None:
            self._poller_thread.stop_soon()
        for runtime in self.runtimes:
            client = runtime.client
            if client is None or id(client) in closed_elsewhere:
                continue
            try:
                await client.aclose()
            except Exception:  # noqa: BLE001 - closing is best effort at exit
                pass


def _accepts_keyword(fn: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def _wall_clock_for_app() -> Any:
    try:
        from bwtui.clock import RealClock

        return RealClock()
    except ImportError:
        return _WallClock()


def run_app(
    runtimes: list[AccountRuntime],
    *,
    theme: str = "default",
    ascii: bool = False,
    demo_factory: Callable[[], Any] | None = None,
    first_run: bool = False,
    clock: Any = None,
    history: Any = None,
    demo: bool = False,
    config_path: Path | None = None,
    history_problem: str | None = None,
) -> int:
    """Run the monitor until the user quits; returns the exit code.

    ``history`` is an open HistoryStore (or None); ``history_problem`` is shown once when the
    store could not be opened. The caller owns (and closes) the store.
    """
    if not sys.stdout.isatty():
        print(NOT_A_TERMINAL, file=sys.stderr)
        return EXIT_USAGE
    app = BwtuiApp(
        runtimes,
        theme=theme,
        ascii=ascii,
        demo_factory=demo_factory,
        first_run=first_run,
        clock=clock,
        history=history,
        demo=demo,
        config_path=config_path,
        history_problem=history_problem,
    )
    try:
        result = app.run()
    finally:
        if app.demo_env is not None:
            app.demo_env.stop()
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code)
