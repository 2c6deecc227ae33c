"""Hivelocity listing bodies: ``Device-dump`` and ``FastService-dump`` objects."""

from __future__ import annotations

from typing import Any

from bwtui.periods import add_months, period_bounds
from bwtui.simulator.world import ALLOWANCE_OUT_BYTES, FACILITIES, HvService


def device_dump(service: HvService, variants: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """A ``Device-dump`` as ``GET /device/`` lists it."""
    city, _ = FACILITIES[service.facility]
    body = {
        "deviceId": service.device_id,
        "name": service.name,
        "status": "active",
        "deviceType": "Dedicated Server - 1U",
        "deviceTypeGroup": "Dedicated",
        "powerStatus": {"status": "ON"},
        "hasCancellation": False,
        "billingStatus": "active",
        "isManaged": False,
        "isReload": False,
        "monitorsUp": 1,
        "monitorsTotal": 1,
        "managedAlertsTotal": 0,
        "ports": [{"portId": service.device_id * 10 + 1, "name": "eth0"}],
        "hostname": service.hostname,
        "ipmiEnabled": True,
        "displayedTags": [],
        "tags": list(service.tags),
        "location": {"facility": service.facility, "facilityTitle": f"{service.facility} - {city}",
                     "city": city},
        "networkAutomation": {"enabled": False},
        "primaryIp": service.primary_ip,
        "ipmiAddress": {},
        "serviceMonitors": [],
        "servicePlan": service.service_id,
        "lastInvoiceId": 880000 + service.service_id % 1000,
        "selfProvisioning": False,
        "metadata": {},
        "spsStatus": "IN_USE",
        "clientId": 41234,
    }
    if "no_service_plan" in variants:
        del body["servicePlan"]
    return body


def renewal(service: HvService, now: float) -> tuple[int, int]:
    """(lastRenew, renewDate) of the service's monthly cycle containing ``now``."""
    start, _ = period_bounds(now, service.renew_day)
    return int(start), int(add_months(start, 1))


def service_dump(service: HvService, now: float,
                 variants: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """A ``FastService-dump`` as ``GET /service/`` lists it.

    ``serviceDevices`` entries carry ``id`` (as Hivelocity's WHMCS module reads them);
    ``lastRenew``/``renewDate`` are epoch seconds of the monthly cycle on ``renew_day``.
    """
    last_renew, renew_date = renewal(service, now)
    device_key = "deviceId" if "device_id_spelling" in variants else "id"
    body: dict[str, Any] = {
        "serviceId": service.service_id,
        "created": service.created,
        "lastRenew": last_renew,
        "renewDate": renew_date,
        "status": "active",
        "period": "monthly",
        "productName": "Dedicated Server",
        "serviceType": "Dedicated Server",
        "typeCode": "dedicated",
        "facilityName": service.facility,
        "ipAddress": service.primary_ip,
        "quantity": 1,
        "serviceDevices": [{device_key: service.device_id, "hostname": service.hostname}],
        "bandwidthBilling": {"billingMethod": "transfer",
                             "includedTransferUnit": f"{ALLOWANCE_OUT_BYTES // 10**12} TB",
                             "notification": "enabled", "overageUnit": "GB"},
        "usage": {},
    }
    if "billing_garbled" in variants:
        body["lastRenew"] = "soon"
        body["renewDate"] = -1
        body["bandwidthBilling"] = {"billingMethod": "95th percentile", "includedTransferUnit": "TB",
                                    "notification": "enabled", "overageUnit": "by arrangement"}
    return body
