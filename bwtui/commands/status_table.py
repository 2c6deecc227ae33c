"""The ``bwtui status`` table: fits the terminal, never crashes, prints every failure as a row.

Columns in order: account, name, id, location, ``IN`` then ``OUT`` (the latest rates: in before
out everywhere, as in the JSON and CSV), the period's ``PERIOD IN``/``PERIOD OUT``, the
projected outbound volume with its share of the allowance (or "too early"), the period and its
source, the time of the data with its zone and age, and a status note (the error, the alert, the
warnings). Without ``--wide`` the table fits the terminal's width: the note, then names and
accounts are cut with ``…`` (ids are shortened the same way), the least needed columns go
(period, location, period in, id), rates and times are written compactly, then the account; NAME,
IN, OUT, PERIOD OUT, PROJ. OUT, AS OF and STATUS fit 80 columns. Any column with data that had to
go is named in a footer line, the most needed first (``--wide`` shows all).
Untrusted text has its control characters escaped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bwtui.text import printable
from bwtui.units import format_rate, format_volume

ELLIPSIS = "…"
SHORT_ID = 10


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: header, alignment, how far it may shrink, and when it is dropped."""

    key: str
    header: str
    right: bool = False
    min_width: int | None = None  # None: never cut; a number: cut with "…" down to this
    drop_order: int | None = None  # None: never dropped; lower numbers go first


COLUMNS = (
    Column("account", "ACCOUNT", min_width=6, drop_order=5),
    Column("name", "NAME", min_width=8),
    Column("id", "ID", min_width=6, drop_order=4),
    Column("location", "LOC", drop_order=2),
    Column("in", "IN", right=True, drop_order=8),
    Column("out", "OUT", right=True),
    Column("period_in", "PERIOD IN", right=True, drop_order=3),
    Column("period_out", "PERIOD OUT", right=True, drop_order=7),
    Column("projected", "PROJ. OUT", right=True, drop_order=6),
    Column("period", "PERIOD", drop_order=1),
    Column("as_of", "AS OF", drop_order=9),
    Column("note", "STATUS", min_width=10),
)
# How a table too wide for the terminal is made to fit, step by step: cut a column to a width
# (never below its minimum), drop the columns up to a drop order, or write rates and times
# compactly ("compact": ``6.77 Mb/s``, the zone in the AS OF header). NAME, IN, OUT, PERIOD OUT,
# PROJ. OUT, AS OF and STATUS stay at 80 columns; a column that must go is named in the footer.
SHRINK_PLAN: tuple[tuple[str, int], ...] = (
    ("name", 24), ("note", 40), ("account", 12), ("drop", 3), ("note", 24), ("drop", 4),
    ("name", 16), ("note", 16), ("name", 12), ("note", 12), ("compact", 0), ("account", 8),
    ("drop", 5), ("name", 8), ("note", 10), ("drop", len(COLUMNS)),
)  # fmt: skip
COMPACT_HEADERS = {"as_of": "AS OF UTC"}
GAP = "  "


def compact(key: str, text: str) -> str:
    """A cell written compactly: ``6.77 Mb/s`` for ``6.77 Mbit/s``; a time without its zone
    (the header then names it)."""
    if key in ("in", "out"):
        return text.replace("bit/s", "b/s")
    if key == "as_of":
        return text.replace(" UTC", "")
    return text


def cells(text: str) -> int:
    """Terminal cells the text takes (wide East Asian characters count twice)."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, ending in ``…`` when cut."""
    if cells(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        size = cells(char)
        if used + size > width - 1:
            break
        out.append(char)
        used += size
    return "".join(out) + ELLIPSIS


def clip_note(text: str, width: int) -> str:
    """A status note cut to ``width``: at its ``kind:`` prefix (``CRITICAL…``) when too little of
    what follows would show to be read."""
    cut = clip(text, width)
    head, colon, _ = text.partition(": ")
    if cut != text and colon and cells(cut) - cells(head) - 3 < 5 and cells(head) < width:
        return head + ELLIPSIS
    return cut


def short_id(text: str) -> str:
    """Long ids (Altostrat's UUIDs) shortened to their first characters and ``…``."""
    return text if len(text) <= SHORT_ID else text[: SHORT_ID - 2] + ELLIPSIS


def time_text(iso: object, generated_at: float, *, wide: bool) -> str:
    """``14:25 UTC 5m`` (or with the date when not today, or always with ``--wide``); ``-``."""
    if not isinstance(iso, str) or not iso:
        return "-"
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return printable(iso)
    now = datetime.fromtimestamp(generated_at, UTC)
    same_day = moment.date() == now.date()
    clock = moment.strftime("%H:%M UTC" if same_day and not wide else "%Y-%m-%d %H:%M UTC")
    age_s = max(0.0, generated_at - moment.timestamp())
    return f"{clock} {age_text(age_s)}"


def age_text(age_s: float) -> str:
    """A compact age: ``40s``, ``7m``, ``3h``, ``2d``."""
    if age_s < 60:
        return f"{age_s:.0f}s"
    if age_s < 3600:
        return f"{age_s / 60:.0f}m"
    if age_s < 86400:
        return f"{age_s / 3600:.0f}h"
    return f"{age_s / 86400:.0f}d"


def _period_text(record: Mapping[str, object]) -> str:
    start, end, source = record.get("period_start"), record.get("period_end"), record.get("period_source")
    if not isinstance(start, str) or not isinstance(end, str):
        return "-"
    return f"{start[5:10]}→{end[5:10]} {source or ''}".rstrip()


def _projected_text(record: Mapping[str, object]) -> str:
    if record.get("projection") == "too_early":
        return "too early"
    projected = record.get("projected_out_bytes")
    if not isinstance(projected, (int, float)):
        return "-"
    text = format_volume(projected)
    allowance = record.get("allowance_out_bytes")
    if isinstance(allowance, (int, float)) and allowance:
        text += f" {projected / allowance * 100:.0f}%"
    return text


def _note(record: Mapping[str, object]) -> str:
    error = record.get("error")
    if isinstance(error, Mapping):
        return f"{error.get('kind')}: {error.get('message')}"
    parts: list[str] = []
    alert = record.get("alert")
    if isinstance(alert, Mapping) and alert.get("level") not in (None, "OK"):
        reasons = alert.get("reasons") or []
        parts.append(f"{alert['level']}: {'; '.join(str(r) for r in reasons)}" if reasons else str(alert["level"]))
    else:
        warnings = record.get("warnings") or []
        parts.extend(f"{w.get('kind')}: {w.get('message')}" for w in warnings if isinstance(w, Mapping))
    return " | ".join(parts) if parts else "ok"


def resource_row(record: Mapping[str, object], generated_at: float, *, wide: bool) -> dict[str, str]:
    """One resource as table cells (plain text, control characters escaped)."""
    rid = str(record.get("id") or "")
    return {
        "account": printable(str(record.get("account") or "")),
        "name": printable(str(record.get("name") or "")),
        "id": printable(rid if wide else short_id(rid)),
        "location": printable(str(record.get("location") or "-")),
        "in": format_rate(_number(record.get("in_bps"))),
        "out": format_rate(_number(record.get("out_bps"))),
        "period_in": format_volume(_number(record.get("period_in_bytes"))),
        "period_out": format_volume(_number(record.get("period_out_bytes"))),
        "projected": _projected_text(record),
        "period": _period_text(record),
        "as_of": time_text(record.get("as_of"), generated_at, wide=wide),
        "note": printable(_note(record)),
    }


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def account_row(name: str, provider: str, kind: str, message: str) -> dict[str, str]:
    """An account that failed, as a row of its own."""
    row = {column.key: "" for column in COLUMNS}
    row.update(
        account=printable(name),
        name=printable(f"(account: {provider})"),
        note=printable(f"{kind}: account failed: {message}"),
    )
    return row


@dataclass(frozen=True, slots=True)
class Layout:
    """What fits: the columns shown and their widths, whether rates and times are compact, and
    the columns with data that had to go."""

    columns: list[Column]
    widths: dict[str, int]
    compact: bool = False
    dropped: tuple[Column, ...] = ()


def layout(rows: Sequence[Mapping[str, str]], width: int | None) -> Layout:
    """The columns to show and their widths, fitting ``width`` cells (None: everything)."""
    columns = list(COLUMNS)

    def measure(key: str, squeeze: bool) -> int:
        header = COMPACT_HEADERS.get(key, "") if squeeze else ""
        column = next(c for c in COLUMNS if c.key == key)
        texts = (compact(key, row.get(key, "")) if squeeze else row.get(key, "") for row in rows)
        return max([cells(header or column.header), *(cells(text) for text in texts)])

    widths = {c.key: measure(c.key, False) for c in columns}
    squeezed = False

    def total() -> int:
        return sum(widths[c.key] for c in columns) + len(GAP) * (len(columns) - 1)

    if width is None:
        return Layout(columns, widths)
    if rows:  # a column no row fills (only failed accounts, say) gives its room to the others
        columns = [c for c in columns if c.drop_order is None or any(row.get(c.key) for row in rows)]
    filled = list(columns)

    def shrink(key: str, to: int) -> None:
        column = next(c for c in COLUMNS if c.key == key)
        if column.min_width is not None and column in columns and total() > width:
            floor = max(column.min_width, cells(column.header), to)
            widths[key] = max(min(widths[key], floor), widths[key] - (total() - width))

    def drop(up_to: int) -> None:
        for column in sorted((c for c in COLUMNS if c.drop_order is not None), key=lambda c: c.drop_order or 0):
            if total() <= width:
                return
            if column in columns and (column.drop_order or 0) <= up_to:
                columns.remove(column)

    for step in SHRINK_PLAN:
        if total() <= width:
            break
        if step[0] == "drop":
            drop(step[1])  # type: ignore[arg-type]
        elif step[0] == "compact":
            squeezed = True
            for key in ("in", "out", "as_of"):
                widths[key] = measure(key, True)
        else:
            shrink(step[0], step[1])  # type: ignore[arg-type]
    dropped = tuple(c for c in filled if c not in columns)
    return Layout(columns, widths, squeezed, dropped)


def render(
    rows: Sequence[Mapping[str, str]], footer: Sequence[str], width: int | None
) -> str:
    """The table text: header, rows, then footer lines; cut to fit ``width`` unless None. A
    column that had to go to fit is named in one more footer line."""
    fit = layout(rows, width)
    lines = []
    header = {c.key: (COMPACT_HEADERS.get(c.key, c.header) if fit.compact else c.header) for c in COLUMNS}
    for index, row in enumerate((header, *rows)):
        parts = []
        for column in fit.columns:
            text = row.get(column.key, "")
            if fit.compact and index:
                text = compact(column.key, text)
            size = fit.widths[column.key]
            text = clip_note(text, size) if column.key == "note" else clip(text, size)
            pad = " " * (size - cells(text))
            parts.append(pad + text if column.right else text + pad)
        lines.append(GAP.join(parts).rstrip())
    notes = list(footer)
    if fit.dropped:
        most_needed = sorted(fit.dropped, key=lambda c: -(c.drop_order or 0))
        names = ", ".join(c.header for c in most_needed)
        notes.append(f"--wide shows all; hidden: {names}")
    for line in notes:
        lines.append(clip(printable(line), width) if width is not None else printable(line))
    return "\n".join(lines)
