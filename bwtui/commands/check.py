"""``bwtui check``: one monitoring-plugin line for Nagios, Icinga, Zabbix or cron.

Output: ``BWTUI OK|WARNING|CRITICAL|UNKNOWN - <summary> | <perfdata>`` and exit 0/1/2/3. The worst
resource wins, in the order critical > unknown > warning > ok. Thresholds come from the config
(per account, per-resource overrides) unless ``--warning``/``--critical`` are given: those set the
out-rate thresholds (``--direction in|both`` for the in rate too) for every selected resource,
in bits/s with SI suffixes (``500M`` = 500 Mbit/s); percent-of-allowance thresholds from the
config still apply. Plugin problems (bad config, bad argument) are UNKNOWN with exit 3, as the
plugin guidelines ask, never exit 2 (which means CRITICAL to a monitoring system).

With no flags and no thresholds in the config, the overage flag still applies (the same default as
the monitor): projected at or above 90 % of the allowance by the period's end is WARNING, at or
above 100 % CRITICAL; a resource whose figures carry a units warning is UNKNOWN. ``--availability``
is a plain availability check instead: no thresholds, no overage; every account and resource
answering is OK, any failure CRITICAL.

Perfdata per resource (label ``'<account>/<id> <metric>'``): ``in`` and ``out`` in bits/s as
plain numbers, ``period_out`` and ``projected_out`` in bytes (``B``) with the allowance as max.
Evaluation and formatting are pure functions (:func:`evaluate_check`); :func:`run` only collects.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from bwtui.billing import BillingFigures
from bwtui.commands.common import add_collector_option, add_config_option, poll_for
from bwtui.config import Thresholds
from bwtui.exits import ConfigProblem, UsageError
from bwtui.model import ProviderError, ResourceState
from bwtui.text import printable
from bwtui.thresholds import Evaluation, Level, evaluate, overage_levels, worst

MAX_LISTED = 5


@dataclass(frozen=True, slots=True)
class CheckItem:
    """One resource to judge: its state, billing figures and effective thresholds."""

    state: ResourceState
    billing: BillingFigures | None
    thresholds: Thresholds


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The plugin's verdict; ``line`` is what it prints."""

    level: Level
    summary: str
    perfdata: tuple[str, ...] = field(default_factory=tuple)

    @property
    def exit_code(self) -> int:
        return self.level.exit_code

    @property
    def line(self) -> str:
        text = f"BWTUI {self.level.value} - {self.summary}"
        return f"{text} | {' '.join(self.perfdata)}" if self.perfdata else text


_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f|]")


def plugin_text(text: str) -> str:
    """Untrusted text fit for the one plugin line: no control characters, no ``|``."""
    return _UNSAFE.sub("?", text)


def _label(item: CheckItem, metric: str) -> str:
    resource = item.state.resource
    raw = f"{resource.account}/{resource.id} {metric}"
    return "'" + re.sub(r"[\x00-\x1f\x7f-\x9f'=|]", "_", raw) + "'"


def _num(value: float | None, *, pct: bool = False) -> str:
    if value is None:
        return ""
    return f"{value:.2f}" if pct else str(round(value))


def _perf(label: str, value: float | None, uom: str, *bounds: float | None) -> str:
    fields_ = [_num(b) for b in bounds]
    while fields_ and fields_[-1] == "":
        fields_.pop()
    head = f"{label}={'U' if value is None else _num(value)}{uom if value is not None else ''}"
    return ";".join([head, *fields_])


def perfdata_for(item: CheckItem) -> list[str]:
    """Perfdata for one resource: rates in bits/s, period and projected outbound bytes."""
    state, fig, th = item.state, item.billing, item.thresholds
    out = [
        _perf(_label(item, "in"), state.in_bps, "", th.warn_in_bps, th.crit_in_bps, 0),
        _perf(_label(item, "out"), state.out_bps, "", th.warn_out_bps, th.crit_out_bps, 0),
    ]
    if fig is not None and fig.used_out_bytes is not None:
        allowance = fig.allowance_out_bytes
        warn = crit = None
        if allowance is not None:
            warn_pct, crit_pct, _ = overage_levels(th)  # the default overage flag included
            if warn_pct is not None:
                warn = allowance * warn_pct / 100
            if crit_pct is not None:
                crit = allowance * crit_pct / 100
        out.append(
            _perf(_label(item, "period_out"), fig.used_out_bytes, "B", None, None, 0, allowance)
        )
        if fig.projected_out_bytes is not None:
            out.append(
                _perf(
                    _label(item, "projected_out"),
                    fig.projected_out_bytes,
                    "B",
                    warn,
                    crit,
                    0,
                    allowance,
                )
            )
    return out


def evaluate_check(
    items: Sequence[CheckItem],
    account_problems: Sequence[tuple[str, str]] = (),
    *,
    empty_reason: str = "no resources to check",
    max_listed: int = MAX_LISTED,
) -> CheckResult:
    """The plugin verdict for these resources and failed accounts (name, message); pure."""
    judged: list[tuple[CheckItem, Evaluation]] = [
        (item, evaluate(item.state, item.billing, item.thresholds)) for item in items
    ]
    problems: list[tuple[Level, str]] = [
        (Level.UNKNOWN, f"account {name}: {message}") for name, message in account_problems
    ]
    for item, evaluation in judged:
        if evaluation.level is not Level.OK:
            resource = item.state.resource
            who = f"{resource.account}/{resource.name or resource.id}"
            problems.append((evaluation.level, f"{who}: {', '.join(evaluation.reasons)}"))
    perfdata = tuple(p for item, _ in judged for p in perfdata_for(item))
    if not judged and not problems:
        return CheckResult(Level.UNKNOWN, plugin_text(empty_reason))
    level = worst(lv for lv, _ in problems) if problems else Level.OK
    total = len(judged)
    noun = "resource" if total == 1 else "resources"
    if not problems:
        return CheckResult(Level.OK, f"{total} {noun} OK", perfdata)
    counts = []
    resource_problems = problems[len(account_problems):]
    for lv in (Level.CRITICAL, Level.UNKNOWN, Level.WARNING):
        n = sum(1 for p, _ in resource_problems if p is lv)
        if n:
            word = lv.value.lower()
            counts.append(f"{n} {word}s" if word == "warning" and n != 1 else f"{n} {word}")
    # Resources are counted over the resources checked, failed accounts apart ("1 unknown of 0
    # resources" read as nonsense when an account could not even list its resources).
    head = [f"{', '.join(counts)} of {total} {noun}"] if counts else (
        [f"{total} {noun} OK"] if total else [])
    if account_problems:
        accounts = len(account_problems)
        head.append(f"{accounts} account{'s' if accounts != 1 else ''} unknown")
    problems.sort(key=lambda p: -p[0].rank)
    listed = [f"{lv.value}: {text}" for lv, text in problems[:max_listed]]
    if len(problems) > max_listed:
        listed.append(f"+{len(problems) - max_listed} more")
    summary = f"{', '.join(head)}; " + "; ".join(listed)
    return CheckResult(level, plugin_text(summary), perfdata)


def with_cli_thresholds(
    base: Thresholds, warning_bps: float | None, critical_bps: float | None, direction: str
) -> Thresholds:
    """``--warning``/``--critical`` over the config's rate thresholds for the chosen direction."""
    changes: dict[str, float] = {}
    for prefix, value in (("warn", warning_bps), ("crit", critical_bps)):
        if value is None:
            continue
        if direction in ("out", "both"):
            changes[f"{prefix}_out_bps"] = value
        if direction in ("in", "both"):
            changes[f"{prefix}_in_bps"] = value
    return replace(base, **changes)


def select(
    states: Iterable[ResourceState], account: str | None, resource_id: str | None
) -> list[ResourceState]:
    """The states matching ``--account`` and ``--resource`` (exact id, or exact name)."""
    chosen = []
    for state in states:
        res = state.resource
        if account is not None and res.account != account:
            continue
        if resource_id is not None and resource_id not in (res.id, res.name):
            continue
        chosen.append(state)
    return chosen


# -- command-line part ---------------------------------------------------------------------------


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="one monitoring-plugin line (Nagios/Icinga/Zabbix), exit 0/1/2/3",
        description=(
            "Poll once and print `BWTUI OK|WARNING|CRITICAL|UNKNOWN - summary | perfdata`. "
            "Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; the worst resource wins "
            "(critical > unknown > warning > ok). With no flags the config's thresholds apply, "
            "and the overage flag is on by default: projected >= 90%% of the allowance by the "
            "period's end is WARNING, >= 100%% CRITICAL (`flag_overage = false` in the config "
            "turns it off). A units warning on a resource is UNKNOWN. When the request budget "
            "this host's bwtui processes share is low (a monitor needs it), check sends nothing "
            "and says UNKNOWN (exit 3) with the reason ('budget low'); a CRITICAL that the "
            "figures kept in history show still wins."
        ),
    )
    parser.add_argument("--account", metavar="NAME", help="only this account")
    parser.add_argument("--resource", metavar="ID", help="only this resource (id or exact name)")
    parser.add_argument(
        "--warning", metavar="RATE", help="out-rate warning threshold in bits/s, e.g. 500M"
    )
    parser.add_argument(
        "--critical", metavar="RATE", help="out-rate critical threshold in bits/s, e.g. 800M"
    )
    parser.add_argument(
        "--direction",
        choices=("out", "in", "both"),
        default="out",
        help="which rate --warning/--critical apply to (default: out)",
    )
    parser.add_argument(
        "--availability",
        action="store_true",
        help="plain availability check: OK when every account and resource answers, CRITICAL "
        "otherwise (no thresholds, no overage flag)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="check the built-in simulated provider APIs"
    )
    add_config_option(parser)
    add_collector_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the plugin line; never a traceback (a plugin failure is UNKNOWN, exit 3)."""
    try:
        result = _check(args)
    except Exception as error:  # noqa: BLE001 - a plugin must answer UNKNOWN, not crash
        message = getattr(error, "message", None) or str(error) or type(error).__name__
        result = CheckResult(Level.UNKNOWN, plugin_text(printable(str(message))[:300]))
    sys.stdout.write(result.line + "\n")
    return result.exit_code


def _parse_rate(text: str | None, option: str) -> float | None:
    if text is None:
        return None
    from bwtui.si import parse_si

    try:
        return parse_si(text)
    except ValueError as error:
        raise _Unknown(f"{option}: {error}") from None


class _Unknown(Exception):
    """A plugin problem reported as UNKNOWN."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _check(args: argparse.Namespace) -> CheckResult:
    warning = _parse_rate(getattr(args, "warning", None), "--warning")
    critical = _parse_rate(getattr(args, "critical", None), "--critical")
    if warning is not None and critical is not None and warning > critical:
        raise _Unknown("--warning is above --critical; make the warning level the lower one")
    account = getattr(args, "account", None)
    resource_id = getattr(args, "resource", None)
    try:
        shot = poll_for(args, only_account=account, when_short="unknown")
    except ConfigProblem as error:
        raise _Unknown(f"config: {error}") from None
    except UsageError as error:
        raise _Unknown(str(error)) from None
    if shot.history_note:
        print(f"bwtui: {shot.history_note}", file=sys.stderr)
    from bwtui.thresholds import effective_thresholds

    if getattr(args, "availability", False):
        return availability(shot, select(shot.states, account, resource_id), resource_id)
    by_name = {a.name: a for a in shot.config.accounts}
    items = []
    for state in select(shot.states, account, resource_id):
        acct = by_name[state.resource.account]
        thresholds = with_cli_thresholds(
            effective_thresholds(acct, state.resource.id),
            warning,
            critical,
            getattr(args, "direction", "out"),
        )
        items.append(CheckItem(state, shot.billing.get(state.resource.key), thresholds))
    problems = [(r.name, _error_text(r.error)) for r in shot.accounts if r.error is not None]
    # Short of the host's shared request budget, nothing was spent (the monitor keeps the last
    # requests): UNKNOWN with the reason, once, while cached figures are still judged.
    for result in shot.accounts:
        note = result.budget
        if note is not None and result.error is None:
            problems.append((result.name, f"{note.text}; not polled, to leave them to the monitor"))
            cached = set(note.cached)
            for item in items:
                if item.state.resource.key in cached and item.state.stale:
                    item.state.error = None
    if resource_id is not None:
        # A failing account cannot be blamed for a resource that lives elsewhere.
        problems = problems if not items else []
    empty = (
        f"no resource matches {resource_id!r}" if resource_id is not None else "no resources found"
    )
    return evaluate_check(items, problems, empty_reason=empty)


def _error_text(error: ProviderError) -> str:
    return f"{error.kind.value}: {error.message or error}"


def availability(shot, states: Sequence[ResourceState], resource_id: str | None) -> CheckResult:  # noqa: ANN001 - OneShot
    """``--availability``: OK when every account and selected resource answered, else CRITICAL."""
    problems = [f"account {r.name}: {_error_text(r.error)}" for r in shot.accounts if r.error is not None]
    if resource_id is not None and states:
        problems = []
    for state in states:
        if state.error is not None:
            resource = state.resource
            problems.append(f"{resource.account}/{resource.name or resource.id}: {_error_text(state.error)}")
    total = len(states)
    noun = "resource" if total == 1 else "resources"
    if not problems:
        if not states:
            return CheckResult(Level.UNKNOWN, "no resources found" if resource_id is None
                               else plugin_text(f"no resource matches {resource_id!r}"))
        return CheckResult(Level.OK, f"{total} {noun} answering")
    listed = problems[:MAX_LISTED] + ([f"+{len(problems) - MAX_LISTED} more"] if len(problems) > MAX_LISTED else [])
    failing = sum(1 for state in states if state.error is not None)
    head = [f"{failing} failing of {total} {noun}"] if failing else []
    if len(problems) > failing:
        accounts = len(problems) - failing
        head.append(f"{accounts} account{'s' if accounts != 1 else ''} failing")
    return CheckResult(Level.CRITICAL, plugin_text(f"{', '.join(head)}; " + "; ".join(listed)))
