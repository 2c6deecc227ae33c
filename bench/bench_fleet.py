"""Benchmark the monitor at fleet scale in a real pty (prints figures beside targets; not a test).

Runs ``bwtui --demo --demo-size N`` (N Hivelocity services on the demo's simulator, at real
speed, so polling runs the whole time) in a 120×40 pseudo-terminal read with pyte, and
measures what issue 15 part 1 sets targets for:

* start → first full frame (all N resources listed, per the header, and a rate on screen),
  the median of ``--starts`` starts (one start moves by up to half on this machine);
* RSS of the monitor's process at the first frame and the highest sampled while polling (the
  demo's simulator runs in a child process, as a provider would: its RSS is printed beside,
  not counted, since a user with real accounts runs no simulator);
* key → screen latency, median and p95, for each key kind: every character typed into the
  filter (``/`` then ``m i r r o r``: the header's ``filter: …`` note changes), backspace,
  ``Esc`` (the note goes), ``j`` (the highlighted row moves) and ``s`` (the header's sort arrow
  moves). Rounds start right after the first frame, during the start-up burst of requests.

``--small 20`` repeats the key rounds at 20 resources, each key timed until the screen settles
(its last output before 60 ms of quiet: polling writes little at that size), and
``--baseline PATH`` runs the same on another checkout (``git archive <commit> | tar -x -C
/tmp/base``), so "no key slower than before" is measured the same way in the same run.

A key is answered when the output that shows the answer has arrived from the pty: pyte, a
pure-Python terminal parsing about 1 MB/s, reads it on another thread, so its own parsing (20-60
ms for a full 120x40 redraw in colour, where a terminal emulator takes well under 1 ms) is not
counted, and the program never waits on a full pty buffer behind it.

A lone Esc byte may start a key's escape sequence, so the monitor waits ``ESCDELAY`` ms (100 by
default) before it takes it for the Esc key; the runs set ``ESCDELAY=10`` so the Esc figure is
the app's own work (users on a fast link can set it the same way). ``--profile DIR`` records the
bwtui process with py-spy (``pip install py-spy``) during the key rounds and prints where the
time goes.

    .venv/bin/python bench/bench_fleet.py [--size 5000] [--rounds 6] [--small 20]
                                          [--baseline /tmp/base] [--profile /tmp/prof]
                                          [--starts 5]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from pty_harness import PtySession, PtyTimeout, highlighted_rows  # noqa: E402

COLS, ROWS = 120, 40
KEY_TIMEOUT_S = 3.0
FILTER_TEXT = "mirror"
RATE = re.compile(r"\d(\.\d+)?\s?[kMGT]?(bit|B)/s")
LISTED = re.compile(r"\b([1-9][\d,]*) resources\b")
TARGETS = {"first_frame_s": 1.5, "key_p95_ms": 50.0, "rss_mb": 120.0}


@dataclass
class Run:
    """One program's figures."""

    label: str
    size: int
    first_frame_s: float | None = None  # the median over every start (see --starts)
    first_frames_s: list[float] = field(default_factory=list)
    rss_first_mb: float | None = None
    rss_max_mb: float | None = None
    simulator_mb: float | None = None  # the demo's simulator process, beside the monitor's
    keys: dict[str, list[float]] = field(default_factory=dict)
    misses: Counter[str] = field(default_factory=Counter)
    note: str = ""
    profile: list[tuple[str, float]] = field(default_factory=list)

    def add(self, kind: str, ms: float | None) -> None:
        if ms is None:
            self.misses[kind] += 1
        else:
            self.keys.setdefault(kind, []).append(ms)

    def all_keys(self) -> list[float]:
        return [ms for values in self.keys.values() for ms in values]


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def rss_mb(proc: psutil.Process) -> float:
    """The monitor's own RSS: what a user with real accounts runs (no simulator in it)."""
    return proc.memory_info().rss / 1e6


def simulator_mb(proc: psutil.Process) -> float:
    """The RSS of the monitor's children: the demo's simulator, in its own process."""
    total = 0
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 1e6


ESCDELAY_MS = 10  # see the module docstring


def argv_for(repo: Path, size: int) -> tuple[list[str], dict[str, str]]:
    python = repo / ".venv" / "bin" / "python"
    interpreter = str(python) if python.exists() else sys.executable
    return ([interpreter, "-m", "bwtui", "--demo", "--demo-size", str(size)],
            {"PYTHONPATH": str(repo), "ESCDELAY": str(ESCDELAY_MS)})


def header(session: PtySession) -> str:
    return session.screen.display[0]


def column_header(session: PtySession) -> str:
    return session.screen.display[1]


def press(session: PtySession, key: str, ready: Callable[[], bool]) -> float | None:
    """Send ``key``; milliseconds until ``ready()`` holds (None: not within the timeout)."""
    session.wait_quiet(0.15, timeout=1.0)
    sent = time.monotonic()
    session.send_keys(key)
    try:
        at = session.wait_until(ready, KEY_TIMEOUT_S, what=f"the answer to {key!r}")
    except PtyTimeout:
        return None
    return (at - sent) * 1000


SETTLE_S = 0.06  # no output for this long: the screen has settled


def press_settled(session: PtySession, key: str) -> float | None:
    """Send ``key``; milliseconds until its last output before the screen went quiet.

    For few resources, where polling writes little: the whole answer (echo, list, header, any
    second frame) is timed, in any version of the program.
    """
    session.wait_quiet(0.3, timeout=2.0)
    before = session.bytes_received
    sent = time.monotonic()
    session.send_keys(key)
    try:
        session.wait_until(lambda: session.bytes_received > before, KEY_TIMEOUT_S,
                           what=f"the answer to {key!r}")
    except PtyTimeout:
        return None
    while True:
        last = session.last_output_at or sent
        if time.monotonic() - last >= SETTLE_S:
            return (last - sent) * 1000
        time.sleep(0.005)


def settled_round(session: PtySession, run: Run) -> None:
    """The same keys as :func:`key_round`, each timed until the screen settles."""
    press_settled(session, "/")
    for char in FILTER_TEXT:
        run.add("filter char", press_settled(session, char))
    for _ in range(2):
        run.add("backspace", press_settled(session, "\x7f"))
    run.add("Esc", press_settled(session, "\x1b"))
    time.sleep(0.3)
    for _ in range(3):
        run.add("j", press_settled(session, "j"))
    for _ in range(2):
        run.add("s", press_settled(session, "s"))


def filter_box_open(session: PtySession) -> bool:
    """The filter box is on screen: the bar over the overview, or the box over the sidebar."""
    return "filter by name" in session.screen.display[1] or "▔▔▔" in session.screen.display[1][:34]


def box_row(session: PtySession) -> str:
    """The filter box's text line (the sidebar's top, under the box's top border)."""
    return session.screen.display[2][:34]


def key_round(session: PtySession, run: Run, *, note: bool) -> None:
    """One round: / m i r r o r, backspace ×2, Esc, j ×3, s ×2.

    With ``note`` (this version) a filter key is answered when the header's ``filter: …`` note
    shows it (the list is redrawn in that frame); without (a version before the note) when the
    box echoes it, a lower bound.
    """
    press(session, "/", lambda: filter_box_open(session))
    typed = ""

    def shows(text: str) -> Callable[[], bool]:
        if note:
            return lambda: (f"filter: {text} ·" in header(session)) if text else (
                "filter:" not in header(session))
        return lambda: box_row(session).split("▊")[-1].split("▎")[0].strip() == text

    for char in FILTER_TEXT:
        typed += char
        run.add("filter char", press(session, char, shows(typed)))
    for _ in range(2):
        typed = typed[:-1]
        run.add("backspace", press(session, "\x7f", shows(typed)))
    if note:
        run.add("Esc", press(session, "\x1b", lambda: "filter:" not in header(session)))
    else:  # before: Esc closed the box (the filter stayed)
        run.add("Esc", press(session, "\x1b", lambda: "▔▔▔" not in session.screen.display[1][:34]))
    time.sleep(0.3)
    for _ in range(3):
        with session.lock:
            before = highlighted_rows(session.screen)
        run.add("j", press(session, "j", lambda b=before: highlighted_rows(session.screen) != b))
    for _ in range(2):
        with session.lock:
            before_header = column_header(session)
        run.add("s", press(session, "s", lambda b=before_header: column_header(session) != b))


def full_frame(display: Sequence[str], minimum: int = 1) -> bool:
    """At least ``minimum`` resources listed (the header's count) and a rate on screen."""
    shown = "\n".join(display)
    listed = LISTED.search(shown)
    return (listed is not None and int(listed.group(1).replace(",", "")) >= minimum
            and RATE.search(shown) is not None)


def first_frame_only(repo: Path, size: int) -> float | None:
    """One more start, timed to its first full frame (the key rounds need only one start)."""
    argv, env = argv_for(repo, size)
    with PtySession(argv, cols=COLS, rows=ROWS, cwd=repo, env=env, raw_limit=1 << 20) as session:
        try:
            at = session.wait_until(lambda: full_frame(session.screen.display, size), 60.0,
                                    what="first full frame")
        except PtyTimeout:
            return None
        session.send_keys("q")
    time.sleep(0.5)  # its exit never overlaps the next start
    return at - session.started_at


def measure(label: str, repo: Path, size: int, rounds: int, profile_dir: Path | None, *,
            note: bool = True, settled: bool = False) -> Run:
    run = Run(label, size)
    argv, env = argv_for(repo, size)
    print(f"[{label}] {' '.join(argv)}", flush=True)
    with PtySession(argv, cols=COLS, rows=ROWS, cwd=repo, env=env, raw_limit=1 << 20) as session:
        proc = psutil.Process(session.pid)
        try:
            at = session.wait_until(lambda: full_frame(session.screen.display, size), 60.0,
                                    what="first full frame")
        except PtyTimeout as error:
            run.note = f"no full frame within 60 s: {str(error)[:200]}"
            return run
        run.first_frame_s = at - session.started_at
        run.rss_first_mb = rss_mb(proc)
        run.simulator_mb = simulator_mb(proc)
        peak = [run.rss_first_mb]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.5):
                try:
                    peak.append(rss_mb(proc))
                except psutil.Error:
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        spy = start_profile(session.pid, profile_dir, label)
        try:
            for _ in range(rounds):
                if settled:
                    settled_round(session, run)
                else:
                    key_round(session, run, note=note)
        finally:
            stop.set()
            sampler.join()
            run.profile = stop_profile(spy)
        run.rss_max_mb = max(peak)
        session.send_keys("q")
    print(f"[{label}] first frame {run.first_frame_s:.2f} s, RSS {run.rss_first_mb:.1f} → "
          f"max {run.rss_max_mb:.1f} MB (simulator {run.simulator_mb or 0:.0f} MB); " + ", ".join(
              f"{kind} p95 {p95(v):.0f} ms" for kind, v in run.keys.items()), flush=True)
    return run


# ----- py-spy ---------------------------------------------------------------------------------
@dataclass
class Spy:
    process: subprocess.Popen[bytes]
    output: Path


def start_profile(pid: int, directory: Path | None, label: str) -> Spy | None:
    if directory is None:
        return None
    tool = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(tool).exists():
        print("py-spy is not installed (pip install py-spy): no profile", flush=True)
        return None
    directory.mkdir(parents=True, exist_ok=True)
    output = directory / f"{label.replace(' ', '_')}.txt"
    process = subprocess.Popen([tool, "record", "--pid", str(pid), "--rate", "200", "--format",
                                "raw", "--output", str(output), "--nonblocking"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return Spy(process, output)


def stop_profile(spy: Spy | None) -> list[tuple[str, float]]:
    """Stop py-spy; the functions holding most samples in the main thread, with their share."""
    if spy is None:
        return []
    spy.process.send_signal(2)
    try:
        spy.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        spy.process.kill()
        return []
    own: Counter[str] = Counter()
    total = 0
    if not spy.output.exists():
        return []
    for line in spy.output.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or "MainThread" not in stack.split(";")[0]:
            continue
        frames = stack.split(";")
        n = int(count)
        total += n
        own[_short(frames[-1])] += n
    return [(name, 100.0 * n / total) for name, n in own.most_common(12)] if total else []


def _short(frame: str) -> str:
    match = re.match(r"(.*) \((.*?)(:\d+)?\)$", frame)
    if not match:
        return frame
    name, path = match.group(1), match.group(2)
    return f"{name} ({'/'.join(path.split('/')[-2:])})"


# ----- report ---------------------------------------------------------------------------------
def fmt(value: float | None, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)


def verdict(value: float | None, target: float) -> str:
    return "" if value is None else (" ✓" if value <= target else " ✗")


def report(big: Run, small: Run | None, baseline: Run | None, load: str) -> str:
    lines = [
        f"Measured by `bench/bench_fleet.py` in a real pty ({COLS}×{ROWS}) on a "
        f"{os.cpu_count()}-core machine ({load}): `bwtui --demo --demo-size {big.size}` at real "
        "speed, the simulator in its own process (its RSS beside the monitor's, not counted); key "
        "rounds start at the first frame, during the start-up burst of requests.",
        "",
        "| Figure | Target | bwtui | peer |",
        "|---|---|---|---|",
        f"| First full frame, {big.size:,} resources, median of {len(big.first_frames_s)} "
        f"start{'s' if len(big.first_frames_s) != 1 else ''} | ≤ 1.5 s | "
        f"{fmt(big.first_frame_s, '{:.2f} s')}{verdict(big.first_frame_s, 1.5)} | "
        f"{', '.join(f'{s:.2f}' for s in big.first_frames_s) or '—'} s |",
        f"| RSS at first frame → highest while polling, {big.size:,} resources | ≤ 120 MB | "
        f"{fmt(big.rss_first_mb, '{:.1f}')} → {fmt(big.rss_max_mb, '{:.1f} MB')}"
        f"{verdict(big.rss_max_mb, 120)} | the demo's simulator process: "
        f"{fmt(big.simulator_mb, '{:.0f} MB')} |",
    ]
    for kind in ("filter char", "backspace", "Esc", "j", "s"):
        values = big.keys.get(kind, [])
        peer = "—"
        if baseline is not None and baseline.keys.get(kind):
            peer = f"before, {baseline.size} resources, settled: {p95(baseline.keys[kind]):.0f} ms"
        if not values and big.misses[kind]:
            lines.append(f"| `{kind}` → screen while polling, {big.size:,} resources | ≤ 50 ms p95 | "
                         f"no answer within {KEY_TIMEOUT_S:.0f} s ({big.misses[kind]} keys) ✗ | {peer} |")
        if values:
            lines.append(
                f"| `{kind}` → screen while polling, {big.size:,} resources: median / p95 | ≤ 50 ms p95 | "
                f"{statistics.median(values):.0f} / {p95(values):.0f} ms ({len(values)} keys"
                f"{', ' + str(big.misses[kind]) + ' missed' if big.misses[kind] else ''})"
                f"{verdict(p95(values), 50)} | {peer} |")
    if small is not None:
        for kind in ("filter char", "backspace", "Esc", "j", "s"):
            values = small.keys.get(kind, [])
            if not values:
                continue
            before = baseline.keys.get(kind) if baseline is not None else None
            target = f"≤ before ({p95(before):.0f} ms)" if before else "no slower than before"
            ok = "" if not before else verdict(p95(values), max(p95(before), 1.0) * 1.1)
            lines.append(f"| `{kind}` → screen settled, {small.size} resources: median / p95 | {target} | "
                         f"{statistics.median(values):.0f} / {p95(values):.0f} ms{ok} | "
                         f"{'before: %.0f / %.0f ms' % (statistics.median(before), p95(before)) if before else '—'} |")
    notes = [r.note for r in (big, small, baseline) if r is not None and r.note]
    if notes:
        lines += ["", *(f"Note: {note}" for note in notes)]
    return "\n".join(lines)


def load_text() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f}"


def compile_sources(*repos: Path) -> None:
    """Byte-compile each checkout's bwtui first: an installed bwtui has its .pyc files, and with
    PYTHONDONTWRITEBYTECODE set (as on this machine) every start would compile the sources."""
    for repo in repos:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(repo / "bwtui")], check=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--small", type=int, default=20, help="0 skips the small run")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another checkout to run the small rounds on (same run)")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy output directory")
    parser.add_argument("--starts", type=int, default=5,
                        help="starts timed to the first frame at --size (one start is noisy)")
    args = parser.parse_args(argv)
    # The pty reader notes each chunk's arrival while another thread parses it into the pyte
    # screen; a short switch interval lets the reader take the GIL within 1 ms of a chunk.
    sys.setswitchinterval(0.001)
    compile_sources(REPO, *([args.baseline] if args.baseline else []))
    load = load_text()
    big = measure(f"bwtui {args.size}", REPO, args.size, args.rounds, args.profile)
    if big.first_frame_s is not None:
        big.first_frames_s = [big.first_frame_s]
        for _ in range(args.starts - 1):
            frame = first_frame_only(REPO, args.size)
            if frame is not None:
                big.first_frames_s.append(frame)
        big.first_frame_s = statistics.median(big.first_frames_s)
    small = baseline = None
    if args.small:
        small = measure(f"bwtui {args.small}", REPO, args.small, args.rounds, None, settled=True)
        if args.baseline is not None:
            baseline = measure(f"before {args.small}", args.baseline, args.small, args.rounds, None,
                               settled=True)
    if big.profile:
        print(f"\nWhere the main thread's time goes during the key rounds ({args.size} resources, "
              "py-spy, own time):")
        for name, share in big.profile:
            print(f"  {share:5.1f} %  {name}")
    print()
    print(report(big, small, baseline, load))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
