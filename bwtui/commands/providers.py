"""``bwtui providers``: the installed providers, where they come from, and what they declare.

Each provider is loaded (its module imported) to show whether it works; one that fails is listed
with the reason, and the command still succeeds for the others (exit 1 when any failed).
"""

from __future__ import annotations

import argparse
import json

from bwtui.exits import EXIT_BROKEN, EXIT_OK
from bwtui.text import printable


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "providers",
        help="list the installed providers (built-in and plug-ins) and their versions",
        description=(
            "List every provider found through the bwtui.providers entry points, with the"
            " package and version it comes from, whether it loads, how its rates are measured"
            " and which request budget it shares."
        ),
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--facts", action="store_true", help="also print what each provider states and how sure it is"
    )
    parser.set_defaults(func=run)


def _rates(traits: object) -> str:
    from bwtui.providers.base import ProviderTraits

    assert isinstance(traits, ProviderTraits)
    if traits.rate_basis == "daily_average":
        return "daily averages (UTC days)"
    if traits.series_step_s is None:
        return "derived from totals"
    step = traits.series_step_s
    return f"{step // 60}-min series" if step % 60 == 0 else f"{step}-s series"


def describe() -> list[dict[str, object]]:
    """One record per installed provider (the ``--json`` output)."""
    from bwtui.providers.registry import registry

    reg = registry()
    records: list[dict[str, object]] = []
    for entry in reg.entries():
        record: dict[str, object] = {
            "name": entry.name,
            "package": entry.distribution,
            "version": entry.version,
            "builtin": entry.builtin,
            "entry_point": entry.target,
        }
        try:
            spec = reg.spec(entry.name)
        except ValueError as error:
            record |= {"status": "failed", "error": getattr(error, "reason", str(error))}
            records.append(record)
            continue
        record |= {
            "status": "ok",
            "label": spec.label,
            "base_url": spec.default_base_url,
            "auth": f"{spec.auth_header}: {spec.auth_scheme}<token>",
            "rates": _rates(spec.traits),
            "budget": spec.rate_limit.documented,
            "budget_scope": spec.traits.budget_scope,
            "totals": spec.billing.totals,
            "settings": [s.name for s in spec.settings],
            "facts": list(spec.billing.facts),
        }
        records.append(record)
    return records


def _table(records: list[dict[str, object]], facts: bool) -> str:
    header = ("PROVIDER", "PACKAGE", "VERSION", "STATUS", "RATES", "BUDGET")
    rows = [header]
    for r in records:
        package = str(r["package"] or "?") + (" (built-in)" if r["builtin"] else "")
        if r["status"] == "ok":
            rows.append((str(r["name"]), package, str(r["version"] or "?"), "ok", str(r["rates"]),
                         str(r["budget"])))
        else:
            rows.append((str(r["name"]), package, str(r["version"] or "?"), "FAILED", "-", "-"))
    rows = [tuple(printable(cell) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])) + "  " + row[-1] for row in rows]
    for r in records:
        if r["status"] != "ok":
            lines.append(printable(f"{r['name']}: could not be loaded: {r['error']}"))
        elif facts:
            lines.append("")
            lines.append(printable(f"{r['label']} ({r['name']}): {r['base_url']}, {r['auth']}"))
            lines.append(printable(f"  totals: {r['totals']}"))
            for fact in r["facts"]:  # type: ignore[union-attr]
                lines.append(printable(f"  - {fact}"))
            if r["settings"]:
                lines.append(printable(f"  settings: {', '.join(r['settings'])}"))  # type: ignore[arg-type]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    records = describe()
    if args.json:
        print(json.dumps({"providers": records}, indent=2))
    else:
        print(_table(records, args.facts))
    return EXIT_BROKEN if any(r["status"] != "ok" for r in records) else EXIT_OK


def version_text(bwtui_version: str) -> str:
    """``bwtui --version``: bwtui's version and each provider's package version (no imports)."""
    from bwtui.providers.registry import registry

    lines = [f"bwtui {bwtui_version}"]
    for entry in registry().entries():
        origin = "built-in" if entry.builtin else f"{entry.distribution or '?'} {entry.version or '?'}"
        lines.append(printable(f"  provider {entry.name}: {origin}"))
    return "\n".join(lines)
