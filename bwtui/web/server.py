"""The wall screen's web server: ``textual-serve`` plus bwtui's access rule and a strict page policy.

Each browser tab gets its own process running the kiosk monitor (``textual-serve`` starts
``command`` per WebSocket). This server adds:

- the same access rule as the collector (:mod:`bwtui.collector.access`): with a token, every
  path but ``/healthz`` needs it, as ``Authorization: Bearer``, or once as ``?token=`` on the
  page (which sets an HttpOnly, SameSite=Strict cookie and reloads without it);
- a Content-Security-Policy that keeps the page on this host (no web fonts from elsewhere:
  a wall screen needs no internet);
- plain log lines (no tracebacks with local variables) and no banner.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import sys
from typing import Any

from aiohttp import web
from textual_serve.server import Server

from bwtui.collector.access import OPEN_PATHS, Access

log = logging.getLogger("bwtui.web")
COOKIE = "bwtui_wall_token"
SHUTDOWN_WAIT_S = 5.0
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; "
       "base-uri 'none'; form-action 'none'")


class WallScreenServer(Server):
    """``textual_serve.server.Server`` with the additions in the module docstring."""

    def __init__(self, command: str, *, host: str, port: int, access: Access, title: str,
                 public_url: str | None = None) -> None:
        super().__init__(command, host=host, port=port, title=title, public_url=public_url)
        self.access = access
        self._public_url_from_request = public_url is None
        self._sessions: set[asyncio.Task[Any]] = set()  # one per open tab

    def initialize_logging(self) -> None:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        for name in ("bwtui", "textual-serve"):
            logger = logging.getLogger(name)
            logger.handlers[:] = [handler]
            logger.setLevel(logging.INFO)
            logger.propagate = False
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        task = asyncio.current_task()
        if task is not None:
            self._sessions.add(task)
        try:
            return await super().handle_websocket(request)
        finally:
            if task is not None:
                self._sessions.discard(task)

    async def on_shutdown(self, app: web.Application) -> None:
        """Every tab's monitor is told to quit (and waited for) before the server goes away."""
        sessions = list(self._sessions)
        for task in sessions:
            task.cancel()
        if sessions:
            await asyncio.wait(sessions, timeout=SHUTDOWN_WAIT_S)

    async def on_startup(self, app: web.Application) -> None:
        log.info("bwtui web: serving the wall screen on http://%s:%s (token: %s)", self.host,
                 self.port, "required" if self.access.token else "none, loopback")

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.router.add_get("/healthz", self.handle_healthz)
        app.middlewares.append(self._guard)
        return app

    async def handle_healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def handle_index(self, request: web.Request) -> Any:
        if self._public_url_from_request:
            # The page's WebSocket URL follows the address the browser used (no await in
            # between: requests cannot interleave here).
            self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        token = self.access.token
        if token is not None and request.path not in OPEN_PATHS:
            given = request.query.get("token")
            if given is not None and request.path == "/" and _same(given, token):
                found = web.HTTPFound("/")  # the token leaves the address bar and history
                found.set_cookie(COOKIE, token, httponly=True, samesite="Strict",
                                 secure=request.scheme == "https")
                raise found
            cookie = request.cookies.get(COOKIE, "")
            if not (self.access.allows(request.path, request.headers.get("Authorization"))
                    or (cookie and _same(cookie, token))):
                return web.Response(status=401, text="a token is required: open /?token=<token> "
                                    "once, or send Authorization: Bearer <token>\n")
        response: web.StreamResponse = await handler(request)
        if not isinstance(response, web.WebSocketResponse):
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("Referrer-Policy", "no-referrer")
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


def _same(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())
