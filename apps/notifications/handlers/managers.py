"""What a fleet's managers are told about their fleet's integrations. Notifications reacts to its own event here
(through the outbox like any other): the webhook side switches an endpoint off and publishes
`WebhookEndpointDisabledV1`; this side mails the managers, in its own transaction and retries."""

from __future__ import annotations

from apps.notifications.events import WebhookEndpointDisabledV1
from apps.notifications.services import managers
from logitrack.bus import subscriber


@subscriber(WebhookEndpointDisabledV1, name="notifications.tell_managers_endpoint_disabled")
def tell_managers_endpoint_disabled(event: WebhookEndpointDisabledV1) -> None:
    managers.webhook_disabled_tell(
        disabled=managers.EndpointDisabled(
            event_id=event.event_id,
            event_type=event.TYPE,
            endpoint_id=event.endpoint_id,
            fleet_id=event.fleet_id,
            url=event.url,
            failing_since=event.failing_since,
            last_error=event.last_error,
        )
    )
