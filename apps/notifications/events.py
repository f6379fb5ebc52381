"""Integration events the notifications context publishes (versioned; see logitrack.events)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from logitrack.events import IntegrationEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class WebhookEndpointDisabledV1(IntegrationEvent):
    """An integrator's webhook endpoint failed without a success for days and was switched off: tell the fleet's
    managers (it stays off until one of them switches it on again)."""

    TYPE = "logitrack.notifications.webhook_endpoint.disabled.v1"

    endpoint_id: uuid.UUID
    fleet_id: uuid.UUID
    url: str
    failing_since: dt.datetime
    last_error: str
