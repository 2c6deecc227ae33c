"""Check requests and responses against an OpenAPI 3.0 description (Hetzner Cloud, Vultr).

    doc = load("hetzner")            # the full file from ../shared/specs when present, else the subset
    problems = check_request(doc, "GET", "/servers/42/metrics", {"type": "network", ...}, headers)
    problems = check_response(doc, "GET", "/servers", 200, body)

Both return human-readable problems (empty when conforming). Bodies are validated with
``openapi-schema-validator`` (OAS 3.0 semantics: ``nullable``, formats), references resolved
against the description itself.
"""

from __future__ import annotations

import json
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import extract_spec_subsets as extract  # noqa: E402

FILES = {
    "hetzner": ("hetzner-cloud-openapi.json", "hetzner-cloud-subset.json"),
    "vultr": ("vultr-openapi.yaml", "vultr-subset.json"),
}


def full_path(provider: str) -> Path | None:
    """The provider's full description in ../shared/specs, when this checkout has it."""
    path = extract.DEFAULT_FULL_DIR / FILES[provider][0]
    return path if path.is_file() else None


def subset_path(provider: str) -> Path:
    return REPO / "specs" / FILES[provider][1]


def _nullable_compositions(value: Any) -> Any:
    """``{allOf: [...], nullable: true}`` (no ``type``) as the description means it: null, or the
    composed schema. OAS 3.0 tools disagree on this form; Hetzner's real answers send null there."""
    if isinstance(value, dict):
        value = {k: _nullable_compositions(v) for k, v in value.items()}
        if value.get("nullable") is True and "type" not in value and "allOf" in value:
            rest = {k: v for k, v in value.items() if k != "nullable"}
            return {"anyOf": [rest, {"enum": [None]}]}
        return value
    if isinstance(value, list):
        return [_nullable_compositions(v) for v in value]
    return value


@lru_cache(maxsize=4)
def load(provider: str) -> dict[str, Any]:
    """The full description when present (the real thing), else the committed subset."""
    full = full_path(provider)
    doc = extract.load(full) if full is not None else json.loads(subset_path(provider).read_text(encoding="utf-8"))
    return _nullable_compositions(doc)


def source(provider: str) -> str:
    return "full" if full_path(provider) is not None else "subset"


def _operation(doc: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any], dict[str, str]] | None:
    candidates = sorted(doc["paths"], key=lambda t: t.count("{"))  # literal paths first
    for template in candidates:
        names = re.findall(r"\{([^}]+)\}", template)
        regex = "^" + re.escape(template) + "/?$"
        for name in names:
            regex = regex.replace(re.escape("{" + name + "}"), "([^/]+)")
        found = re.match(regex, path)
        if found:
            item = doc["paths"][template]
            operation = item.get(method.lower())
            if operation is None:
                return None
            return template, {**operation, "_path_parameters": item.get("parameters", [])}, dict(
                zip(names, found.groups(), strict=True))
    return None


def _resolve(doc: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in value:
        _, _, kind, name = value["$ref"].split("/", 3)
        value = doc["components"][kind][name]
    return value


def _scalar_problem(name: str, raw: str, schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", raw):
            return f"{name}={raw!r} is not an integer"
        value: Any = int(raw)
    elif kind == "number":
        try:
            value = float(raw)
        except ValueError:
            return f"{name}={raw!r} is not a number"
    elif kind == "boolean":
        if raw not in ("true", "false"):
            return f"{name}={raw!r} is not a boolean"
        value = raw == "true"
    else:
        value = raw
    if "enum" in schema and value not in schema["enum"]:
        return f"{name}={raw!r} is not one of {schema['enum']}"
    if kind == "integer" and "maximum" in schema and value > schema["maximum"]:
        return f"{name}={raw!r} is above {schema['maximum']}"
    return None


def check_request(doc: dict[str, Any], method: str, path: str, query: dict[str, str],
                  headers: dict[str, str] | None = None, *, allow_unknown_query: bool = False) -> list[str]:
    """Problems with a request (path without the base path) under the description."""
    found = _operation(doc, method, path)
    if found is None:
        return [f"{method} {path} is not an operation of the description"]
    template, operation, path_values = found
    problems: list[str] = []
    parameters = [_resolve(doc, p) for p in [*operation["_path_parameters"], *operation.get("parameters", [])]]
    declared = {(p["in"], p["name"]): p for p in parameters}
    for (where, name), parameter in declared.items():
        schema = _resolve(doc, parameter.get("schema", {}))
        if where == "path":
            problem = _scalar_problem(name, path_values.get(name, ""), schema)
        elif where == "query":
            if name not in query:
                if parameter.get("required"):
                    problems.append(f"required query parameter {name} is missing")
                continue
            raw = query[name]
            if schema.get("type") == "array":
                items = _resolve(doc, schema.get("items", {}))
                problem = next((p for part in raw.split(",") if (p := _scalar_problem(name, part, items))), None)
            else:
                problem = _scalar_problem(name, raw, schema)
        else:
            continue
        if problem:
            problems.append(problem)
    if not allow_unknown_query:
        problems += [f"query parameter {n} is not declared for {template}" for n in query
                     if ("query", n) not in declared]
    if headers is not None:
        security = operation.get("security", doc.get("security", []))
        if security:
            auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
            if not auth.startswith("Bearer ") or len(auth) <= len("Bearer "):
                problems.append("no 'Authorization: Bearer <token>' header")
    return problems


def _response(operation: dict[str, Any], status: int) -> dict[str, Any] | None:
    responses = operation.get("responses", {})
    for key in (str(status), f"{str(status)[0]}xx", f"{str(status)[0]}XX", "default"):
        if key in responses:
            return responses[key]
    return None


_VALIDATORS: dict[tuple[int, str], OAS30Validator] = {}


def _validator(doc: dict[str, Any], schema: dict[str, Any]) -> OAS30Validator:
    """A validator for ``schema`` whose ``#/components/...`` references resolve in ``doc``."""
    key = (id(doc), json.dumps(schema, sort_keys=True))
    if key not in _VALIDATORS:
        _VALIDATORS[key] = OAS30Validator({**schema, "components": doc["components"]},
                                          format_checker=oas30_format_checker)
    return _VALIDATORS[key]


def check_response(doc: dict[str, Any], method: str, path: str, status: int, body: Any) -> list[str]:
    """Problems with a response body under the description (a status it does not list is one)."""
    found = _operation(doc, method, path)
    if found is None:
        return [f"{method} {path} is not an operation of the description"]
    _, operation, _ = found
    response = _response(operation, status)
    if response is None:
        return [f"status {status} is not a documented response of {method} {path}"]
    response = _resolve(doc, response)
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return []  # the description documents this status without a body shape
    validator = _validator(doc, schema)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message}"[:300]
            for e in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.path)))][:20]


def assert_request(doc: dict[str, Any], method: str, path: str, query: dict[str, str],
                   headers: dict[str, str] | None = None) -> None:
    problems = check_request(doc, method, path, query, headers)
    assert not problems, f"{method} {path} {query}: {problems}"


def assert_response(doc: dict[str, Any], method: str, path: str, status: int, body: Any) -> None:
    problems = check_response(doc, method, path, status, body)
    assert not problems, f"{method} {path} -> {status}: {problems}"
