"""The help screen (every key, the status glyphs, where the data comes from) and the command
palette's entries (every action by name)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from bwtui.session.status import STATUS_GLYPHS, STATUS_STYLES, STATUS_WORDS
from bwtui.ui.chart_keys import KEYS_HELP

KEYS: tuple[tuple[str, str], ...] = (
    ("↑ ↓  j k", "move in the sidebar or the overview"),
    ("enter", "open the highlighted resource"),
    ("o", "overview of every resource ⇄ detail of one"),
    ("s", "overview: sort by the next column (click a header: by it; again: reversed)"),
    *KEYS_HELP,
    ("r", "refresh the selected resource now (R: everything)"),
    ("p", "pause / resume polling"),
    ("b", "rates in bits/s ⇄ bytes/s"),
    ("a", "add an account (the key is checked with the provider first)"),
    ("/", "filter resources by name (enter keeps it; empty or Esc clears it)"),
    ("? F1", "this help (? or q closes it)"),
    ("ctrl+p", "command palette: every action by name"),
    ("q", "quit"),
)

# The command palette (ctrl+p): title, help line, and the app action it runs (as in a Binding).
PALETTE: tuple[tuple[str, str, str], ...] = (
    ("Overview / detail", "Toggle the overview of every resource (o)", "toggle_overview"),
    ("Refresh now", "Poll the selected resource now (r)", "refresh"),
    ("Refresh everything", "Poll every resource now (R)", "refresh_all"),
    ("Pause / resume polling", "Stop or restart polling (p)", "toggle_pause"),
    ("Bits / bytes", "Show rates in bit/s or B/s (b)", "toggle_units"),
    ("Chart: last hour", "Chart the last hour (4)", "chart('zoom', '1h')"),
    ("Chart: last 6 hours", "Chart the last 6 hours (5)", "chart('zoom', '6h')"),
    ("Chart: last day", "Chart the last 24 hours (1)", "period('day')"),
    ("Chart: last week", "Chart the last 7 days (2)", "period('week')"),
    ("Chart: billing period", "Chart the current billing period from its start (3)", "period('month')"),
    ("Chart: type a window", "A window such as -6h..now or 2026-01-15 03:00..2026-01-15 04:00 (z)",
     "chart('window')"),
    ("Compare with earlier", "Overlay the same window a day / a week earlier (c)", "chart('compare')"),
    ("Jump to the peak", "Put the time cursor on the highest out rate (m)", "chart('peak')"),
    ("Period tables", "Traffic per hour, per day and per billing period (t)", "chart('tables')"),
    ("Provider's graph", "The provider's own bandwidth image (i; one request)", "chart('image')"),
    ("Filter by name", "Show only resources whose name matches (/)", "filter"),
    ("Sort overview", "Sort by the next column: rates, totals, %, cost, age, name (s)", "cycle_sort"),
    ("Help", "Keys and status glyphs (? or F1)", "help"),
    ("Add account", "Add a provider account; the key is checked first (a)", "add_account"),
)
DEMO_COMMAND = ("Start the demo", "Simulated accounts (d)", "start_demo")


def help_text(*, ascii_only: bool = False) -> Text:
    """The help body (plain Text: nothing in it is markup)."""
    text = Text()
    text.append("Keys\n", style="bold underline")
    width = max(len(keys) for keys, _ in KEYS)
    for keys, what in KEYS:
        text.append(f"  {keys:<{width}}", style="bold")
        text.append(f" {what}\n")
    text.append("\nStatus\n", style="bold underline")
    for status, (unicode_glyph, ascii_glyph) in STATUS_GLYPHS.items():
        text.append(f"  {ascii_glyph if ascii_only else unicode_glyph:<3}", style=STATUS_STYLES[status])
        text.append(f" {STATUS_WORDS[status]}\n")
    text.append("\nData\n", style="bold underline")
    text.append(
        "  Hivelocity: 5-minute points per service; period totals = In/Out Xfer ÷ 8.\n"
        "  Altostrat: billing-period byte counters; rates are the difference between readings.\n"
        "  Month-end projections are linear estimates (usage so far ÷ time elapsed × period).\n"
        "  The 95th percentile is of the billing period's 5-minute points, with how many it rests on.\n"
        "  bwtui only reads: it never changes anything at a provider.\n"
    )
    return text


class HelpScreen(ModalScreen[None]):
    """Modal help; closes with ?, F1, q, enter or escape."""

    BINDINGS = [
        Binding("question_mark", "close", "Close", id="help-close"),
        Binding("f1", "close", "Close", show=False, id="help-close-f1"),
        Binding("q", "close", "Close", show=False, id="help-close-q"),
        Binding("enter", "close", "Close", show=False, id="help-close-enter"),
        Binding("escape", "close", "Close", show=False, id="help-close-escape"),
    ]

    def __init__(self, *, ascii_only: bool = False) -> None:
        super().__init__()
        self.ascii_only = ascii_only

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(Text("bwtui help", style="bold"), id="help-title")
            yield Static(help_text(ascii_only=self.ascii_only), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
