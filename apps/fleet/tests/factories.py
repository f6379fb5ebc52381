"""Builders for fleet tests. They go through the services, as the product does."""

import datetime as dt
import uuid

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.fleet import integrations
from apps.fleet.contracts import VehicleDocumentKind, VehicleType
from apps.fleet.models import Fleet
from apps.fleet.services import onboarding, vehicle_documents, vehicles

FLEET_DATA = {
    "name": "Alpha Logistics",
    "legal_name": "Alpha Logistics GmbH",
    "address_line1": "Invalidenstraße 1",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "DE",
    "currency": "EUR",
    "time_zone": "Europe/Berlin",
    "tax_id": "DE123456789",
}


def applicant() -> uuid.UUID:
    return (
        get_user_model()
        .objects.create_user(email=f"applicant.{uuid.uuid4().hex[:8]}@example.test", password="x" * 12)
        .id
    )


def active_fleet(*, fleet_id: uuid.UUID | None = None, applicant_id: uuid.UUID | None = None, **overrides) -> Fleet:
    """An active fleet through onboarding. With `fleet_id` (a tenant of the isolation kit, whose
    memberships exist already) the row is written directly with that id instead."""
    if fleet_id is not None:
        fleet = Fleet.objects.create(
            id=fleet_id, applicant_id=applicant_id or applicant(), status="active", **{**FLEET_DATA, **overrides}
        )
        integrations.fleet_name_tell(fleet_id=fleet.id, name=fleet.name)  # as activation does
        return fleet
    fleet = onboarding.fleet_apply(applicant_id=applicant_id or applicant(), data={**FLEET_DATA, **overrides})
    for action in ("start_review", "activate"):
        onboarding.fleet_transition(fleet_id=fleet.id, action=action, actor_id=None)
    fleet.refresh_from_db()
    return fleet


def vehicle(fleet: Fleet, *, vehicle_type=VehicleType.VAN, registration=None, papers=True, **data):
    registration = registration or f"B-{uuid.uuid4().hex[:6].upper()}"
    defaults = {"make": "Ford", "model": "Transit", "year": 2022, "capacity_kg": 1200, "seats": 2}
    if vehicle_type == VehicleType.TRUCK:
        defaults["gross_weight_kg"] = 7500
    created = vehicles.vehicle_add(
        fleet_id=fleet.id, vehicle_type=vehicle_type, data={"registration": registration, **defaults, **data}
    )
    if papers:
        for kind in (VehicleDocumentKind.REGISTRATION, VehicleDocumentKind.INSURANCE):
            vehicle_documents.vehicle_document_add(
                vehicle_id=created.id, kind=kind, expires_on=timezone.localdate() + dt.timedelta(days=365)
            )
    return created
