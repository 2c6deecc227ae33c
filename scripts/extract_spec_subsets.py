"""Write ``specs/hetzner-cloud-subset.json`` and ``specs/vultr-subset.json`` from the providers'
full OpenAPI descriptions: only the operations bwtui calls, their parameters and responses, and
every schema they reference (descriptions and examples dropped; nothing else changed).

    python scripts/extract_spec_subsets.py [--full-dir ../shared/specs] [--check]

``--check`` compares instead of writing (exit 1 when a subset is out of date). The tests use the
full files when they are present and the subsets otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
# $BWTUI_FULL_SPECS_DIR, else ../shared/specs beside the clone (CI, the main checkout), or two
# levels up (a worktree)
DEFAULT_FULL_DIR = Path(os.environ["BWTUI_FULL_SPECS_DIR"]) if os.environ.get("BWTUI_FULL_SPECS_DIR") else next(
    (p for p in (REPO.parent / "shared" / "specs", REPO.parent.parent / "shared" / "specs") if p.is_dir()),
    REPO.parent / "shared" / "specs",
)

# file in the full dir, subset name, source note, {path: [methods]}
SUBSETS = [
    (
        "hetzner-cloud-openapi.json",
        "hetzner-cloud-subset.json",
        "Hetzner Cloud API, OpenAPI 3.0 description built from Hetzner's published spec "
        "(repo MaximilianKoestler/hcloud-openapi, MIT): the operations bwtui's Hetzner client calls",
        {"/servers": ["get"], "/servers/{id}": ["get"], "/servers/{id}/metrics": ["get"]},
    ),
    (
        "vultr-openapi.yaml",
        "vultr-subset.json",
        "Vultr API v2, OpenAPI 3.0 description from Vultr's own repository (vultr/vultr-java "
        "api/openapi.yaml): the operations bwtui's Vultr client calls",
        {"/instances": ["get"], "/instances/{instance-id}": ["get"], "/instances/{instance-id}/bandwidth": ["get"]},
    ),
]
_ANNOTATIONS = {"description", "example", "examples", "x-codeSamples", "x-examples", "summary", "externalDocs"}


class _NoDates(yaml.SafeLoader):
    """YAML without timestamp conversion: dates stay the strings the description wrote."""


_NoDates.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(path: Path) -> dict[str, Any]:
    """A description, JSON or YAML."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.load(text, Loader=_NoDates)  # noqa: S506 - a SafeLoader subclass


def _strip(value: Any, *, in_properties: bool = False) -> Any:
    """Drop annotations (never a property that happens to be called "description")."""
    if isinstance(value, dict):
        return {
            key: _strip(item, in_properties=key == "properties" and not in_properties)
            for key, item in value.items()
            if in_properties or key not in _ANNOTATIONS
        }
    if isinstance(value, list):
        return [_strip(item) for item in value]
    return value


def _refs(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            found.add(ref)
        for item in value.values():
            found |= _refs(item)
    elif isinstance(value, list):
        for item in value:
            found |= _refs(item)
    return found


def subset(full: dict[str, Any], source: str, operations: dict[str, list[str]]) -> dict[str, Any]:
    """The part of ``full`` that ``operations`` need."""
    paths: dict[str, Any] = {}
    for path, methods in operations.items():
        item = full["paths"][path]
        kept = {m: item[m] for m in methods}
        if "parameters" in item:
            kept["parameters"] = item["parameters"]
        paths[path] = _strip(kept)
    components: dict[str, dict[str, Any]] = {}
    pending = _refs(paths)
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        value = _strip(full["components"][kind][name])
        components.setdefault(kind, {})[name] = value
        pending |= _refs(value) - seen
    security = {}
    if "securitySchemes" in full.get("components", {}):
        security = {"securitySchemes": _strip(full["components"]["securitySchemes"])}
    return {
        "openapi": full["openapi"],
        "info": {"title": full["info"]["title"], "version": str(full["info"].get("version", "")),
                 "x-source": source, "x-generated-by": "scripts/extract_spec_subsets.py"},
        "servers": full.get("servers", []),
        "security": full.get("security", []),
        "paths": paths,
        "components": {**{k: dict(sorted(v.items())) for k, v in sorted(components.items())}, **security},
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-dir", type=Path, default=DEFAULT_FULL_DIR)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = 0
    for full_name, subset_name, source, operations in SUBSETS:
        full_path = args.full_dir / full_name
        if not full_path.is_file():
            print(f"{full_path}: not found, skipped", file=sys.stderr)
            continue
        text = render(subset(load(full_path), source, operations))
        target = REPO / "specs" / subset_name
        if args.check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                print(f"{target} is out of date", file=sys.stderr)
                stale += 1
            continue
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target} ({len(text)} bytes)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
