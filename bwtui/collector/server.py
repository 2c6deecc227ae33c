"""The collector's HTTP endpoints (Starlette), every one read-only.

- ``/healthz``: liveness, always open (``{"status": "ok", "ready": ...}``).
- ``/readyz``: 200 once every account has been listed (or has failed) once, else 503.
- ``/metrics``: Prometheus text exposition (:mod:`bwtui.collector.metrics`).
- ``/api/v1/feed``: the viewer feed (server-sent events, :mod:`bwtui.collector.protocol`).
- ``/api/v1/snapshot``: hello plus the snapshot's events as one JSON document.
- ``/api/v1/series?account=&id=&period=day|week|month``: one chart (held series or history).
- ``/api/v1/export?since=&account=&resource=``: the history store's rows, one JSON array a line.

A token, when set, guards everything but ``/healthz`` (:mod:`bwtui.collector.access`).
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import AsyncIterator, Iterator

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bwtui.collector.access import Access
from bwtui.collector.core import Collector
from bwtui.collector.metrics import MetricsPage
from bwtui.collector.protocol import (
    EXPORT_PATH,
    FEED_PATH,
    SERIES_PATH,
    SNAPSHOT_PATH,
    encode_export_row,
    parse_json,
)
from bwtui.history import ExportRow
from bwtui.model import Period

EXPORT_BATCH = 2000
INDEX = """bwtui collector (read-only)

/healthz           liveness (no token needed)
/readyz            200 once every account has been listed once
/metrics           Prometheus metrics
/api/v1/feed       viewer feed: server-sent events (bwtui-feed version 1)
/api/v1/snapshot   the feed's hello and snapshot as one JSON document
/api/v1/series     ?account=&id=&period=day|week|month
/api/v1/export     ?since=EPOCH&account=&resource= : stored history, one JSON array per line
"""


class BearerGuard:
    """ASGI middleware: 401 unless the request carries the token (``/healthz`` is always open)."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            authorization = headers.get(b"authorization", b"").decode("latin-1")
            if not self.access.allows(scope.get("path", ""), authorization):
                response = PlainTextResponse(
                    "a bearer token is required (Authorization: Bearer <token>)\n", status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="bwtui"'})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def build_app(collector: Collector, access: Access, *, page: MetricsPage | None = None) -> ASGIApp:
    """The collector's ASGI app."""
    metrics_page = page if page is not None else MetricsPage(collector)

    async def index(request: Request) -> Response:
        return PlainTextResponse(INDEX)

    async def healthz(request: Request) -> Response:
        if collector.stopping:
            return JSONResponse({"status": "stopping", "ready": False}, status_code=503)
        return JSONResponse({"status": "ok", "ready": collector.ready})

    async def readyz(request: Request) -> Response:
        ready = collector.ready and not collector.stopping
        return JSONResponse({"ready": ready, "stopping": collector.stopping},
                            status_code=200 if ready else 503)

    async def metrics(request: Request) -> Response:
        # Always the classic text format: every Prometheus version accepts it.
        return Response(metrics_page.render(), headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})

    async def feed(request: Request) -> Response:
        if collector.stopping:
            return PlainTextResponse("the collector is stopping\n", status_code=503)
        return StreamingResponse(collector.feed(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def snapshot(request: Request) -> Response:
        lines = collector.snapshot_lines()
        document = {**collector.hello(), "ready": collector.ready,
                    "events": [parse_json(line) for line in lines]}
        return JSONResponse(document)

    async def series(request: Request) -> Response:
        params = request.query_params
        try:
            period = Period(params.get("period", "day"))
        except ValueError:
            return PlainTextResponse("period must be day, week or month\n", status_code=400)
        key = (params.get("account", ""), params.get("id", ""))
        line = await collector.series(key, period)
        if line is None:
            return PlainTextResponse("no chart for that resource and period\n", status_code=404)
        return Response(line, media_type="application/json")

    async def export(request: Request) -> Response:
        params = request.query_params
        since: float | None = None
        if params.get("since"):
            try:
                since = float(params["since"])
            except ValueError:
                since = math.nan
            if not math.isfinite(since):
                return PlainTextResponse("since must be Unix seconds\n", status_code=400)
        rows = collector.export_rows(since=since, account=params.get("account") or None,
                                     resource_id=params.get("resource") or None)
        if rows is None:
            return PlainTextResponse("this collector runs without history\n", status_code=404)
        return StreamingResponse(_ndjson(rows), media_type="application/x-ndjson")

    routes = [
        Route("/", index), Route("/healthz", healthz), Route("/readyz", readyz),
        Route("/metrics", metrics), Route(FEED_PATH, feed), Route(SNAPSHOT_PATH, snapshot),
        Route(SERIES_PATH, series), Route(EXPORT_PATH, export),
    ]
    return BearerGuard(Starlette(routes=routes), access)


async def _ndjson(rows: Iterator[ExportRow]) -> AsyncIterator[bytes]:
    """Rows as JSON arrays, read from the history store in a thread, a batch at a time."""
    while True:
        batch = await asyncio.to_thread(lambda: list(itertools.islice(rows, EXPORT_BATCH)))
        if not batch:
            return
        yield "".join(encode_export_row(row) + "\n" for row in batch).encode()
