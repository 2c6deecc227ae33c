"""The provider contract: a pytest suite every provider passes against its own simulator.

Subclass :class:`ProviderContract` in a test module and give it a ``target`` fixture that serves
your simulator on loopback and returns a :class:`ContractTarget`::

    class TestMyProviderContract(ProviderContract):
        @pytest.fixture
        def target(self):
            app = FaultInjector(my_simulator_app())
            with serve_app(app) as server:
                yield ContractTarget(spec=SPEC, token="t0ken-for-tests", base_url=server.base_url,
                                     faults=app, expected_ids=["1", "2"])

The tests are plain synchronous functions (they run the client with ``asyncio.run``), so they
work whatever asyncio plug-in the author's pytest uses. They check: the declaration, listing,
rates, totals, every error kind, rate-limit headers and 429, hostile names kept literally, the
body size cap, redirects never followed, and that the token shows up in no output.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import threading
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import pytest

from bwtui.model import ErrorKind, Period, ProviderError, Series, Usage
from bwtui.periods import period_bounds
from bwtui.providers.base import CLIENT_KWARGS, ProviderClient, ProviderSpec, check_spec
from bwtui.testing.faults import FaultControl

T = TypeVar("T")
ACCOUNT = "contract"
STATUS_KINDS = [
    (401, ErrorKind.AUTH),
    (403, ErrorKind.FORBIDDEN),
    (404, ErrorKind.NOT_FOUND),
    (429, ErrorKind.RATE_LIMITED),
    (500, ErrorKind.SERVER),
    (503, ErrorKind.SERVER),
]


@dataclass
class ContractTarget:
    """A provider and its simulator, as the contract tests see them.

    ``expected_ids``: the resource ids the listing must give (any order). ``expected_names``:
    id → the exact name the client must report (put hostile names here: markup, escapes).
    ``settings``: extra client keyword arguments. ``clock``: the simulator's clock, if simulated.
    """

    spec: ProviderSpec
    token: str
    base_url: str
    faults: FaultControl
    expected_ids: Sequence[str]
    expected_names: Mapping[str, str] = field(default_factory=dict)
    settings: Mapping[str, object] = field(default_factory=dict)
    clock: Callable[[], float] | None = None


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to completion (the kit's tests are synchronous)."""
    return asyncio.run(coro)


class _Recorder:
    """A loopback HTTP server that counts what reaches it (the "elsewhere" of a redirect)."""

    def __init__(self) -> None:
        seen: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                seen.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.seen = seen
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/elsewhere"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Recorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class ProviderContract:
    """The contract tests; a subclass provides the ``target`` fixture."""

    timeout_s = 5.0

    @pytest.fixture
    def target(self) -> ContractTarget:  # pragma: no cover - the subclass provides it
        raise NotImplementedError("define a `target` fixture returning a ContractTarget")

    # -- helpers -----------------------------------------------------------------------------

    def client(self, target: ContractTarget, **overrides: Any) -> ProviderClient:
        kwargs: dict[str, Any] = {"base_url": target.base_url, "timeout_s": self.timeout_s, **target.settings}
        if target.clock is not None:
            kwargs["clock"] = target.clock
        kwargs.update(overrides)
        return target.spec.create(ACCOUNT, target.token, **kwargs)

    def call(self, target: ContractTarget, action: Callable[[ProviderClient], Coroutine[Any, Any, T]],
             **overrides: Any) -> T:
        """Build a client, run ``action`` with it, close it; the result or the ProviderError."""

        async def go() -> T:
            client = self.client(target, **overrides)
            try:
                return await action(client)
            finally:
                await client.aclose()

        return run(go())

    def first_resource(self, target: ContractTarget) -> Any:
        return self.call(target, lambda c: c.list_resources())[0]

    def error_of(self, target: ContractTarget, action: Callable[[ProviderClient], Coroutine[Any, Any, Any]],
                 **overrides: Any) -> ProviderError:
        with pytest.raises(ProviderError) as caught:
            self.call(target, action, **overrides)
        error = caught.value
        assert target.token not in error.message and target.token not in str(error)
        return error

    def now(self, target: ContractTarget) -> float:
        import time

        return target.clock() if target.clock is not None else time.time()

    # -- the declaration ---------------------------------------------------------------------

    def test_the_declaration_is_well_formed(self, target: ContractTarget) -> None:
        spec = check_spec(target.spec)
        parameters = inspect.signature(spec.create).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        missing = [name for name in CLIENT_KWARGS if name not in parameters and not takes_any]
        assert not missing, f"create() must accept {missing}"
        for setting in spec.settings:
            assert setting.default is None or setting.problem(setting.default) is None, setting.name

    def test_the_client_hides_the_token(self, target: ContractTarget) -> None:
        async def look(client: ProviderClient) -> str:
            return repr(client) + str(client) + repr(vars(client) if hasattr(client, "__dict__") else "")

        shown = self.call(target, look)
        assert target.token not in shown
        assert isinstance(self.client(target), ProviderClient)

    # -- data --------------------------------------------------------------------------------

    def test_listing_gives_every_resource_once(self, target: ContractTarget) -> None:
        resources = self.call(target, lambda c: c.list_resources())
        ids = [r.id for r in resources]
        assert sorted(ids) == sorted(target.expected_ids)
        assert len(set(ids)) == len(ids)
        for resource in resources:
            assert resource.provider == target.spec.name and resource.account == ACCOUNT
            assert isinstance(resource.name, str) and resource.name
            assert target.token not in repr(resource)

    def test_hostile_names_are_kept_literally(self, target: ContractTarget) -> None:
        if not target.expected_names:
            pytest.skip("the target names no hostile resources")
        names = {r.id: r.name for r in self.call(target, lambda c: c.list_resources())}
        for resource_id, name in target.expected_names.items():
            assert names[resource_id] == name

    @pytest.mark.parametrize("period", list(Period))
    def test_rates(self, target: ContractTarget, period: Period) -> None:
        resource = self.first_resource(target)
        series = self.call(target, lambda c: c.fetch_series(resource, period))
        if target.spec.traits.series_step_s is None:
            assert series is None, "a totals-only provider returns no series"
            return
        assert isinstance(series, Series) and series.step_s > 0
        times = [s.t for s in series.samples]
        assert times == sorted(times), "samples are oldest first"
        for sample in series.samples:
            for rate in (sample.in_bps, sample.out_bps):
                assert rate is None or (math.isfinite(rate) and rate >= 0)
        if period is Period.DAY:
            assert series.latest is not None, "the day's series has at least one rate"
        assert target.token not in repr(series)

    def test_totals(self, target: ContractTarget) -> None:
        resource = self.first_resource(target)
        now = self.now(target)
        start = period_bounds(now)[0]
        usage = self.call(target, lambda c: c.fetch_usage(resource, start, now))
        assert isinstance(usage, Usage)
        for total in (usage.period_in_bytes, usage.period_out_bytes):
            assert total is None or (isinstance(total, int) and total >= 0)
        assert usage.period_in_bytes is not None or usage.period_out_bytes is not None
        assert usage.as_of is not None and math.isfinite(usage.as_of)
        assert target.token not in repr(usage)

    # -- every error kind --------------------------------------------------------------------

    @pytest.mark.parametrize(("code", "kind"), STATUS_KINDS)
    def test_error_statuses(self, target: ContractTarget, code: int, kind: ErrorKind) -> None:
        resource = self.first_resource(target)
        now = self.now(target)
        target.faults.status(code)
        try:
            assert self.error_of(target, lambda c: c.list_resources()).kind is kind
            assert self.error_of(target, lambda c: c.fetch_usage(resource, now - 3600, now)).kind is kind
        finally:
            target.faults.clear()

    def test_429_says_when_to_come_back(self, target: ContractTarget) -> None:
        target.faults.status(429, retry_after_s=120)
        try:
            error = self.error_of(target, lambda c: c.list_resources())
        finally:
            target.faults.clear()
        assert error.kind is ErrorKind.RATE_LIMITED
        assert error.retry_after_s is not None and 100 <= error.retry_after_s <= 120

    def test_rate_limit_headers_are_read(self, target: ContractTarget) -> None:
        async def listing_then_budget(client: ProviderClient) -> Any:
            await client.list_resources()
            return client.rate_limit

        seen = self.call(target, listing_then_budget)
        if target.spec.rate_limit.header_prefix is None:
            assert seen is None, "the provider declares no rate-limit headers"
        else:
            assert seen is not None and seen.limit and seen.remaining is not None
            assert seen.reset_s is None or 0 <= seen.reset_s <= 24 * 3600

    def test_malformed_answer_is_a_bad_response(self, target: ContractTarget) -> None:
        target.faults.malformed()
        try:
            assert self.error_of(target, lambda c: c.list_resources()).kind is ErrorKind.BAD_RESPONSE
        finally:
            target.faults.clear()

    def test_dropped_connection_is_a_network_error(self, target: ContractTarget) -> None:
        target.faults.drop()
        try:
            assert self.error_of(target, lambda c: c.list_resources()).kind is ErrorKind.NETWORK
        finally:
            target.faults.clear()

    def test_a_slow_answer_times_out(self, target: ContractTarget) -> None:
        target.faults.slow(20)
        try:
            error = self.error_of(target, lambda c: c.list_resources(), timeout_s=0.3)
        finally:
            target.faults.clear()
        assert error.kind is ErrorKind.TIMEOUT

    def test_an_oversized_answer_is_cut_off(self, target: ContractTarget) -> None:
        target.faults.huge(300_000)
        try:
            error = self.error_of(target, lambda c: c.list_resources(), max_body_bytes=100_000)
        finally:
            target.faults.clear()
        assert error.kind is ErrorKind.BAD_RESPONSE and "larger than" in error.message

    def test_redirects_are_never_followed(self, target: ContractTarget) -> None:
        with _Recorder() as elsewhere:
            target.faults.redirect(elsewhere.url)
            try:
                error = self.error_of(target, lambda c: c.list_resources())
            finally:
                target.faults.clear()
            assert error.kind is ErrorKind.BAD_RESPONSE
            assert elsewhere.seen == [], "the client followed a redirect (the token would travel)"

    @pytest.mark.parametrize("shape", ["message", "error", "error.message", "description"])
    def test_a_server_echoing_the_token_does_not_leak_it(self, target: ContractTarget, shape: str) -> None:
        text = f"bad key {target.token} for this account"
        body: dict[str, Any] = {shape.split(".")[0]: {"message": text} if "." in shape else text}
        target.faults.status(400, body=body)
        try:
            self.error_of(target, lambda c: c.list_resources())  # asserts the token is absent
        finally:
            target.faults.clear()
