"""Every event integrators may subscribe to becomes a delivery to each endpoint of its fleet that chose it
(apps/notifications/webhooks/catalogue.py names them). One subscription per event type, so a failing fleet
endpoint never holds up another type: sending happens later, in its own job."""

from __future__ import annotations

from apps.billing.events import FareFinalisedV1, InvoiceIssuedV1, PayoutPaidV1, PayoutRejectedV1
from apps.fleet.events import (
    VehicleAddedV1,
    VehicleDocumentExpiredV1,
    VehicleDocumentExpiringV1,
    VehicleStatusChangedV1,
)
from apps.notifications.webhooks import catalogue, services
from apps.partner.events import ComplianceChangedV1, DriverOnboardedV1, DutyStatusChangedV1, KycDocumentExpiringV1
from apps.trips.events import (
    TripAssignedV2,
    TripCancelledV2,
    TripCompletedV2,
    TripFailedV2,
    TripOfferDeclinedV2,
    TripOfferedV2,
    TripRequestedV2,
    TripStatusChangedV2,
)
from logitrack.bus import subscriber
from logitrack.events import IntegrationEvent, to_envelope

PUBLISHED: tuple[type[IntegrationEvent], ...] = (
    TripRequestedV2,
    TripAssignedV2,
    TripStatusChangedV2,
    TripCompletedV2,
    TripCancelledV2,
    TripFailedV2,
    TripOfferedV2,
    TripOfferDeclinedV2,
    FareFinalisedV1,
    InvoiceIssuedV1,
    PayoutPaidV1,
    PayoutRejectedV1,
    DriverOnboardedV1,
    DutyStatusChangedV1,
    ComplianceChangedV1,
    KycDocumentExpiringV1,
    VehicleAddedV1,
    VehicleStatusChangedV1,
    VehicleDocumentExpiringV1,
    VehicleDocumentExpiredV1,
)


def queue_webhooks(event: IntegrationEvent) -> None:
    services.deliveries_create(event_envelope=to_envelope(event))


for _event in PUBLISHED:
    _public = catalogue.BY_SOURCE[_event.TYPE].name
    subscriber(_event, name=f"notifications.queue_webhooks_{_public.replace('.', '_')}")(queue_webhooks)
