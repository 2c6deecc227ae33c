"""A headless Chromium driven through the DevTools protocol (aiohttp's WebSocket client).

The wall screen draws its terminal on a canvas (xterm.js), so the page's text is not in the
DOM. A script installed before the page's own catches the xterm ``Terminal`` object when the
page assigns it, and reads its screen buffer through xterm's public API.
"""

from __future__ import annotations

import asyncio
import base64
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")

# Runs before the page's scripts: the first object given a `terminal` with a buffer is kept.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, 'terminal', {
  configurable: true,
  set(value) {
    Object.defineProperty(this, 'terminal', {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && !window.__bwtuiTerminal) { window.__bwtuiTerminal = value; }
  },
});
"""
READ_SCREEN = """(() => { const t = window.__bwtuiTerminal; if (!t) return null;
  const b = t.buffer.active; const rows = [];
  for (let y = 0; y < t.rows; y++) { const l = b.getLine(b.viewportY + y); rows.push(l ? l.translateToString(true) : ''); }
  return rows.join('\\n'); })()"""


class Page:
    """One tab, driven over its DevTools WebSocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._next = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        ident = self._next
        await self._ws.send_json({"id": ident, "method": method, "params": params})
        while True:
            message = await self._ws.receive_json(timeout=30)
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def open(self, url: str) -> None:
        await self.call("Page.enable")
        await self.call("Page.addScriptToEvaluateOnNewDocument", source=CATCH_TERMINAL)
        await self.call("Page.navigate", url=url)

    async def screen(self) -> str | None:
        result = await self.call("Runtime.evaluate", expression=READ_SCREEN, returnByValue=True)
        return result.get("result", {}).get("value")

    async def wait_for_screen(self, *texts: str, timeout: float = 40.0) -> str:
        deadline = time.monotonic() + timeout
        screen = None
        while time.monotonic() < deadline:
            screen = await self.screen()
            if screen and all(text in screen for text in texts):
                return screen
            await asyncio.sleep(0.25)
        raise AssertionError(f"the page never showed {texts!r}; it showed:\n{screen}")

    async def type(self, text: str) -> None:
        """Keys into the terminal, as a user typing them."""
        await self.call("Page.bringToFront")
        await self.call("Runtime.evaluate", expression="window.__bwtuiTerminal && window.__bwtuiTerminal.focus()")
        for char in text:
            for kind in ("keyDown", "char", "keyUp"):
                params = {"type": kind, "key": char}
                if kind == "char":
                    params["text"] = char
                await self.call("Input.dispatchKeyEvent", **params)

    async def screenshot(self) -> bytes:
        await self.call("Page.bringToFront")  # a background tab is not painted
        result = await self.call("Page.captureScreenshot", format="png")
        return base64.b64decode(result["data"])


@asynccontextmanager
async def chromium(executable: str, *, width: int = 1400, height: int = 860) -> AsyncIterator[Any]:
    """A headless Chromium; yields a function that opens a new tab (a :class:`Page`)."""
    profile = tempfile.mkdtemp(prefix="bwtui-chromium-")
    process = subprocess.Popen(
        [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
         "--remote-debugging-address=127.0.0.1", f"--window-size={width},{height}",
         "--hide-scrollbars", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = await asyncio.to_thread(_devtools_port, process)
        async with aiohttp.ClientSession() as http:
            sockets: list[aiohttp.ClientWebSocketResponse] = []

            async def new_page() -> Page:
                async with http.put(f"http://127.0.0.1:{port}/json/new?about:blank") as response:
                    target = await response.json(content_type=None)
                ws = await http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
                sockets.append(ws)
                return Page(ws)

            try:
                yield new_page
            finally:
                for ws in sockets:
                    await ws.close()
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        import shutil

        shutil.rmtree(profile, ignore_errors=True)


def _devtools_port(process: subprocess.Popen[str], timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        match = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
        if match:
            # Keep draining its stderr so a chatty browser never blocks on a full pipe.
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return int(match.group(1))
    raise AssertionError("Chromium did not start its DevTools endpoint")
