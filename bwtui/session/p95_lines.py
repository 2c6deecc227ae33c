"""The usage panel's 95th-percentile line, as ``(text, style)`` segments (no Textual)."""

from __future__ import annotations

from bwtui.p95 import P95
from bwtui.session.format import format_rate

Segment = tuple[str, str]


def p95_lines(p95: P95 | None, *, bytes_mode: bool = False) -> list[Segment]:
    """``p95     out 35.6 Mbit/s · 576 of 4,061 5-min points (14 %) · 3 above the commit``."""
    if p95 is None:
        return []
    out: list[Segment] = [("p95     ", "bold")]
    if not p95.points or p95.out_bps is None:
        out.append(("no 5-minute points of this billing period stored yet", "dim"))
        return out
    out.append((f"out {format_rate(p95.out_bps, bytes_mode=bytes_mode)}", "bold"))
    coverage = "all" if p95.complete else f"{p95.points:,} of {p95.expected_points:,}"
    out.append((f" · {coverage} 5-min points", "dim"))
    if not p95.complete:
        out.append((f" ({p95.coverage * 100:.0f} %)", "dim"))
    if p95.committed_out_bps is not None and p95.above_commit is not None:
        style = "bold red" if p95.above_commit else ""
        out.append((f" · {p95.above_commit:,} above the "
                    f"{format_rate(p95.committed_out_bps, bytes_mode=bytes_mode)} commit", style))
    return out
