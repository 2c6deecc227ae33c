"""Benchmark start-up against its floor and its peers (prints figures beside targets; not a test).

Issue 15 part 3, each figure measured in the same run as its peer, cold processes, medians:

* ``bwtui --help`` against ``python -c pass`` (target ≤ 3×);
* ``bwtui status --json`` against a minimal httpx script making the same requests (target
  ≤ 1.1×). The simulator runs in this process behind a recorder; the script replays the
  recorded requests (same headers, each started once the requests that had finished before it
  in the recording have finished again, so the waves of listing then per-resource requests
  are the same) with one ``httpx.AsyncClient`` and prints a JSON summary;
* what each command imports of Textual, starlette, uvicorn, plotext, ``httpx._main``, click,
  rich and pygments (none, for ``--help`` and ``status``);
* the demo's first full frame in a pty against glances (target ≤ 0.5 s or ≤ 1.6× glances),
  the two started in turn (``--starts`` each), glances installed from PyPI into a throwaway
  venv under ``--cache`` when missing;
* the stack's floor for that frame, started in turn with the two (``bench/stack_floor.py``: a
  Textual app that draws one line once httpx, on its own thread, has fetched as many loopback
  answers as the demo's first round asks for); what is above it is bwtui's own start-up;
* RSS at 20 resources (the demo with 6 Hivelocity services) after the first frame and a short
  window (target ≤ 55 MB): the monitor's process, which is all a user with real accounts
  runs; the demo's simulator runs in a child process and its RSS is printed beside.

    .venv/bin/python bench/bench_startup.py [--runs 9] [--no-glances] [--cache DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

FIRST_ROUND_REQUESTS = 36  # what the demo at 20 resources asks before its first frame
SETTLE_S = 0.5  # after each pty start: the last one's exit never overlaps the next one's start
WATCHED = ("textual", "starlette", "uvicorn", "plotext", "httpx._main", "click", "rich", "pygments")
TOKENS = {"hv": "demo-hv-key", "vpn": "alto_sk_demo", "hz": "demo-hz-token", "vultr": "demo-vultr-key"}

PEER_SCRIPT = '''\
import asyncio, json, sys
import httpx

async def main(path):
    plan = json.load(open(path))
    done = [asyncio.Event() for _ in plan]
    results = [None] * len(plan)
    async with httpx.AsyncClient(timeout=20) as client:
        async def one(i, request):
            for j in request["after"]:
                await done[j].wait()
            response = await client.request(request["method"], request["url"],
                                            headers=request["headers"])
            results[i] = (response.status_code, len(response.json() or ()))
            done[i].set()
        await asyncio.gather(*(one(i, r) for i, r in enumerate(plan)))
    json.dump({"responses": len(results), "ok": sum(s == 200 for s, _ in results)}, sys.stdout)

asyncio.run(main(sys.argv[1]))
'''


@dataclass
class Figures:
    python_s: list[float] = field(default_factory=list)
    help_s: list[float] = field(default_factory=list)
    status_s: list[float] = field(default_factory=list)
    peer_s: list[float] = field(default_factory=list)
    requests: int = 0
    imports: dict[str, list[str]] = field(default_factory=dict)
    demo_frame_s: float | None = None
    glances_frame_s: float | None = None
    floor_frame_s: float | None = None  # bench/stack_floor.py: Textual + httpx, nothing else
    rss_20_mb: float | None = None
    rss_20_end_mb: float | None = None
    simulator_20_mb: float | None = None  # the demo's simulator, a child process: not counted
    demo_frames_s: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def timed(argv: Sequence[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(argv)} exited {result.returncode}:\n{result.stderr[-2000:]}")
    return elapsed


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


# ----- the recorder and the simulator -------------------------------------------------------
class Recorder:
    """An ASGI wrapper that notes each HTTP request's method, URL, headers, start and end."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[dict[str, Any]] = []
        self.recording = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.recording:
            await self.app(scope, receive, send)
            return
        entry = {
            "method": scope["method"],
            "path": scope["path"] + (("?" + scope["query_string"].decode()) if scope["query_string"] else ""),
            "headers": {k.decode(): v.decode() for k, v in scope["headers"]
                        if k.decode().lower() not in ("host", "content-length", "user-agent",
                                                      "accept-encoding", "connection")},
            "started": time.perf_counter(),
        }
        self.requests.append(entry)
        try:
            await self.app(scope, receive, send)
        finally:
            entry["finished"] = time.perf_counter()

    def plan(self, base_url: str) -> list[dict[str, Any]]:
        """The recorded requests in start order, each with the ones it waits for."""
        ordered = sorted(self.requests, key=lambda r: r["started"])
        plan = []
        for index, request in enumerate(ordered):
            after = [j for j, earlier in enumerate(ordered[:index])
                     if earlier.get("finished", 0) < request["started"]]
            plan.append({"method": request["method"], "url": base_url + request["path"],
                         "headers": request["headers"], "after": after})
        return plan


def write_config(path: Path, base: str) -> None:
    path.write_text(
        f'[[account]]\nname = "hv"\nprovider = "hivelocity"\nbase_url = "{base}/hivelocity/api/v2"\n\n'
        f'[[account]]\nname = "vpn"\nprovider = "altostrat"\nbase_url = "{base}/altostrat"\n'
        f'path_prefix = "/vpn"\n\n'
        f'[[account]]\nname = "hz"\nprovider = "hetzner"\nbase_url = "{base}/hetzner/v1"\n\n'
        f'[[account]]\nname = "vultr"\nprovider = "vultr"\nbase_url = "{base}/vultr/v2"\n'
    )


def fresh_state(env: dict[str, str], tmp: Path) -> dict[str, str]:
    """``env`` with an empty state dir: every status run makes the same full pass (no shared
    budget ledger, no stored readings from the run before)."""
    state = Path(tempfile.mkdtemp(prefix="state-", dir=tmp))
    return {**env, "XDG_STATE_HOME": str(state)}


def base_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BWTUI_", "XDG_"))}
    env.update(
        XDG_CONFIG_HOME=str(tmp / "config"), XDG_STATE_HOME=str(tmp / "state"),
        XDG_DATA_HOME=str(tmp / "data"), XDG_CACHE_HOME=str(tmp / "cache"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", PYTHONPATH=str(REPO),
    )
    for name, token in TOKENS.items():
        env[f"BWTUI_TOKEN_{name.upper()}"] = token
    return env


PROBE = """
import json, sys
from bwtui.cli import main
try:
    main(sys.argv[2:])
except SystemExit:
    pass
json.dump(sorted(n for n, m in sys.modules.items() if m is not None), open(sys.argv[1], "w"))
"""


def imported(argv: Sequence[str], env: dict[str, str], tmp: Path) -> list[str]:
    """Which watched modules a ``bwtui`` command really loads (a blocked import is not one)."""
    out = tmp / "modules.json"
    subprocess.run([sys.executable, "-c", PROBE, str(out), *argv], env=env, capture_output=True,
                   cwd=REPO)
    names = set(json.loads(out.read_text()))
    return [w for w in WATCHED if any(n == w or n.startswith(w + ".") for n in names)]


def peer_imports(script: Path, plan: Path, env: dict[str, str], tmp: Path) -> list[str]:
    out = tmp / "peer-modules.json"
    code = (f"import json, runpy, sys; sys.argv = [{str(script)!r}, {str(plan)!r}]; "
            f"runpy.run_path({str(script)!r}, run_name='__main__'); "
            f"json.dump(sorted(n for n, m in sys.modules.items() if m is not None), "
            f"open({str(out)!r}, 'w'))")
    subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, cwd=REPO)
    names = set(json.loads(out.read_text()))
    return [w for w in WATCHED if any(n == w or n.startswith(w + ".") for n in names)]


def measure_commands(runs: int, figures: Figures) -> None:
    from bwtui.simulator import Simulator, SimulatorConfig
    from bwtui.testing.serving import serve_app

    simulator = Simulator(SimulatorConfig(rate_limit_per_hour=1_000_000,
                                          hetzner_requests_per_hour=1_000_000,
                                          vultr_requests_per_s=100_000))
    recorder = Recorder(simulator.app)
    with tempfile.TemporaryDirectory() as tmp_name, serve_app(recorder) as server:
        tmp = Path(tmp_name)
        env = base_env(tmp)
        config = tmp / "bench.toml"
        write_config(config, server.base_url.rstrip("/"))
        status = [sys.executable, "-m", "bwtui", "status", "--json", "--config", str(config)]
        timed(status, fresh_state(env, tmp))  # the simulator's own first-request work
        recorder.recording = True
        timed(status, fresh_state(env, tmp))
        recorder.recording = False
        plan = recorder.plan(server.base_url.rstrip("/"))
        figures.requests = len(plan)
        plan_file = tmp / "plan.json"
        plan_file.write_text(json.dumps(plan))
        peer_file = tmp / "peer.py"
        peer_file.write_text(PEER_SCRIPT)
        peer = [sys.executable, str(peer_file), str(plan_file)]
        python = [sys.executable, "-c", "pass"]
        help_ = [sys.executable, "-m", "bwtui", "--help"]
        timed(peer, env)
        for _ in range(runs):  # interleaved, so load changes hit every figure alike
            figures.python_s.append(timed(python, env))
            figures.help_s.append(timed(help_, env))
            figures.status_s.append(timed(status, fresh_state(env, tmp)))
            figures.peer_s.append(timed(peer, env))
        figures.imports["bwtui --help"] = imported(["--help"], env, tmp)
        figures.imports["bwtui status --json"] = imported(status[3:], fresh_state(env, tmp), tmp)
        figures.imports["bwtui check"] = imported(["check", "--config", str(config)],
                                                  fresh_state(env, tmp), tmp)
        figures.imports["minimal httpx script"] = peer_imports(peer_file, plan_file, env, tmp)


# ----- the demo in a pty ------------------------------------------------------------------------
def measure_demo(figures: Figures, glances: str | None, window_s: float, starts: int = 5) -> None:
    """The demo's first full frame, glances' and the stack floor's, ``starts`` of each,
    alternated so a change in the machine's load hits all alike; RSS after the first start's
    frame and its window."""
    import psutil

    from bench_fleet import full_frame, rss_mb, simulator_mb  # noqa: PLC0415 - pty helpers
    from pty_harness import PtySession, PtyTimeout

    frames: list[float] = []
    peer: list[float] | None = [] if glances is not None else None
    floor: list[float] = []
    # 6 Hivelocity services, 6 Altostrat, 4 Hetzner, 4 Vultr: 20 resources
    argv = [sys.executable, "-m", "bwtui", "--demo", "--demo-size", "6"]
    with _floor_server() as floor_url:
        floor_argv = [sys.executable, str(REPO / "bench" / "stack_floor.py"), floor_url,
                      str(FIRST_ROUND_REQUESTS), f"X-API-KEY:{TOKENS['hv']}"]
        for _ in range(starts):
            with PtySession(argv, cols=120, rows=40, cwd=REPO, env={"PYTHONPATH": str(REPO)}) as s:
                at = s.wait_until(lambda: full_frame(s.screen.display, 20), 60.0,
                                  what="first full frame")
                frames.append(at - s.started_at)
                if figures.rss_20_mb is None:
                    proc = psutil.Process(s.pid)
                    figures.rss_20_mb = rss_mb(proc)
                    figures.simulator_20_mb = simulator_mb(proc)
                    time.sleep(window_s)
                    figures.rss_20_end_mb = rss_mb(proc)
                s.send_keys("q")
            time.sleep(SETTLE_S)
            with PtySession(floor_argv, cols=120, rows=40, cwd=REPO) as s:
                at = s.wait_until(lambda: "answers fetched" in "\n".join(s.screen.display), 60.0,
                                  what="the stack floor's line")
                floor.append(at - s.started_at)
                s.send_keys("\x03")
            time.sleep(SETTLE_S)
            if peer is None:
                continue
            with PtySession([str(glances)], cols=120, rows=40, cwd=REPO) as s:
                try:
                    at = s.wait_until(lambda: _glances_ready(s.screen.display), 60.0,
                                      what="glances")
                except PtyTimeout as error:
                    figures.notes.append(f"glances drew no full frame: {str(error)[:120]}")
                    peer = None
                    continue
                peer.append(at - s.started_at)
                s.send_keys("q")
            time.sleep(SETTLE_S)
    figures.demo_frames_s = frames
    figures.demo_frame_s = median(frames)
    figures.glances_frame_s = median(peer) if peer else None
    figures.floor_frame_s = median(floor) if floor else None


@contextlib.contextmanager
def _floor_server() -> Iterator[str]:
    """``bwtui simulate`` in a child process (its CPU is not the measured program's, as the
    demo's simulator is not): the URL of the listing the floor fetches."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "bwtui", "simulate", "--port", str(port), "--services", "6",
         "--rate-limit", "1000000"], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/hivelocity/api/v2/service/?status=all"
    try:
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, headers={"X-API-KEY": TOKENS["hv"]}, timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the floor's simulator did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(10)


def _glances_ready(display: Sequence[str]) -> bool:
    shown = "\n".join(display)
    return "CPU" in shown and "MEM" in shown and "LOAD" in shown


def glances_command(cache: Path) -> str | None:
    """glances from PyPI in a throwaway venv under ``cache`` (installed once)."""
    found = shutil.which("glances")
    if found:
        return found
    venv = cache / "glances-venv"
    binary = venv / "bin" / "glances"
    if not binary.exists():
        print(f"installing glances into {venv} (PyPI) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        result = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "glances==4.5.8"],
                                capture_output=True, text=True)
        if result.returncode != 0:
            print(f"could not install glances: {result.stderr[-500:]}", flush=True)
            return None
    return str(binary)


def compiled_bytecode() -> None:
    """Compile bwtui's modules to bytecode first, as installing a wheel does: this machine sets
    PYTHONDONTWRITEBYTECODE, so a module changed since its last compile was compiled again at
    every start of every measured process (0.5 s more for the demo after a merge)."""
    import compileall

    compileall.compile_dir(str(REPO / "bwtui"), quiet=1)


# ----- report ------------------------------------------------------------------------------------
def ok(good: bool) -> str:
    return " ✓" if good else " ✗"


def report(f: Figures, runs: int) -> str:
    py, help_, status, peer = (median(f.python_s), median(f.help_s), median(f.status_s),
                               median(f.peer_s))
    one, five, _ = os.getloadavg()
    lines = [
        f"Measured by `bench/bench_startup.py` on a {os.cpu_count()}-core machine (load average "
        f"{one:.1f} / {five:.1f}), cold processes, median of {runs} interleaved runs; the demo "
        f"in a 120×40 pty, median of {len(f.demo_frames_s)} starts alternated with glances'.",
        "",
        "| Figure | Target | bwtui | peer |",
        "|---|---|---|---|",
        f"| `bwtui --help` | ≤ 3× `python -c pass` | {help_:.3f} s = {help_ / py:.2f}×{ok(help_ / py <= 3)} "
        f"| `python -c pass` {py:.3f} s |",
        f"| `bwtui status --json`, 4 accounts, {f.requests} requests | ≤ 1.1× the httpx script | "
        f"{status:.3f} s = {status / peer:.2f}×{ok(status / peer <= 1.1)} | minimal httpx script "
        f"{peer:.3f} s |",
    ]
    if f.demo_frame_s is not None:
        target_ok = f.demo_frame_s <= 0.5 or (
            f.glances_frame_s is not None and f.demo_frame_s <= 1.6 * f.glances_frame_s)
        ratio = f" = {f.demo_frame_s / f.glances_frame_s:.2f}×" if f.glances_frame_s else ""
        lines.append(
            f"| Demo start → first full frame, 20 resources | ≤ 0.5 s or ≤ 1.6× glances | "
            f"{f.demo_frame_s:.2f} s{ratio}{ok(target_ok)} | "
            f"{'glances %.2f s' % f.glances_frame_s if f.glances_frame_s else '—'} |")
    if f.floor_frame_s is not None and f.demo_frame_s is not None:
        versus = (f" = {f.floor_frame_s / f.glances_frame_s:.2f}× glances"
                  if f.glances_frame_s else "")
        lines.append(
            f"| The stack's floor for that frame: Textual draws one line once httpx (own thread) "
            f"has {FIRST_ROUND_REQUESTS} loopback answers | (what bwtui cannot go below) | "
            f"demo = {f.demo_frame_s / f.floor_frame_s:.2f}× the floor | "
            f"floor {f.floor_frame_s:.2f} s{versus} |")
    if f.rss_20_mb is not None:
        worst = max(f.rss_20_mb, f.rss_20_end_mb or 0)
        simulator = (f"the demo's simulator process: {f.simulator_20_mb:.0f} MB"
                     if f.simulator_20_mb else "—")
        lines.append(f"| RSS of the monitor's process at 20 resources, first frame → after the "
                     f"window | ≤ 55 MB | {f.rss_20_mb:.1f} → {f.rss_20_end_mb:.1f} MB"
                     f"{ok(worst <= 55)} | {simulator} |")
    for command, found in f.imports.items():
        lines.append(f"| `{command}` loads | none of {', '.join(WATCHED[:5])} | "
                     f"{', '.join(found) if found else 'none'} | |")
    lines += ["", *(f"Note: {note}" for note in f.notes)]
    return "\n".join(lines).rstrip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--window", type=float, default=10.0, help="seconds before the 2nd RSS")
    parser.add_argument("--starts", type=int, default=5, help="demo (and glances) starts")
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--no-glances", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bwtui-bench")
    args = parser.parse_args(argv)
    compiled_bytecode()
    figures = Figures()
    measure_commands(args.runs, figures)
    if not args.no_demo:
        glances = None if args.no_glances else glances_command(args.cache)
        measure_demo(figures, glances, args.window, args.starts)
    print()
    print(report(figures, args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
