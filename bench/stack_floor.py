"""The stack's floor for the demo's first full frame (run by ``bench_startup.py`` in a pty).

The least a program on bwtui's stack does before it can show polled figures: start Python,
import Textual and httpx, fetch ``N`` JSON answers from a loopback API with one
``httpx.AsyncClient`` on its own thread (as bwtui's poller does; at most 8 connections, as each
bwtui account has) while the UI starts, and draw one line with the count once all have come.
No config, no history, no providers' parsing, no model: what is left of bwtui's start-up above
this line is bwtui's own.

    python bench/stack_floor.py URL N [HEADER:VALUE ...]
"""

from __future__ import annotations

import asyncio
import sys
import threading

done: list[int] = []


def fetch(url: str, count: int, headers: dict[str, str]) -> None:
    import httpx

    async def main() -> int:
        limits = httpx.Limits(max_connections=8, max_keepalive_connections=4)
        async with httpx.AsyncClient(limits=limits, timeout=20) as client:
            async def one() -> int:
                response = await client.get(url, headers=headers)
                return len(response.json() or ())

            return len(await asyncio.gather(*(one() for _ in range(count))))

    done.append(asyncio.run(main()))


def run(url: str, count: int, headers: dict[str, str]) -> None:
    threading.Thread(target=fetch, args=(url, count, headers), daemon=True).start()
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Floor(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("", id="line")

        def on_mount(self) -> None:
            self.set_interval(0.005, self.check)

        def check(self) -> None:
            if done:
                self.query_one("#line", Static).update(f"floor: {done[0]} answers fetched")

    Floor().run()


if __name__ == "__main__":
    extra = dict(h.split(":", 1) for h in sys.argv[3:])
    run(sys.argv[1], int(sys.argv[2]), {"Accept": "application/json", **extra})
