"""Public in-process API of the fleet context: keyword-only functions, contracts in and out.

Only other apps' `integrations.py` (and `config`) may import this module.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import QuerySet

from apps.fleet.contracts import (
    Capacity,
    DocumentExpiry,
    FleetBranding,
    FleetLocality,
    FleetLogo,
    FleetNotFound,
    FleetRef,
    FleetStatus,
    ServiceArea,
    VehicleDocumentKind,
    VehicleNotFound,
    VehicleRef,
    VehicleStatus,
)
from apps.fleet.models import Fleet as _Fleet
from apps.fleet.models import Vehicle as _Vehicle
from apps.fleet.models import VehicleDocument as _VehicleDocument
from apps.fleet.selectors import branding as _branding
from apps.fleet.selectors import vehicles as _vehicles
from logitrack.formatting import locale_for as _locale_for


def fleet_get(*, fleet_id: uuid.UUID) -> FleetRef:
    """A fleet with the settings other contexts use (currency, time zone, commission, dispatch, area)."""
    fleet = _Fleet.objects.filter(id=fleet_id).first()
    if fleet is None:
        raise FleetNotFound(f"fleet {fleet_id} does not exist")
    return _fleet_ref(fleet)


def fleets_get(*, fleet_ids: list[uuid.UUID]) -> list[FleetRef]:
    """Batch lookup, by name; unknown ids are left out."""
    return [_fleet_ref(f) for f in _Fleet.objects.filter(id__in=fleet_ids).order_by("name", "id")]


def fleet_names(*, fleet_ids: list[uuid.UUID] | None = None) -> dict[uuid.UUID, str]:
    """Names of the given fleets (every fleet when None), for pickers and labels; unknown ids are left out."""
    qs = _Fleet.objects.all() if fleet_ids is None else _Fleet.objects.filter(id__in=fleet_ids)
    return dict(qs.order_by("name").values_list("id", "name"))


def fleet_localities(*, fleet_ids: list[uuid.UUID]) -> dict[uuid.UUID, FleetLocality]:
    """Each fleet's locale, time zone and currency, for showing its figures; unknown ids are left out."""
    rows = _Fleet.objects.filter(id__in=fleet_ids).values_list("id", "country", "time_zone", "currency")
    return {
        fleet_id: FleetLocality(locale=_locale_for(country), time_zone=time_zone, currency=currency)
        for fleet_id, country, time_zone, currency in rows
    }


SPOKEN = ("en", "de")  # languages LogiTrack's messages and pages are written in


def fleet_branding(*, fleet_ids: list[uuid.UUID]) -> dict[uuid.UUID, FleetBranding]:
    """Each fleet's name, colour, language and locale for what is sent or shown in its name; unknown ids are
    left out."""
    rows = _Fleet.objects.filter(id__in=fleet_ids).only(
        "id", "name", "country", "time_zone", "currency", "language", "brand_colour", "logo_path"
    )
    found = {}
    for fleet in rows:
        locale = _locale_for(fleet.country, fleet.language)
        spoken = fleet.language or locale.split("_")[0]
        found[fleet.id] = FleetBranding(
            fleet_id=fleet.id,
            name=fleet.name,
            colour=fleet.brand_colour,
            language=spoken if spoken in SPOKEN else "en",
            locale=locale,
            time_zone=fleet.time_zone,
            currency=fleet.currency,
            logo_version=_logo_version(fleet.logo_path),
        )
    return found


def fleet_logo(*, fleet_id: uuid.UUID) -> FleetLogo | None:
    """The fleet's logo (PNG) and its version, or None without one (or when its file is gone)."""
    return _branding.fleet_logo(fleet_id=fleet_id)


def _logo_version(path: str) -> str:
    return _branding.logo_version(path)


def vehicles_get(*, vehicle_ids: list[uuid.UUID]) -> list[VehicleRef]:
    """Batch lookup; unknown ids are left out."""
    return [_vehicle_ref(v) for v in _Vehicle.objects.filter(id__in=vehicle_ids).order_by("registration")]


def vehicle_get(*, vehicle_id: uuid.UUID) -> VehicleRef:
    found = vehicles_get(vehicle_ids=[vehicle_id])
    if not found:
        raise VehicleNotFound(f"vehicle {vehicle_id} does not exist")
    return found[0]


def vehicles_assignable(*, fleet_id: uuid.UUID, starts_at: dt.datetime, ends_at: dt.datetime) -> list[VehicleRef]:
    """Vehicles that may work the whole window: active, not in maintenance, papers valid to its end."""
    return [
        _vehicle_ref(v) for v in _vehicles.vehicles_assignable(fleet_id=fleet_id, starts_at=starts_at, ends_at=ends_at)
    ]


def vehicle_capacity_max(*, fleet_id: uuid.UUID, vehicle_type: str | None = None) -> Capacity:
    """The largest load one active vehicle of the fleet (of that type) can carry, per dimension."""
    qs = _Vehicle.objects.filter(fleet_id=fleet_id, status=VehicleStatus.ACTIVE)
    vehicles = [v for v in qs if vehicle_type is None or v.TYPE == vehicle_type]
    return Capacity(
        weight_kg=max((v.capacity_kg for v in vehicles), default=0),
        volume_m3=max((float(v.capacity_volume_m3) for v in vehicles), default=0.0),
        seats=max((v.seats for v in vehicles), default=0),
        parcels=max((v.parcels for v in vehicles), default=0),
    )


def vehicle_documents_expiring(*, vehicle_ids: list[uuid.UUID], on_or_before: dt.date) -> list[DocumentExpiry]:
    """The vehicles' papers that run out by `on_or_before`, one per vehicle and kind: the one that lasts longest
    (a renewal supersedes the old one). In one query; soonest first."""
    return _expiring(_VehicleDocument.objects.filter(vehicle_id__in=vehicle_ids), on_or_before)


def fleet_documents_expiring(*, fleet_ids: list[uuid.UUID], on_or_before: dt.date) -> list[DocumentExpiry]:
    """`vehicle_documents_expiring` for every vehicle of these fleets (the manager's overview), in one query."""
    return _expiring(_VehicleDocument.objects.filter(vehicle__fleet_id__in=fleet_ids), on_or_before)


def vehicle_names(*, vehicle_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """How people tell vehicles apart, "BSK104 · Ford Transit", in one query; unknown ids are left out."""
    rows = (
        _Vehicle.objects.non_polymorphic().filter(id__in=vehicle_ids).values_list("id", "registration", "make", "model")
    )
    return {
        vehicle_id: " · ".join(filter(None, [registration, f"{make} {model}".strip()]))
        for vehicle_id, registration, make, model in rows
    }


def _expiring(documents: QuerySet[_VehicleDocument], on_or_before: dt.date) -> list[DocumentExpiry]:
    latest: dict[tuple[uuid.UUID, str], _VehicleDocument] = {}
    for doc in documents:
        key = (doc.vehicle_id, doc.kind)
        if key not in latest or doc.expires_on > latest[key].expires_on:
            latest[key] = doc
    found = [
        DocumentExpiry(
            document_id=d.id, vehicle_id=d.vehicle_id, kind=VehicleDocumentKind(d.kind), expires_on=d.expires_on
        )
        for d in latest.values()
        if d.expires_on <= on_or_before
    ]
    return sorted(found, key=lambda e: (e.expires_on, str(e.vehicle_id), e.kind))


def _fleet_ref(fleet: _Fleet) -> FleetRef:
    return FleetRef(
        id=fleet.id,
        name=fleet.name,
        legal_name=fleet.legal_name,
        status=FleetStatus(fleet.status),
        country=fleet.country,
        currency=fleet.currency,
        time_zone=fleet.time_zone,
        tax_id=fleet.tax_id,
        address_line1=fleet.address_line1,
        address_line2=fleet.address_line2,
        postal_code=fleet.postal_code,
        city=fleet.city,
        auto_dispatch=fleet.auto_dispatch,
        default_service_minutes=fleet.default_service_minutes,
        commission_bps=fleet.commission_bps,
        service_area=ServiceArea(
            center_lat=fleet.service_center_lat,
            center_lng=fleet.service_center_lng,
            radius_m=fleet.service_radius_m,
            polygon=tuple(tuple(v) for v in fleet.service_polygon or ()),
        ),
        proof_of_delivery=tuple(fleet.proof_of_delivery or ()),
    )


def _vehicle_ref(vehicle: _Vehicle) -> VehicleRef:
    real = vehicle.get_real_instance()
    return VehicleRef(
        id=real.id,
        fleet_id=real.fleet_id,
        type=real.TYPE,
        registration=real.registration,
        make=real.make,
        model=real.model,
        year=real.year,
        status=VehicleStatus(real.status),
        capacity=real.capacity(),
        required_licence_class=real.required_licence_class(),
    )
