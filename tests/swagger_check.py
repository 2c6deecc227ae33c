"""Check HTTP requests and responses against Hivelocity's Swagger 2.0 description.

Reusable by any test (simulator or client side):

    from swagger_check import check_request, check_response, spec_available  # tests/ is on sys.path
    problems = check_request("POST", "/bandwidth/service/123", {"period": "day", ...})
    problems = check_response("POST", "/bandwidth/service/123", 200, body)

Both return a list of human-readable problems (empty when conforming); ``assert_request`` and
``assert_response`` raise ``AssertionError`` with them. Paths are given without the base path
(``/api/v2``); a path that still carries it (or the simulator's ``/hivelocity/api/v2``) is
accepted too. Response bodies are validated with jsonschema (draft 4, as Swagger 2.0 uses),
``#/definitions/...`` references resolved against the spec itself.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

_REPO = Path(__file__).resolve().parents[1]
_CANDIDATES = [
    _REPO / "specs" / "hivelocity-v2-swagger.yaml",
    _REPO.parent / "shared" / "specs" / "hivelocity-v2-swagger.yaml",
]
_BASE_PREFIXES = ("/hivelocity/api/v2", "/api/v2")
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def spec_path() -> Path | None:
    """Where the spec file is: ``$BWTUI_HIVELOCITY_SPEC``, ``specs/`` in the repo, or ``../shared``."""
    env = os.environ.get("BWTUI_HIVELOCITY_SPEC")
    candidates = [Path(env)] if env else []
    for path in [*candidates, *_CANDIDATES]:
        if path.is_file():
            return path
    return None


def spec_available() -> bool:
    return spec_path() is not None


@lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    """The parsed spec (cached)."""
    path = spec_path()
    if path is None:
        raise FileNotFoundError("hivelocity-v2-swagger.yaml not found")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # noqa: S506 - safe loader


@dataclass(frozen=True)
class Operation:
    """One (path template, method) of the spec, with its merged parameters."""

    template: str
    method: str
    path_params: dict[str, str]
    parameters: tuple[dict[str, Any], ...]
    responses: dict[str, Any]
    operation_id: str


@lru_cache(maxsize=1)
def _templates() -> list[tuple[str, re.Pattern[str]]]:
    """Path templates, literal ones first so ``/device/tags`` beats ``/device/{deviceId}``."""
    paths = load_spec()["paths"]
    out = []
    for template in paths:
        regex = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        out.append((template, re.compile(regex)))
    out.sort(key=lambda item: (item[0].count("{"), -len(item[0])))
    return out


def _strip_base(path: str) -> str:
    path = path.split("?", 1)[0]
    for prefix in _BASE_PREFIXES:
        if path.startswith(prefix + "/"):
            return path[len(prefix):]
    return path


def find_operation(method: str, path: str) -> tuple[Operation | None, str | None]:
    """The operation for a concrete request path, or (None, reason)."""
    spec = load_spec()
    path = _strip_base(path)
    matched_template = None
    for template, regex in _templates():
        found = regex.match(path)
        if not found:
            continue
        matched_template = template
        item = spec["paths"][template] or {}
        op = item.get(method.lower())
        if op is None:
            continue
        params: dict[tuple[str, str], dict[str, Any]] = {}
        for param in [*item.get("parameters", []), *op.get("parameters", [])]:
            params[(param["name"], param["in"])] = param
        return Operation(
            template=template,
            method=method.upper(),
            path_params=found.groupdict(),
            parameters=tuple(params.values()),
            responses=op.get("responses", {}),
            operation_id=op.get("operationId", ""),
        ), None
    if matched_template is not None:
        allowed = sorted(m.upper() for m in (spec["paths"][matched_template] or {}) if m in _METHODS)
        return None, f"{method.upper()} not defined for {matched_template} (spec allows {allowed})"
    return None, f"path {path} is not in the spec"


def _type_problem(name: str, value: str, param: dict[str, Any]) -> str | None:
    kind = param.get("type")
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", value):
            return f"{name}={value!r} is not an integer"
    elif kind == "number":
        try:
            float(value)
        except ValueError:
            return f"{name}={value!r} is not a number"
    elif kind == "boolean":
        if value.lower() not in ("true", "false", "1", "0"):
            return f"{name}={value!r} is not a boolean"
    if "enum" in param and value not in [str(v) for v in param["enum"]]:
        return f"{name}={value!r} is not one of {param['enum']}"
    return None


def check_request(
    method: str,
    path: str,
    query: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    *,
    allow_unknown_query: bool = False,
) -> list[str]:
    """Problems with a request: path and method exist, path/query params typed, required ones
    present, enums respected, no query parameter the operation doesn't declare (unless
    ``allow_unknown_query``), and, when ``headers`` are given, the ``X-API-KEY`` header."""
    op, reason = find_operation(method, path)
    if op is None:
        return [reason or "unknown operation"]
    problems: list[str] = []
    query = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (query or {}).items()}
    declared_query = set()
    for param in op.parameters:
        name, where = param["name"], param["in"]
        if where == "path":
            value = op.path_params.get(name)
            if value is None:
                problems.append(f"path parameter {name} missing")
            elif (problem := _type_problem(name, value, param)) is not None:
                problems.append(f"path parameter {problem}")
        elif where == "query":
            declared_query.add(name)
            if name not in query:
                if param.get("required"):
                    problems.append(f"required query parameter {name} missing")
                continue
            if (problem := _type_problem(name, query[name], param)) is not None:
                problems.append(f"query parameter {problem}")
    if not allow_unknown_query:
        for name in sorted(set(query) - declared_query):
            problems.append(f"query parameter {name} is not declared for {op.operation_id}")
    if headers is not None:
        lowered = {k.lower(): v for k, v in headers.items()}
        if not lowered.get("x-api-key"):
            problems.append("X-API-KEY header missing (the spec's global apiKey security)")
    return problems


def check_response(method: str, path: str, status: int, body: Any) -> list[str]:
    """Problems with a response: a 2xx status must be documented for the operation and its body
    must match the documented schema. Error statuses are checked only where the spec gives a
    schema (it documents none, so any error body passes). A request outside the spec must be
    answered 404 (unknown path) or 405 (method not defined)."""
    op, reason = find_operation(method, path)
    if op is None:
        if status in (404, 405):
            return []
        return [f"{reason or 'unknown operation'}, yet answered {status}"]
    response = op.responses.get(str(status)) or op.responses.get("default")
    if response is None:
        if 200 <= status < 300:
            return [f"status {status} not documented for {op.operation_id} "
                    f"(documented: {sorted(op.responses)})"]
        return []
    schema = response.get("schema")
    if schema is None:
        return []
    full = {**schema, "definitions": load_spec().get("definitions", {})}
    validator = jsonschema.Draft4Validator(full)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<body>'}: {error.message}"
        for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))[:20]
    ]


def assert_request(method: str, path: str, query: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None, **kw: Any) -> None:
    problems = check_request(method, path, query, headers, **kw)
    assert not problems, f"{method} {path} {query}: " + "; ".join(problems)


def assert_response(method: str, path: str, status: int, body: Any) -> None:
    problems = check_response(method, path, status, body)
    assert not problems, f"{method} {path} -> {status}: " + "; ".join(problems)
