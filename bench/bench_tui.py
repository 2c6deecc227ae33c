"""Benchmark the monitor in a real pty (prints figures; not a test).

Runs ``bwtui --demo`` in a pseudo-terminal of 120×40 (screen read with pyte, like the smoke
test), with the simulated clock at real speed, and measures what issue 3 sets targets for:

* start → first full frame (demo accounts and a resource rate on screen), 20 resources;
* idle CPU (% of one core, psutil on the child) and terminal output (bytes/s), averaged over
  ``--duration`` seconds (default 60) after a short warm-up;
* RSS after the first frame and at the end of that window (``--soak 3600``: RSS sampled every
  minute for an hour as well);
* with ``--big-size`` (default 1000) resources: first frame and key-to-screen latency (``j``
  pressed repeatedly while polling runs; time until the highlighted row on screen moves),
  median and p95;
* the same idle figures for ``btop`` in the same pty setup, when it is installed.

The demo runs its simulator in a child process, as a provider would: bwtui's figures are the
monitor's process (what a user with real accounts runs); the simulator's are printed beside.
Ends with a Markdown table the README can take as it is.

    .venv/bin/python bench/bench_tui.py [--duration 60] [--soak 3600] [--no-btop]
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from pty_harness import PtySession, PtyTimeout, highlighted_rows  # noqa: E402

COLS, ROWS = 120, 40
KEY_TIMEOUT_S = 3.0
DEMO_ACCOUNTS = ("hv-demo", "vpn-demo")
RATE = re.compile(r"\d(\.\d+)?\s?[kMGT]?(bit|B)/s")


@dataclass
class IdleFigures:
    """What one program cost while left alone in the pty."""

    label: str
    first_listed_s: float | None = None
    first_frame_s: float | None = None
    quit_s: float | None = None
    exit_code: int | None = None
    cpu_pct: float | None = None
    out_bps: float | None = None
    rss_start_mb: float | None = None
    rss_end_mb: float | None = None
    soak_rss_mb: list[float] = field(default_factory=list)
    note: str = ""


@dataclass
class BigFigures:
    """First frame and key latency with many resources."""

    size: int
    first_listed_s: float | None = None
    first_frame_s: float | None = None
    latencies_ms: list[float] = field(default_factory=list)
    misses: int = 0
    note: str = ""


COMMAND_OVERRIDE: list[str] = []


def demo_argv(size: int, speed: float, extra: Sequence[str]) -> list[str]:
    if COMMAND_OVERRIDE:
        return [*COMMAND_OVERRIDE, *extra]
    return [
        sys.executable,
        "-m",
        "bwtui",
        "--demo",
        "--demo-size",
        str(size),
        "--demo-speed",
        str(speed),
        *extra,
    ]


LISTED = re.compile(r"\b[1-9]\d* resources\b")


def listed_frame(display: Sequence[str]) -> bool:
    """The resource list is drawn: the demo accounts, or the header's resource count."""
    shown = "\n".join(display)
    return all(name in shown for name in DEMO_ACCOUNTS) or LISTED.search(shown) is not None


def full_frame(display: Sequence[str]) -> bool:
    """The resource list is drawn and at least one rate from a poll is on screen."""
    shown = "\n".join(display)
    return listed_frame(display) and RATE.search(shown) is not None


def spawn(argv: Sequence[str], term: str) -> PtySession:
    return PtySession(
        argv,
        cols=COLS,
        rows=ROWS,
        term=term,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO)},
        raw_limit=1 << 20,
    )


def rss_mb(proc: psutil.Process) -> float:
    """Resident memory of the process itself, in MB (10^6 bytes): not its children (the demo's
    simulator runs in one, see :func:`children_figures`)."""
    return proc.memory_info().rss / 1e6


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def children_figures(proc: psutil.Process) -> tuple[float, float]:
    """(CPU seconds, RSS MB) of the process's children: the demo's simulator, beside the monitor."""
    cpu = rss = 0.0
    for child in proc.children(recursive=True):
        try:
            times, memory = child.cpu_times(), child.memory_info()
        except psutil.NoSuchProcess:
            continue
        cpu += times.user + times.system
        rss += memory.rss / 1e6
    return cpu, rss


def wait_frames(session: PtySession, figures: IdleFigures | BigFigures, listed, ready,
                timeout_s: float) -> bool:
    """Record when the list is first drawn and when the first full frame is; False on timeout."""
    try:
        at = session.wait_until(lambda: listed(session.screen.display), timeout_s, what="a list")
        figures.first_listed_s = at - session.started_at
        at = session.wait_until(
            lambda: ready(session.screen.display), timeout_s, what="first full frame"
        )
        figures.first_frame_s = at - session.started_at
    except PtyTimeout as error:
        figures.note = f"no full frame within {timeout_s:.0f} s"
        print(error, flush=True)
        return False
    return True


def quit_and_time(session: PtySession, figures: IdleFigures) -> None:
    """Press q and time how long the program takes to exit."""
    sent = time.monotonic()
    session.send_keys("q")
    try:
        figures.exit_code = session.wait_exit(timeout=15)
    except subprocess.TimeoutExpired:
        figures.note = "still running 15 s after q"
        return
    figures.quit_s = time.monotonic() - sent


def measure_idle(
    label: str,
    argv: Sequence[str],
    *,
    listed: Callable[[Sequence[str]], bool],
    ready: Callable[[Sequence[str]], bool],
    term: str,
    duration_s: float,
    warmup_s: float,
    soak_s: float = 0.0,
    timeout_s: float = 30.0,
) -> IdleFigures:
    """Start ``argv``, wait for ``ready``, then measure CPU, output and RSS over a window."""
    figures = IdleFigures(label)
    print(f"[{label}] starting: {shlex.join(argv)}", flush=True)
    with spawn(argv, term) as session:
        if not wait_frames(session, figures, listed, ready, timeout_s):
            return figures
        proc = psutil.Process(session.pid)
        figures.rss_start_mb = rss_mb(proc)
        print(
            f"[{label}] list drawn after {figures.first_listed_s:.3f} s, "
            f"first full frame after {figures.first_frame_s:.3f} s",
            flush=True,
        )
        time.sleep(warmup_s)
        cpu0, bytes0, t0 = cpu_seconds(proc), session.bytes_received, time.monotonic()
        child_cpu0 = children_figures(proc)[0]
        time.sleep(duration_s)
        cpu1, bytes1, t1 = cpu_seconds(proc), session.bytes_received, time.monotonic()
        child_cpu1, child_rss = children_figures(proc)
        figures.cpu_pct = 100.0 * (cpu1 - cpu0) / (t1 - t0)
        figures.out_bps = (bytes1 - bytes0) / (t1 - t0)
        figures.rss_end_mb = rss_mb(proc)
        print(
            f"[{label}] over {t1 - t0:.1f} s: CPU {figures.cpu_pct:.2f} % of a core, "
            f"output {figures.out_bps:.0f} B/s, RSS {figures.rss_start_mb:.1f} → "
            f"{figures.rss_end_mb:.1f} MB",
            flush=True,
        )
        if child_rss:
            print(f"[{label}] beside it, its child processes (the demo's simulator): CPU "
                  f"{100.0 * (child_cpu1 - child_cpu0) / (t1 - t0):.2f} % of a core, RSS "
                  f"{child_rss:.1f} MB", flush=True)
        if soak_s > 0:
            figures.soak_rss_mb.append(figures.rss_end_mb)
            end = time.monotonic() + soak_s
            while time.monotonic() < end and session.process.poll() is None:
                time.sleep(min(60.0, max(0.0, end - time.monotonic())))
                figures.soak_rss_mb.append(rss_mb(proc))
                print(f"[{label}] soak RSS {figures.soak_rss_mb[-1]:.1f} MB", flush=True)
        if session.process.poll() is not None:
            figures.note = f"{label} exited early with code {session.process.returncode}"
            return figures
        quit_and_time(session, figures)
        print(f"[{label}] q → exit {figures.exit_code} in {fmt(figures.quit_s, '{:.2f}')} s")
    return figures


def measure_big(
    size: int, *, speed: float, term: str, presses: int, extra: Sequence[str]
) -> BigFigures:
    """First frame with ``size`` services, then `j` → highlight-moved latency while polling.

    The change timed is the highlighted (cursor) row moving or its row changing, found by
    background colour, so redraws from polling alone do not count as the key's answer.
    """
    figures = BigFigures(size)
    argv = demo_argv(size, speed, extra)
    print(f"[big] starting: {shlex.join(argv)}", flush=True)
    with spawn(argv, term) as session:
        if not wait_frames(session, figures, listed_frame, full_frame, 60.0):
            return figures
        print(
            f"[big] list drawn after {figures.first_listed_s:.3f} s, "
            f"first full frame after {figures.first_frame_s:.3f} s",
            flush=True,
        )
        time.sleep(2.0)
        for _ in range(presses):
            # Let earlier output settle so the change we time is the key's own.
            session.wait_quiet(0.15, timeout=1.0)
            with session.lock:
                before = highlighted_rows(session.screen)
            sent = time.monotonic()
            session.send_keys("j")
            try:
                changed = session.wait_until(
                    lambda: highlighted_rows(session.screen) != before,
                    KEY_TIMEOUT_S,
                    what="the highlighted row to move",
                )
            except PtyTimeout:
                figures.misses += 1
                continue
            figures.latencies_ms.append((changed - sent) * 1000)
        if figures.misses:
            figures.note = (
                f"{figures.misses} of {presses} presses did not move the highlighted row "
                f"within {KEY_TIMEOUT_S:.0f} s"
            )
        if figures.latencies_ms:
            print(
                f"[big] key-to-screen median {median(figures.latencies_ms):.1f} ms, "
                f"p95 {p95(figures.latencies_ms):.1f} ms over {len(figures.latencies_ms)} presses",
                flush=True,
            )
        session.send_keys("q")
    return figures


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def btop_ready(display: Sequence[str]) -> bool:
    shown = "\n".join(display).lower()
    return "cpu" in shown and "mem" in shown


def fmt(value: float | None, pattern: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{pattern.format(value)}{unit}"


def rss_pair(figures: IdleFigures | None) -> str:
    if figures is None or figures.rss_start_mb is None:
        return "n/a"
    return f"{figures.rss_start_mb:.1f} → {fmt(figures.rss_end_mb, '{:.1f}')} MB"


def soak_text(figures: IdleFigures) -> str:
    samples = figures.soak_rss_mb
    if len(samples) < 2:
        return ""
    return (
        f"{samples[0]:.1f} → {samples[-1]:.1f} MB over {len(samples) - 1} min "
        f"(min {min(samples):.1f}, max {max(samples):.1f})"
    )


def markdown_table(
    demo: IdleFigures, big: BigFigures | None, btop: IdleFigures | None, btop_note: str, args
) -> str:
    def row(figure: str, target: str, ours: str, theirs: str | None = None) -> str:
        return f"| {figure} | {target} | {ours} | {theirs if theirs is not None else '—'} |"

    def secs(value: float | None) -> str:
        return fmt(value, "{:.2f}", " s")

    other = btop if btop is not None else IdleFigures("btop")
    shown = btop is not None
    lines = [
        f"Measured by `bench/bench_tui.py` in a real pty ({COLS}×{ROWS}, TERM={args.term}) on a "
        f"{os.cpu_count()}-core machine: `bwtui --demo --demo-size {args.size}` "
        f"{'at real speed' if args.demo_speed == 1 else f'at {args.demo_speed:g}× demo speed'}, "
        f"idle window {args.duration:.0f} s after a {args.warmup:.0f} s warm-up. The demo serves "
        "its simulated APIs from a child process: bwtui's column is the monitor's process (what a "
        "user with real accounts runs); the simulator's figures are printed above the table.",
        "",
        "| Figure | Target | bwtui | btop |",
        "|---|---|---|---|",
        row(
            f"Start → resource list drawn ({args.size} resources)",
            "",
            secs(demo.first_listed_s),
            secs(other.first_listed_s) if shown else None,
        ),
        row(
            f"Start → first full frame with data ({args.size} resources)",
            "≤ 1 s",
            secs(demo.first_frame_s),
            secs(other.first_frame_s) if shown else None,
        ),
        row(
            "Idle CPU (% of one core)",
            "≤ 0.5 %",
            fmt(demo.cpu_pct, "{:.2f}", " %"),
            fmt(other.cpu_pct, "{:.2f}", " %") if shown else None,
        ),
        row(
            "Terminal output (average)",
            "≤ 1 KB/s",
            fmt(demo.out_bps, "{:.0f}", " B/s"),
            fmt(other.out_bps, "{:.0f}", " B/s") if shown else None,
        ),
        row(
            "RSS after first frame → end of window",
            "≤ 80 MB",
            rss_pair(demo),
            rss_pair(other) if shown else None,
        ),
    ]
    if soak_text(demo):
        lines.append(row("RSS over the soak, sampled each minute", "flat", soak_text(demo)))
    lines.append(
        row(
            "`q` → process exited",
            "",
            f"{secs(demo.quit_s)} (exit code {demo.exit_code})",
            f"{secs(other.quit_s)} (exit code {other.exit_code})" if shown else None,
        )
    )
    if big is not None:
        lines.append(row(f"Start → resource list drawn, {big.size} resources", "",
                         secs(big.first_listed_s)))
        lines.append(row(f"Start → first full frame, {big.size} resources", "≤ 2 s",
                         secs(big.first_frame_s)))
        if big.latencies_ms:
            lines.append(
                row(
                    f"Key-to-screen (`j`) while polling, {big.size} resources: median / p95",
                    "≤ 100 ms",
                    f"{median(big.latencies_ms):.1f} / {p95(big.latencies_ms):.1f} ms "
                    f"({len(big.latencies_ms)} presses)",
                )
            )
        else:
            lines.append(row(f"Key-to-screen, {big.size} resources", "≤ 100 ms",
                             f"n/a ({big.note})"))
    notes = [note for note in (demo.note, big.note if big else "", btop_note) if note]
    if notes:
        lines += ["", *(f"Note: {note}." for note in notes)]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="idle window, seconds")
    parser.add_argument("--warmup", type=float, default=5.0, help="settle time before the window")
    parser.add_argument("--soak", type=float, default=0.0, help="also sample RSS every minute")
    parser.add_argument("--size", type=int, default=20, help="demo services for the idle run")
    parser.add_argument("--big-size", type=int, default=1000, help="0 skips the latency run")
    parser.add_argument("--presses", type=int, default=40, help="`j` presses for latency")
    parser.add_argument("--demo-speed", type=float, default=1.0)
    parser.add_argument("--term", default="xterm-256color")
    parser.add_argument("--no-btop", action="store_true", help="skip the btop comparison")
    parser.add_argument(
        "--app-args", default="", help="extra bwtui options, e.g. '--theme ansi --ascii'"
    )
    parser.add_argument(
        "--command", default="", help="run this instead of bwtui (to check the harness itself)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    extra = shlex.split(args.app_args)
    COMMAND_OVERRIDE[:] = shlex.split(args.command)
    demo = measure_idle(
        f"bwtui --demo-size {args.size}",
        demo_argv(args.size, args.demo_speed, extra),
        listed=listed_frame,
        ready=full_frame,
        term=args.term,
        duration_s=args.duration,
        warmup_s=args.warmup,
        soak_s=args.soak,
    )
    big = None
    if args.big_size > 0:
        big = measure_big(
            args.big_size,
            speed=args.demo_speed,
            term=args.term,
            presses=args.presses,
            extra=extra,
        )
    btop = None
    btop_note = ""
    btop_path = shutil.which("btop")
    if args.no_btop:
        btop_note = "btop comparison skipped (--no-btop)"
    elif btop_path is None:
        btop_note = "btop is not installed (`apt-get install -y btop`), so no comparison"
    else:
        btop = measure_idle(
            "btop",
            [btop_path],
            listed=btop_ready,
            ready=btop_ready,
            term=args.term,
            duration_s=args.duration,
            warmup_s=args.warmup,
        )
        btop_note = "btop with its default settings (2 s update) and a fresh config"
    print()
    print(markdown_table(demo, big, btop, btop_note, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
