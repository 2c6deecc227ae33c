"""Hivelocity listing bodies: ``Device-dump`` and ``FastService-dump`` objects."""

from __future__ import annotations

from typing import Any

from bwtui.simulator.world import ALLOWANCE_OUT_BYTES, FACILITIES, HvService


def device_dump(service: HvService) -> dict[str, Any]:
    """A ``Device-dump`` as ``GET /device/`` lists it."""
    city, _ = FACILITIES[service.facility]
    return {
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


def service_dump(service: HvService) -> dict[str, Any]:
    """A ``FastService-dump`` as ``GET /service/`` lists it."""
    return {
        "serviceId": service.service_id,
        "created": service.created,
        "status": "active",
        "period": "monthly",
        "productName": "Dedicated Server",
        "serviceType": "Dedicated Server",
        "typeCode": "dedicated",
        "facilityName": service.facility,
        "ipAddress": service.primary_ip,
        "quantity": 1,
        "serviceDevices": [{"deviceId": service.device_id, "hostname": service.hostname}],
        "bandwidthBilling": {"billingMethod": "transfer",
                             "includedTransferUnit": f"{ALLOWANCE_OUT_BYTES // 10**12} TB",
                             "notification": "enabled", "overageUnit": "GB"},
        "usage": {},
    }
