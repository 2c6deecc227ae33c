"""The usage panel's lines: period totals, how old they are and where they came from.

Lines are lists of ``(text, style)`` segments (Rich style strings), one label column wide, each
meant to stay on one line (a view crops a long line rather than wrapping it), so the figure a
line is about is always at its start. ``compact`` (a short terminal) merges "as of" and "from"
and leaves out "where".
"""

from __future__ import annotations

from datetime import UTC, datetime

from bwtui.model import ResourceState
from bwtui.session.format import format_age, format_bytes
from bwtui.text import safe_text

Segment = tuple[str, str]
Line = list[Segment]
LABEL_WIDTH = 8


def label(name: str) -> Segment:
    """A line's label, padded to the label column."""
    return (f"{name:<{LABEL_WIDTH}}", "bold")


def as_of_text(t: float | None, now: float) -> str:
    """``13:00 UTC (7m ago)``; the date too when it is not today (UTC); ``-`` when unknown."""
    if t is None:
        return "-"
    moment = datetime.fromtimestamp(t, UTC)
    same_day = moment.date() == datetime.fromtimestamp(now, UTC).date()
    clock = moment.strftime("%H:%M UTC" if same_day else "%Y-%m-%d %H:%M UTC")
    age = now - t
    return f"{clock} ({format_age(age)} ago)" if age >= 60 else f"{clock} (just now)"


def usage_lines(state: ResourceState, *, now: float, compact: bool = False) -> list[Line]:
    """Totals, as of, from and where (the billing lines follow from :mod:`bwtui.session.billing`)."""
    usage = state.usage
    resource = state.resource
    lines: list[Line] = []
    if usage is None:
        lines.append([label("period"), ("waiting for the first reading…", "dim")])
    else:
        lines.append([label("period"), ("in ", ""), (format_bytes(usage.period_in_bytes), "cyan"),
                      ("  out ", ""), (format_bytes(usage.period_out_bytes), "magenta")])
        as_of: Line = [label("as of"), (as_of_text(usage.as_of, now), "")]
        source = safe_text(usage.source) if usage.source else ""
        if compact:
            if source:
                as_of += [(" · ", "dim"), (source, "dim")]
            lines.append(as_of)
        else:
            lines.append(as_of)
            if source:
                lines.append([label("from"), (source, "dim")])
    where = [safe_text(x) for x in (resource.location, resource.hostname) if x]
    if not compact:
        lines.append([label("where"), (" · ".join(where) if where else "-", "")])
    return lines


def join_lines(lines: list[Line]) -> list[Segment]:
    """The lines as one run of segments, newline-separated."""
    out: list[Segment] = []
    for index, line in enumerate(lines):
        if index:
            out.append(("\n", ""))
        out.extend(line)
    return out
