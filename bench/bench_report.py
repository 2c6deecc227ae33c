"""Run the fleet-scale and start-up benches and print one table: each figure beside its target
and its peer (issue 15 part 5). ``--write-readme`` puts the table into README.md between the
``bench_report`` markers, so the README's figures are the ones this run printed.

Runs, each in its own process:

* ``bench_fleet.py``: 5,000 resources (first frame, RSS, every key kind while polling) and the
  same keys at 20 resources against ``--baseline`` (another checkout) when given;
* ``bench_startup.py``: ``--help``, ``status --json`` against a minimal httpx script, imports,
  the demo's first frame against glances, RSS at 20 resources;
* ``bench_poller.py --services 5000 --hours 1``: the paced request budget's per-minute histogram;
* ``bench_history.py`` (``--history``; slow: a month of 1,000 resources): free pages after
  compaction and the downsampled chart query against the full-resolution one.

    .venv/bin/python bench/bench_report.py [--baseline /tmp/base] [--history] [--write-readme]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
START, END = "<!-- bench_report:start -->", "<!-- bench_report:end -->"


def run(script: str, *args: str) -> str:
    """A bench's stdout (it prints its own progress to stdout too: the table is at the end)."""
    print(f"running bench/{script} {' '.join(args)}", file=sys.stderr, flush=True)
    result = subprocess.run([sys.executable, str(REPO / "bench" / script), *args],
                            capture_output=True, text=True, cwd=REPO)
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr)
    return result.stdout


def table_rows(output: str) -> tuple[str, list[str]]:
    """The intro paragraph and the body rows of the Markdown table a bench ends with."""
    lines = output.rstrip().splitlines()
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| Figure")]
    intro = next((line for line in lines if line.startswith("Measured by")), "")
    return intro, rows


def poller_rows(output: str) -> list[str]:
    """The pacing figures from bench_poller's text."""
    busiest = re.search(r"all hours: busiest minute ([\d.]+)% of the hour's budget.*minutes used (\d+)/(\d+)",
                        output)
    first = re.search(r"first 10 s: (\d+) requests", output)
    rows = []
    if busiest:
        share = float(busiest.group(1))
        ok = " ✓" if share <= 2.5 else " ✗"
        rows.append(f"| Paced budget, 5,000 services: busiest minute of the hour (`bench_poller.py`) "
                    f"| ≤ 2.5 % (≤ 1.5× even) | {share:.2f} %{ok}, {busiest.group(2)} of "
                    f"{busiest.group(3)} minutes used | even share 1.67 % |")
    if first:
        rows.append(f"| Requests in the first 10 s, 5,000 services | no start-up burst | "
                    f"{first.group(1)} | before pacing: 3,567 |")
    return rows


def history_rows(output: str) -> list[str]:
    """The compaction and chart-query figures from bench_history's text."""
    rows = []
    free = re.search(r"-> ([\d.]+) MB \(([\d.]+) % free pages", output)
    chart = re.search(r"month chart query, one resource: median ([\d.]+) ms \(200 points.*?full "
                      r"resolution ([\d.]+) ms", output)
    if free:
        pct = float(free.group(2))
        rows.append(f"| History free pages after compaction, 1,000 resources × 30 days "
                    f"(`bench_history.py`) | < 5 % | {pct:.1f} % of {free.group(1)} MB"
                    f"{' ✓' if pct < 5 else ' ✗'} | before: 14 % |")
    if chart:
        down, full = float(chart.group(1)), float(chart.group(2))
        rows.append(f"| Month chart query, 200 points | no slower than full resolution | "
                    f"{down:.2f} ms{' ✓' if down <= full else ' ✗'} | full resolution {full:.2f} ms |")
    return rows


def report(fleet: str, startup: str, poller: str, history: str | None) -> str:
    fleet_intro, fleet_rows = table_rows(fleet)
    startup_intro, startup_rows = table_rows(startup)
    lines = [
        "Printed by `bench/bench_report.py` (which runs the benches below, each figure beside its "
        "target and its peer measured in the same run). This machine is shared with other test "
        "runs, so absolute times move with its load; the ratios to peers hold better.",
        "",
        f"{fleet_intro}",
        f"{startup_intro}",
        "",
        "| Figure | Target | bwtui | peer |",
        "|---|---|---|---|",
        *fleet_rows,
        *startup_rows,
        *poller_rows(poller),
        *(history_rows(history) if history else []),
    ]
    notes = [line for line in (fleet + startup).splitlines() if line.startswith("Note:")]
    return "\n".join(lines + ([""] + notes if notes else []))


def write_readme(section: str) -> None:
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"README.md has no {START} … {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{section}\n{END}{tail}", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=None, help="another checkout for the 20-resource keys")
    parser.add_argument("--rounds", default="4")
    parser.add_argument("--history", action="store_true", help="also run the (slow) history bench")
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args(argv)
    fleet_args = ["--rounds", args.rounds] + (["--baseline", args.baseline] if args.baseline else [])
    fleet = run("bench_fleet.py", *fleet_args)
    startup = run("bench_startup.py")
    poller = run("bench_poller.py", "--services", "5000", "--hours", "1")
    history = run("bench_history.py") if args.history else None
    section = report(fleet, startup, poller, history)
    print(section)
    if args.write_readme:
        write_readme(section)
        print(f"\n(written into {README.name})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
