"""Plausible variants of Hivelocity's answers that bwtui must read right or refuse loudly.

The public descriptions leave the legend names, the time column and the units open (see
providers.md), so the simulator can serve each of these shapes, per service, for tests:

=========================  ==============================================================
``per_interface_columns``  legend ``["In eth0","Out eth0","In eth1","Out eth1"]``
``max_avg``                legend ``["In Max","In Avg","Out Max","Out Avg"]`` (max = 1.3 × avg)
``ambiguous_columns``      legend ``["In A","Out A","In B","Out B"]``: more columns than meant
``interface_column``       a leading ``interface`` column naming the row's interface
``date_column``            a leading ``date`` column with ISO-8601 UTC times
``split_elements``         one element per interface (eth0, eth1) for any request
``duplicate_elements``     two elements named like the request
``totals_bytes``           ``In/Out Xfer`` in bytes instead of bits
``rates_bytes``            every rate (and 95th) in bytes/s instead of bits/s
``billing_garbled``        ``GET /service/`` values bwtui cannot read (``lastRenew`` "soon"...)
``device_id_spelling``     ``serviceDevices`` with ``deviceId`` instead of ``id``
``no_service_plan``        the device has no ``servicePlan``; only ``serviceDevices`` ties it
=========================  ==============================================================

Set them with ``sim.hivelocity.variants[service_id] = {"max_avg", ...}``.
"""

from __future__ import annotations

from typing import Any

LEGEND_VARIANTS = ("per_interface_columns", "max_avg", "ambiguous_columns")
ELEMENT_VARIANTS = ("split_elements", "duplicate_elements")
VARIANTS = (
    *LEGEND_VARIANTS,
    "interface_column",
    "date_column",
    *ELEMENT_VARIANTS,
    "totals_bytes",
    "rates_bytes",
    "billing_garbled",
    "device_id_spelling",
    "no_service_plan",
)
MAX_FACTOR = 1.3
PRIVATE_SHARE = 0.2  # eth1 (private) traffic relative to eth0 (public) in these shapes


def legend_and_row(variants: set[str], legend: list[str]) -> tuple[list[str], Any]:
    """The legend to send and a function (in_bps, out_bps) → row values for it."""
    if "per_interface_columns" in variants:
        return (["In eth0", "Out eth0", "In eth1", "Out eth1"],
                lambda i, o: [i, o, round(i * PRIVATE_SHARE, 1), round(o * PRIVATE_SHARE, 1)])
    if "max_avg" in variants:
        return (["In Max", "In Avg", "Out Max", "Out Avg"],
                lambda i, o: [round(i * MAX_FACTOR, 1), i, round(o * MAX_FACTOR, 1), o])
    if "ambiguous_columns" in variants:
        return (["In A", "Out A", "In B", "Out B"],
                lambda i, o: [i, o, round(i * PRIVATE_SHARE, 1), round(o * PRIVATE_SHARE, 1)])
    columns = ["out" if name.lower().startswith("out") else "in" for name in legend]
    return list(legend), lambda i, o: [i if c == "in" else o for c in columns]


def check(variants: set[str]) -> None:
    """Refuse names that are not variants (a typo in a test must not pass silently)."""
    unknown = variants - set(VARIANTS)
    if unknown:
        raise ValueError(f"unknown Hivelocity variant(s): {', '.join(sorted(unknown))}")
