"""Tables owned by the notifications context; nothing else reads them. People and fleets are referenced by
UUID (identity and fleet own them)."""

from apps.notifications.models.deliveries import Delivery, DeliveryAttempt
from apps.notifications.models.preferences import Preference
from apps.notifications.models.push import PushSubscription
from apps.notifications.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Delivery",
    "DeliveryAttempt",
    "Preference",
    "PushSubscription",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
