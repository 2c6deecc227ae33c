"""The detail pane's chart area: caption, chart, and the time cursor's readout.

It owns what the user does with the chart: the window (1 h, 6 h, day, week, billing period or
a typed one), the time cursor, the compare overlay. Its points come from the store (the
provider's rolling series, the rates of recent polls, charts loaded from history) and, for any
window, from the local history store, read in a thread (:mod:`bwtui.history_read`). Everything
it computes is in Textual-free modules (:mod:`bwtui.charts`, :mod:`bwtui.p95`); this widget only
wires them to keys and the screen.

It reads a few things from its app (:class:`ChartHost`): the store, the history store, the
session's billing figures and account settings, the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message

from bwtui.charts.build import COMPARE_OFFSETS, COMPARE_WORDS, LevelLine, chart_spec, next_compare
from bwtui.charts.cursor import Readout, TimeCursor, clock_texts
from bwtui.charts.data import Source, WindowPoints, assemble, samples_source, series_source
from bwtui.charts.ticks import span_text, step_text
from bwtui.charts.window import Window, for_period, period_covering, zoom
from bwtui.model import Period, ResourceState
from bwtui.p95 import P95, STEP_S, committed_for, p95_billing
from bwtui.session.format import compact_rate, format_bytes, format_rate
from bwtui.session.store import Key, MonitorStore
from bwtui.ui.chart import RateChart
from bwtui.ui.text_panel import TextPanel

if TYPE_CHECKING:
    from bwtui.billing import BillingFigures
    from bwtui.config import AccountConfig
    from bwtui.history import HistoryStore

HISTORY_RELOAD_S = 600.0  # a window that follows the clock reads history again this often


class ChartSession(Protocol):
    def billing(self, state: ResourceState) -> BillingFigures | None: ...
    def account(self, name: str) -> AccountConfig | None: ...


class ChartHost(Protocol):
    """What the chart area reads from its app."""

    store: MonitorStore
    session: ChartSession

    @property
    def history(self) -> HistoryStore | None: ...


class ChartPanel(Vertical):
    """Caption, chart and readout for the selected resource."""

    DEFAULT_CSS = """
    ChartPanel { height: 1fr; min-height: 5; }
    ChartPanel > #chart-caption { height: auto; max-height: 2; }
    ChartPanel > #chart-readout { height: auto; max-height: 2; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    class PeriodWanted(Message):
        """The window needs the provider's rolling series for ``period`` kept fresh."""

        def __init__(self, period: Period) -> None:
            super().__init__()
            self.period = period

    class Changed(Message):
        """Figures the rest of the detail shows changed (the 95th percentile)."""

    def __init__(self, *, now: Callable[[], float], ascii_only: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.now = now
        self.ascii_only = ascii_only
        self.window = Window("day")
        self.compare: str | None = None
        self.cursor = TimeCursor()
        self.bytes_mode = False
        self.state: ResourceState | None = None
        self.points = WindowPoints(0.0, 0.0)
        self.compare_points: WindowPoints | None = None
        self.p95: P95 | None = None
        self.older_requests = 0  # requests spent on older points for the resource in view
        self._history: dict[tuple[object, ...], list[Source]] = {}
        self._history_at: dict[tuple[object, ...], float] = {}
        self._p95_raw: dict[Key, tuple[float, list[Source]]] = {}
        self._older: dict[tuple[object, ...], list[Source]] = {}  # from the provider, per window
        self._no_older: set[str] = set()  # providers that cannot give older windows

    def compose(self) -> ComposeResult:
        yield TextPanel(id="chart-caption")
        yield RateChart(ascii_only=self.ascii_only, id="chart")
        yield TextPanel(id="chart-readout")

    def on_mount(self) -> None:
        for panel in self.query(TextPanel):
            panel.ascii_only = self.ascii_only
        if self.state is not None:
            self.redraw()  # shown before it was mounted (it is made when first needed)

    @property
    def host(self) -> ChartHost:
        return cast(ChartHost, self.app)

    @property
    def key(self) -> Key | None:
        return None if self.state is None else self.state.resource.key

    # ----- what to show ------------------------------------------------------------------------
    def show(self, state: ResourceState | None, *, bytes_mode: bool = False) -> None:
        """Chart ``state``'s resource (the cursor resets when the resource changes)."""
        if state is None or self.state is None or state.resource.key != self.state.resource.key:
            self.cursor.clear()
        self.state = state
        self.bytes_mode = bytes_mode
        self.redraw()

    def set_window(self, window: Window) -> None:
        """Show another window; the cursor keeps its time when that time is still in view."""
        self.window = window
        self.redraw()
        if self.cursor.t is not None and not self.points.start <= self.cursor.t <= self.points.end:
            self.cursor.clear()
            self.redraw()
        self._want_period()

    def _want_period(self) -> None:
        """Ask for the provider series that covers the window (and the compare window)."""
        now, bounds = self.now(), self._period_bounds()
        wanted = self.window.provider_period(now, bounds)
        if self.compare is not None and wanted is not None:
            start = self.window.bounds(now, bounds)[0] - COMPARE_OFFSETS[self.compare]
            wanted = period_covering(start, now) or Period.MONTH
        if wanted is not None:
            self.post_message(self.PeriodWanted(wanted))

    def redraw(self) -> None:
        """Build the window's points and draw them (cheap: call on every data change)."""
        if not self.is_mounted:
            return
        chart = self.query_one(RateChart)
        state = self.state
        if state is None:
            chart.show(None)
            return
        now = self.now()
        start, end = self.window.bounds(now, self._period_bounds())
        sources = self._sources(state, start, end)
        sources.extend(self._older_sources(state, start, end, sources, now))
        points = assemble(sources, start, end)
        data = [p for p in points.points if p.in_bps is not None or p.out_bps is not None]
        if data and self.window.follows_now and data[0].t - start > (end - start) / 2:
            start = data[0].t  # only a little data so far: show it across the chart
            points = assemble(sources, start, end)
        self.points = points
        self.compare_points = None
        if self.compare is not None:
            offset = COMPARE_OFFSETS[self.compare]
            self.compare_points = assemble(sources, start - offset, end - offset)
        self._update_p95(state, now)
        levels = self._levels(state)
        has_points = any(p.in_bps is not None or p.out_bps is not None for p in points.points)
        chart.display = has_points
        chart.show(chart_spec(points, compare=self.compare_points, compare_mode=self.compare,
                              levels=levels, cursor_t=self.cursor.t if has_points else None,
                              bytes_mode=self.bytes_mode) if has_points else None)
        self._caption(state, points, has_points)
        self._readout()

    def _period_bounds(self) -> tuple[float, float] | None:
        figures = self._figures()
        return None if figures is None else (figures.period_start, figures.period_end)

    def _figures(self) -> BillingFigures | None:
        if self.state is None:
            return None
        try:
            return self.host.session.billing(self.state)
        except AttributeError:
            return None

    def _sources(self, state: ResourceState, start: float, end: float) -> list[Source | None]:
        sources: list[Source | None] = list(self._memory_sources(state))
        sources.extend(self._history_sources(state.resource.key, start, end))
        return sources

    def _memory_sources(self, state: ResourceState) -> list[Source]:
        """What the monitor holds for the resource: provider series, recent rates, loaded charts."""
        store = self.host.store
        key = state.resource.key
        sources: list[Source | None] = [series_source(store.series.get((key, p))) for p in Period]
        for period in Period:
            stored = store.history_series.get((key, period))
            if stored is not None:
                sources.append(samples_source(stored.samples, "local history", float(stored.step_s)))
        where = "readings" if _derives_rates(state) else "provider"
        sources.append(samples_source(state.history, where))
        return [source for source in sources if source is not None]

    # ----- history, read in a thread ------------------------------------------------------------
    def _history_sources(self, key: Key, start: float, end: float) -> list[Source]:
        offset = COMPARE_OFFSETS.get(self.compare or "", 0.0)
        wanted = (key, self.window, self.compare)
        loaded = self._history.get(wanted)
        age = self.now() - self._history_at.get(wanted, float("-inf"))
        if loaded is None or (self.window.follows_now and age > HISTORY_RELOAD_S):
            self._history_at[wanted] = self.now()
            self._load_history(wanted, start - offset, end)
        return loaded or []

    def _load_history(self, wanted: tuple[object, ...], start: float, end: float) -> None:
        history = self.host.history
        if history is None:
            return
        from bwtui.history_read import window_sources

        key = cast(Key, wanted[0])
        self._read(partial(window_sources, history, key, start, end), partial(self._loaded, wanted))

    def _loaded(self, wanted: tuple[object, ...], sources: list[Source]) -> None:
        self._history[wanted] = sources
        if wanted[0] == self.key:
            self.redraw()

    @work(thread=True, group="chart-history", exit_on_error=False)
    def _read(self, read: Callable[[], list[Source]], done: Callable[[list[Source]], None]) -> None:
        try:
            sources = read()
        except Exception:  # noqa: BLE001 - history is an extra: the chart goes on without it
            return
        self.app.call_from_thread(done, sources)

    # ----- older points from the provider (one request a window) ------------------------------------
    def _older_sources(self, state: ResourceState, start: float, end: float, sources: list[Source | None],
                       now: float) -> list[Source]:
        """Points the provider keeps for the window's start when nothing here covers it."""
        offset = COMPARE_OFFSETS.get(self.compare or "", 0.0)
        wanted = (state.resource.key, self.window, self.compare)
        if wanted in self._older:
            return self._older[wanted]
        if state.resource.provider in self._no_older or _derives_rates(state):
            return []
        from bwtui.charts.older import uncovered_start

        if self.window.kind != "custom" and period_covering(start - offset, now) is not None:
            return []  # the rolling series the poller fetches for this window cover it
        gap = uncovered_start(assemble(sources, start - offset, end), now=now)
        if gap is None or getattr(self.app, "poller", None) is None:
            return []
        self._older[wanted] = []
        self._fetch_older(wanted, state, gap)
        return []

    @work(group="chart-older", exit_on_error=False)
    async def _fetch_older(self, wanted: tuple[object, ...], state: ResourceState,
                           gap: tuple[float, float]) -> None:
        sources = await fetch_older(self.app, state, gap)
        if sources is None:
            self._no_older.add(state.resource.provider)
            return
        self._older[wanted] = sources
        if sources and wanted[0] == self.key:
            self.older_requests += 1
            self.redraw()

    # ----- the 95th percentile of the billing period ----------------------------------------------
    def _update_p95(self, state: ResourceState, now: float) -> None:
        figures = self._figures()
        if figures is None or _derives_rates(state):
            self.p95 = None
            return
        key = state.resource.key
        stored = self._p95_raw.get(key)
        if (stored is None or now - stored[0] > HISTORY_RELOAD_S) and self.host.history is not None:
            self._p95_raw[key] = (now, stored[1] if stored else [])
            from bwtui.history_read import window_sources

            self._read(partial(window_sources, self.host.history, key, figures.period_start, now,
                               raw_step_s=STEP_S), partial(self._p95_loaded, key, now))
        samples = [s for src in self._sources_for_p95(state) for s in src.samples]
        if stored is not None:
            samples += [s for src in stored[1] if src.step_s == STEP_S for s in src.samples]
        account = self.host.session.account(state.resource.account)
        new = p95_billing(samples, figures.period_start, figures.period_end, now,
                          committed_out_bps=committed_for(state.resource, account))
        if new != self.p95:
            self.p95 = new
            self.post_message(self.Changed())

    def _sources_for_p95(self, state: ResourceState) -> list[Source]:
        key = state.resource.key
        out = [series_source(self.host.store.series.get((key, Period.DAY))),
               samples_source(state.history, "provider", STEP_S)]
        return [s for s in out if s is not None and s.step_s == STEP_S]

    def _p95_loaded(self, key: Key, at: float, sources: list[Source]) -> None:
        self._p95_raw[key] = (at, sources)
        if key == self.key:
            self.redraw()

    def _levels(self, state: ResourceState) -> tuple[LevelLine, ...]:
        levels: list[LevelLine] = []
        if self.p95 is not None and self.p95.out_bps is not None and self.p95.points:
            levels.append(LevelLine("p95", self.p95.out_bps, "period 95th"))
        if self.p95 is not None and self.p95.committed_out_bps is not None:
            levels.append(LevelLine("commit", self.p95.committed_out_bps, "commit"))
        return tuple(levels)

    # ----- text around the chart -----------------------------------------------------------------
    def _caption(self, state: ResourceState, points: WindowPoints, has_points: bool) -> None:
        figures = self._figures()
        caption = Text()
        caption.append(self.window.title(figures.period_start if figures else None), style="bold")
        if not has_points:
            caption.append("  · " + _waiting(state), style="dim")
        else:
            wheres = " and ".join("the provider" if w == "provider" else w for w in points.wheres)
            caption.append(f"  · {points.resolution_text()} from {wheres}", style="dim")
            if self._older.get((state.resource.key, self.window, self.compare)):
                caption.append(" · 1 request for the older points", style="dim")
            if points.start > self.window.bounds(self.now(), self._period_bounds())[0] + 1:
                caption.append(f" · data for the last {span_text(points.end - points.start)}", style="dim")
            if self.compare is not None and self.compare_points is not None:
                caption.append(f"  · compare: {COMPARE_WORDS[self.compare]}", style="italic")
                if not any(p.out_bps is not None for p in self.compare_points.points):
                    caption.append(" (no data stored for then)", style="dim")
        self.query_one("#chart-caption", TextPanel).set_text(caption)

    def _readout(self) -> None:
        panel = self.query_one("#chart-readout", TextPanel)
        readout = self.cursor.readout(self.points) if self.cursor.t is not None else None
        panel.set_text(self._readout_text(readout))

    def _readout_text(self, readout: Readout | None) -> Text:
        text = Text()
        if readout is None:
            if any(p.out_bps is not None or p.in_bps is not None for p in self.points.points):
                text.append("←/→ time cursor · m peak · +/- zoom · z window · c compare · t tables",
                            style="dim")
            return text
        point = readout.point
        utc, local = clock_texts(point.t)
        end_utc, _ = clock_texts(point.end)
        mark = "^" if self.ascii_only else "▲"
        text.append(f"{mark} {utc.removesuffix(' UTC')}-{end_utc[11:]}", style="bold")
        if local:
            text.append(f" ({local})")
        text.append(f"  {step_text(point.step_s)}", style="dim")
        text.append("  in ", style="bold")
        text.append(format_rate(point.in_bps, bytes_mode=self.bytes_mode))
        text.append("  out ", style="bold")
        text.append(format_rate(point.out_bps, bytes_mode=self.bytes_mode))
        total = readout.total
        since_utc, _ = clock_texts(readout.since)
        text.append(f"\n  since {since_utc.removesuffix(' UTC')} to here: ", style="dim")
        text.append(f"in {format_bytes(total.in_bytes)}  out {format_bytes(total.out_bytes)}")
        if self.compare is not None and self.compare_points is not None:
            earlier = _at(self.compare_points, point.t - COMPARE_OFFSETS[self.compare])
            text.append(f"  · out {COMPARE_WORDS[self.compare]}: ", style="italic")
            text.append(format_rate(earlier, bytes_mode=self.bytes_mode))
        return text

    # ----- what the keys do -------------------------------------------------------------------------
    def command(self, verb: str, arg: object = None) -> None:
        """One chart key: ``cursor`` (arg: steps), ``home``, ``end``, ``peak``, ``clear``,
        ``zoom`` (arg: a ladder step, ``in`` or ``out``), ``compare``."""
        points = self.points
        if verb == "cursor":
            self.cursor.move(points, int(cast(int, arg) or 0))
        elif verb == "home":
            self.cursor.home(points)
        elif verb == "end":
            self.cursor.end(points)
        elif verb == "peak":
            self.cursor.peak(points)
        elif verb == "clear":
            self.cursor.clear()
        elif verb == "zoom":
            if arg in ("in", "out"):
                self.set_window(zoom(self.window, -1 if arg == "in" else 1))
            else:
                self.set_window(Window(str(arg)))
            return
        elif verb == "window":
            from bwtui.ui.window_prompt import WindowPrompt

            current = self.window.text if self.window.kind == "custom" else ""
            self.app.push_screen(WindowPrompt(self.now, current), self._typed_window)
            return
        elif verb in ("tables", "image"):
            self._open(verb)
            return
        elif verb == "compare":
            self.compare = next_compare(self.compare)
            if self.compare is not None and self.window.kind in ("week", "period") and self.compare == "day":
                self.compare = "week"  # a day earlier over a week is mostly the same data
            self.app.notify(f"Compare: {COMPARE_WORDS[self.compare]}" if self.compare else "Compare off",
                            timeout=2, markup=False)
            self._want_period()
        self.redraw()

    def _typed_window(self, window: Window | None) -> None:
        if window is not None:
            self.set_window(window)

    def _open(self, verb: str) -> None:
        """``t``: the period tables; ``i``: the provider's graph (of the resource in view, or the
        overview's highlighted one)."""
        app: Any = self.app
        key = app.overview.highlighted_key() if getattr(app, "view_mode", "") == "overview" else self.key
        state = self.host.store.states.get(key) if key is not None else None
        if state is None:
            return
        if verb == "tables":
            self._open_tables(state)
        else:
            from bwtui.ui.provider_image import open_image

            open_image(self.app, state, ascii_only=self.ascii_only)

    def _open_tables(self, state: ResourceState) -> None:
        from bwtui.config import AccountConfig
        from bwtui.reports import resource_table
        from bwtui.ui.period_table import PeriodTablesScreen

        resource = state.resource
        account = self.host.session.account(resource.account) or AccountConfig(resource.account, resource.provider)
        memory = [s for s in self._memory_sources(state) if s.where != "local history"]
        history = self.host.history

        def build(kind: str, extra: Sequence[Source]) -> Any:
            return resource_table(kind, resource, account, now=self.now(), history=history,
                                  memory=[*memory, *extra])

        asked: dict[tuple[float, float], list[Source]] = {}

        async def older(kind: str) -> Sequence[Source]:
            """The provider's points for what the tables reach back to (one request, once)."""
            if resource.provider in self._no_older or _derives_rates(state):
                return []
            from bwtui.reports import oldest_needed, terms_for

            now = self.now()
            period_of, _ = terms_for(resource, account)
            start = oldest_needed(kind, now, None, period_of)
            reach = min((p.t for src in memory for p in src.samples), default=now)
            if history is not None or reach - start < 3 * 3600:
                return []  # the history (or memory) has it; the table notes any gaps
            gap = (start, reach)
            if gap not in asked:
                found = await fetch_older(self.app, state, gap)
                asked[gap] = found or []
            return asked[gap]

        where = "local history and this session's data" if history is not None else "this session's data and the provider"
        title = f"{resource.name} ({resource.provider} {resource.id}) · traffic per period, from {where}"
        self.app.push_screen(PeriodTablesScreen(title, build, ascii_only=self.ascii_only, fetch_older=older))

    @on(RateChart.Clicked)
    def _clicked(self, event: RateChart.Clicked) -> None:
        self.cursor.place(self.points, event.t)
        self.redraw()

    def window_for(self, period: Period) -> None:
        """Keys 1/2/3: the day, the week, the billing period."""
        self.set_window(for_period(period))


async def fetch_older(app: Any, state: ResourceState, gap: tuple[float, float]) -> list[Source] | None:
    """One custom-window request through the poller for ``gap``; [] when it failed, None when
    the provider cannot give older windows at all."""
    from bwtui.charts.older import step_for
    from bwtui.model import ErrorKind, ProviderError

    control = getattr(app, "poller", None)
    if control is None:
        return []
    start, end = gap
    step = step_for(start, end)

    async def call(client: Any, resource: Any) -> Any:
        window = getattr(client, "fetch_window", None)
        if window is None:
            raise ProviderError(ErrorKind.NOT_FOUND, "no older windows at this provider")
        return await window(resource, start, end, step)

    try:
        series = await control.one_off(state.resource.key, call)
    except ProviderError as error:
        return None if error.message == "no older windows at this provider" else []
    except Exception:  # noqa: BLE001 - older points are an extra
        return []
    source = series_source(series, "provider")
    return [source] if source is not None else []


def _at(points: WindowPoints, t: float) -> float | None:
    for point in points.points:
        if point.t <= t < point.end:
            return point.out_bps
    return None


def _derives_rates(state: ResourceState) -> bool:
    from bwtui.session.core import rates_from_readings

    return rates_from_readings(state.resource.provider)


def _waiting(state: ResourceState) -> str:
    if _derives_rates(state):
        if state.usage is None:
            return "waiting for the first reading"
        return "waiting for the second reading: rates come from the difference of two readings"
    if state.error is not None:
        return "no points: the provider's last answer was an error"
    return "waiting for data…"
