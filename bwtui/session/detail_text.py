"""The detail pane's words outside the chart: rate lines, the account summary, budget notes.

Each function returns ``(text, style)`` segments (Rich style strings; untrusted text made safe),
so the wording is tested here and the view only assembles it. No Textual.

* A rate says what it is: ``now`` for a provider's live series or readings, ``daily average
  (today so far)`` for a provider that only gives UTC days (Vultr): never passed off as live.
  When its data is older than 1.5 of the provider's steps it says how old (``7m ago``).
* An account says what is wrong and what to do (no token, rejected key, provider not loaded),
  what its listing held that bwtui does not watch, and how its request budget is doing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from bwtui.events import BudgetUpdated
from bwtui.hints import fix_hint
from bwtui.pools import PoolFigures, pool_key, pools
from bwtui.session.format import compact_rate, format_age, format_bytes, format_rate
from bwtui.session.store import AccountView, Key, MonitorStore
from bwtui.text import safe_text

Segment = tuple[str, str]
DAILY = "daily_average"
ERROR_WORDS = {"provider_not_loaded": "provider not loaded"}


def clock(t: float) -> str:
    """``14:05 UTC``."""
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M UTC")


def rate_line(direction: str, current: float | None, avg: float | None, peak: float | None, *,
              rate_basis: str | None, age_s: float | None, bytes_mode: bool) -> list[Segment]:
    """``in  now 1.25 Mbit/s  avg 1.54M  max 4.94M`` (with the age when old; Vultr's daily
    average says so instead of "now")."""
    out: list[Segment] = [(f"{direction:<4}", "bold cyan" if direction == "in" else "bold magenta")]
    if rate_basis == DAILY:
        out.append((format_rate(current, bytes_mode=bytes_mode), "bold"))
        out.append((" daily average (today so far)", "dim"))
    else:
        out.append((f"now {format_rate(current, bytes_mode=bytes_mode)}", "bold"))
        out.append((f"  avg {compact_rate(avg, bytes_mode=bytes_mode)}", ""))
    out.append((f"  max {compact_rate(peak, bytes_mode=bytes_mode)}", ""))
    if age_s is not None:
        out.append((f"  {format_age(age_s)} ago", "bold yellow"))
    return out


def short_rate(bps: float | None, rate_basis: str | None, *, bytes_mode: bool) -> str:
    """A rate for a list column: a daily average reads ``avg 10.2M``, never like a live rate."""
    if rate_basis == DAILY and bps is not None:
        return "avg " + compact_rate(bps, bytes_mode=bytes_mode)
    return format_rate(bps, bytes_mode=bytes_mode)


def budget_note(budget: BudgetUpdated | None, *, now: float, step_s: float | None) -> list[Segment]:
    """What the request budget does to this account's polling, or nothing when it keeps up."""
    if budget is None:
        return []
    if budget.blocked_until is not None and budget.blocked_until > now:
        return [("budget  ", "bold"),
                (f"the provider answered 429: no requests until {clock(budget.blocked_until)}", "bold magenta")]
    if budget.stretch <= 1.05:
        return []
    out: list[Segment] = [("budget  ", "bold")]
    if step_s:
        out.append((f"polled every {format_age(step_s * budget.stretch)} instead of {format_age(step_s)}",
                     "yellow"))
    else:
        out.append((f"polled {budget.stretch:.1f}× less often than its data changes", "yellow"))
    if budget.reason:
        out.append((f" ({safe_text(budget.reason, max_len=120)})", "dim"))
    return out


def pool_of(store: MonitorStore, key: Key) -> PoolFigures | None:
    """The pooled allowance a resource shares (Vultr), with its members' use."""
    state = store.states.get(key)
    if state is None or pool_key(state.resource) is None:
        return None
    view = store.accounts.get(key[0])
    if view is None:
        return None
    members = [(r, store.states[r.key].usage if r.key in store.states else None) for r in view.resources]
    wanted = pool_key(state.resource)
    return next((p for p in pools(members) if p.key == wanted), None)


def pool_line(pool: PoolFigures | None) -> list[Segment]:
    """``pool    4 instances share 8.00 TB out: 2.10 TB used (26%)``."""
    if pool is None:
        return []
    count = len(pool.members)
    out: list[Segment] = [("pool    ", "bold"),
                          (f"{count} instance{'s' if count != 1 else ''} share ", "")]
    if pool.allowance_out_bytes is None:
        out.append(("an allowance (a member's share is unknown)", "dim"))
    else:
        out.append((f"{format_bytes(pool.allowance_out_bytes)} out: {format_bytes(pool.used_out_bytes)} used", ""))
        if pool.used_pct is not None:
            out.append((f" ({pool.used_pct:.0f}%)", "bold red" if pool.used_pct >= 100 else ""))
    return out


def account_lines(view: AccountView, *, now: float, step_s: float | None) -> list[Segment]:
    """An account's summary: its error and the fix, skipped items, the request budget."""
    out: list[Segment] = []

    def line(*parts: Segment) -> None:
        if out:
            out.append(("\n", ""))
        out.extend(parts)

    if view.error:
        line((f"{error_word(view.error_kind)}: ", "bold red"),
             (safe_text(view.error, max_len=400), ""))
        hint = account_fix(view)
        if hint:
            line((hint, "italic"))
    if view.skipped:
        count = len(view.skipped)
        line((f"{count} item{'s' if count != 1 else ''} listed but not watched:", "bold"))
        for item in view.skipped[:8]:
            name = f" {safe_text(item.name, max_len=40)}" if item.name else ""
            line((f"  {safe_text(item.id, max_len=24)}{name}", ""), (f" ({safe_text(item.reason, max_len=80)})", "dim"))
        if count > 8:
            line((f"  … and {count - 8} more (bwtui status --json lists them)", "dim"))
    limit = view.rate_limit
    if limit is not None:
        text = f"API budget: {_or_dash(limit.remaining)} of {_or_dash(limit.limit)} requests left"
        if limit.reset_s is not None:
            text += f", resets {clock(limit.observed_at + limit.reset_s)}"
        line((text, ""))
    note = budget_note(view.budget, now=now, step_s=step_s)
    if note:
        line(*note)
    return out


def error_word(kind: str | None) -> str:
    """An account error's kind as the views name it (``provider not loaded``, ``auth``...)."""
    kind = kind or "error"
    return ERROR_WORDS.get(kind, kind.replace("_", "-"))


def account_problem_lines(accounts: Iterable[AccountView], *, glyph_of: Callable[[str], str]) -> list[Segment]:
    """Every failing account with its error and the fix, for a view with nothing else to show
    of it (an account that lists nothing has no row of its own); empty when none fails."""
    out: list[Segment] = []
    for view in accounts:
        if not view.error or view.error_kind == "rate_limited":
            continue
        if out:
            out.append(("\n", ""))
        out.append((f"{glyph_of('error')} ", "bold red"))
        out.append((safe_text(view.name), "bold"))
        out.append((f" ({error_word(view.error_kind)}): ", "bold red"))
        out.append((safe_text(view.error, max_len=200), ""))
        hint = account_fix(view)
        if hint:
            out.append((f"\n  {hint}", "italic"))
    return out


def account_fix(view: AccountView) -> str | None:
    """What to do about an account's error."""
    if view.error_kind == "provider_not_loaded":
        return (f"Fix: the '{safe_text(view.provider)}' provider could not be loaded, so this account "
                "is not polled (its token is not the problem). `bwtui providers` shows why; "
                "reinstall or repair the plug-in's package, then restart bwtui.")
    return fix_hint(view.error_kind, view.provider, view.name, view.error or "")


def skipped_note(view: AccountView) -> str:
    """``2 skipped`` for an account's row (empty when nothing was skipped)."""
    return f"{len(view.skipped)} skipped" if view.skipped else ""


def _or_dash(value: object) -> str:
    return "-" if value is None else str(value)
