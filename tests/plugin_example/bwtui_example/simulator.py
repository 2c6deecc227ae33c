"""The example API's simulator: the happy path only (bwtui.testing.FaultInjector adds faults)."""

from __future__ import annotations

import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

NODES = [
    {"id": "n-1", "name": "edge [red]one[/red]", "site": "ams"},
    {"id": "n-2", "name": "core\x1b[2Jtwo", "site": "fra"},
]


def app(token: str, clock=time.time) -> Starlette:
    """The example API; ``token`` is the one Bearer token it accepts."""
    started = clock()

    def authorised(request: Request) -> bool:
        return request.headers.get("authorization", "") == f"Bearer {token}"

    async def nodes(request: Request) -> JSONResponse:
        if not authorised(request):
            return JSONResponse({"message": "unauthenticated"}, status_code=401)
        return JSONResponse({"nodes": NODES}, headers={"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "599",
                                                       "X-RateLimit-Reset": "3600"})

    async def traffic(request: Request) -> JSONResponse:
        if not authorised(request):
            return JSONResponse({"message": "unauthenticated"}, status_code=401)
        if request.path_params["node"] not in {n["id"] for n in NODES}:
            return JSONResponse({"message": "no such node"}, status_code=404)
        elapsed = max(0.0, clock() - started)
        return JSONResponse({"rx_bytes": int(10**9 + elapsed * 1e6), "tx_bytes": int(5 * 10**9 + elapsed * 4e6)})

    return Starlette(routes=[Route("/nodes", nodes), Route("/nodes/{node}/traffic", traffic)])
