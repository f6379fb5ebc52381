"""Test factories of the fleet context (factory-boy). Rows are made through the services, as the product makes
them, so events are published and rules hold: `FleetFactory()` is an active fleet after onboarding,
`VehicleFactory(fleet=...)` a vehicle with valid registration and insurance papers.

`active_fleet(...)` and `vehicle(fleet, ...)` are the same factories as functions, for callers outside the app
(tests/support, other contexts' tests, scripts) that use those names.
"""

from __future__ import annotations

import datetime as dt
import uuid

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.fleet import integrations
from apps.fleet.contracts import FleetStatus, VehicleDocumentKind, VehicleType
from apps.fleet.models import Fleet, Vehicle, VehicleDocument
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
    """An operator's account (identity's user), who applies for a fleet."""
    return (
        get_user_model()
        .objects.create_user(email=f"applicant.{uuid.uuid4().hex[:8]}@example.test", password="x" * 12)
        .id
    )


class FleetFactory(factory.django.DjangoModelFactory[Fleet]):
    """An active fleet through onboarding (apply, start review, activate: the applicant becomes its manager).
    Given an `id` (a tenant of the isolation kit, whose memberships exist already) the row is written directly
    with that id, and identity is told its name as activation does."""

    class Meta:
        model = Fleet

    name = FLEET_DATA["name"]
    legal_name = FLEET_DATA["legal_name"]
    address_line1 = FLEET_DATA["address_line1"]
    postal_code = FLEET_DATA["postal_code"]
    city = FLEET_DATA["city"]
    country = FLEET_DATA["country"]
    currency = FLEET_DATA["currency"]
    time_zone = FLEET_DATA["time_zone"]
    tax_id = FLEET_DATA["tax_id"]
    applicant_id = factory.LazyFunction(applicant)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        fleet_id, applicant_id = kwargs.pop("id", None), kwargs.pop("applicant_id")
        if fleet_id is not None:
            fleet = model_class.objects.create(
                id=fleet_id, applicant_id=applicant_id, status=FleetStatus.ACTIVE, **kwargs
            )
            integrations.fleet_name_tell(fleet_id=fleet.id, name=fleet.name)
            return fleet
        fleet = onboarding.fleet_apply(applicant_id=applicant_id, data=kwargs)
        for action in ("start_review", "activate"):
            onboarding.fleet_transition(fleet_id=fleet.id, action=action, actor_id=None)
        fleet.refresh_from_db()
        return fleet


class VehicleDocumentFactory(factory.django.DjangoModelFactory[VehicleDocument]):
    """A vehicle document (registration by default) valid for a year, without a scan."""

    class Meta:
        model = VehicleDocument

    vehicle = factory.SubFactory("apps.fleet.tests.factories.VehicleFactory", papers=False)
    kind = VehicleDocumentKind.REGISTRATION
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))

    @classmethod
    def _create(cls, model_class, *args, vehicle, **kwargs):
        return vehicle_documents.vehicle_document_add(vehicle_id=vehicle.id, **kwargs)


class VehicleFactory(factory.django.DjangoModelFactory[Vehicle]):
    """A vehicle of `vehicle_type` (a van by default; a truck gets its gross weight) added to `fleet`, with valid
    registration and insurance papers unless `papers=False`."""

    class Meta:
        model = Vehicle
        skip_postgeneration_save = True  # the services saved it

    fleet = factory.SubFactory(FleetFactory)
    vehicle_type = VehicleType.VAN
    registration = factory.LazyFunction(lambda: f"B-{uuid.uuid4().hex[:6].upper()}")
    make = "Ford"
    model = "Transit"
    year = 2022
    capacity_kg = 1200
    seats = 2
    gross_weight_kg = factory.LazyAttribute(lambda o: 7500 if o.vehicle_type == VehicleType.TRUCK else None)

    @classmethod
    def _create(cls, model_class, *args, fleet, vehicle_type, **kwargs):
        data = {field: value for field, value in kwargs.items() if value is not None}
        return vehicles.vehicle_add(fleet_id=fleet.id, vehicle_type=VehicleType(vehicle_type), data=data)

    @factory.post_generation
    def papers(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            for kind in (VehicleDocumentKind.REGISTRATION, VehicleDocumentKind.INSURANCE):
                VehicleDocumentFactory(vehicle=obj, kind=kind)


def active_fleet(*, fleet_id: uuid.UUID | None = None, applicant_id: uuid.UUID | None = None, **overrides) -> Fleet:
    """`FleetFactory` as a function: an active fleet (with `fleet_id`, that tenant's row written directly)."""
    given = {"id": fleet_id} if fleet_id is not None else {}
    if applicant_id is not None:
        given["applicant_id"] = applicant_id
    return FleetFactory.create(**given, **overrides)


def vehicle(fleet: Fleet, *, vehicle_type=VehicleType.VAN, registration=None, papers=True, **data) -> Vehicle:
    """`VehicleFactory` as a function: a vehicle of `fleet`, with papers unless `papers=False`."""
    given = {"registration": registration} if registration else {}
    return VehicleFactory.create(fleet=fleet, vehicle_type=vehicle_type, papers=papers, **given, **data)
