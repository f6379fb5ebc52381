"""The only place notifications calls other contexts (down the context map): contacts, branding, names, the
tracking link, proofs and receipts; for webhooks, fleet names and localities. Each returns plain values or the
other context's contracts, and turns "not found" into None, so a message about someone erased or something
deleted is suppressed, not failed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from apps.billing import contracts as billing_contracts
from apps.billing.contracts import PayoutsWaiting, RevenueDayFigures, TripReceipt
from apps.dispatch import api as dispatch_api
from apps.fleet import api as fleet_api
from apps.fleet.contracts import FleetBranding, VehicleNotFound
from apps.identity import api as identity_api
from apps.identity.contracts import AccountLink, FleetRole, UserContact, UserNotFound
from apps.partner import api as partner_api
from apps.partner.contracts import DriverNotFound, DriverRef, KycQueue
from apps.trips import api as trips_api
from apps.trips.contracts import ProofSummary, TrackingLinkRef, TripDayFigures
from logitrack import remote
from logitrack.formatting import Locality


def _billing_inprocess():
    from apps.billing import api

    return api


# billing's api, in this process or over HTTP when billing runs as its own service (BILLING_API_MODE)
billing_api = remote.ContextApi(billing_contracts.REMOTE, inprocess=_billing_inprocess)


def contact(*, user_id: uuid.UUID | None) -> UserContact | None:
    if user_id is None:
        return None
    try:
        return identity_api.user_contact_get(user_id=user_id)
    except UserNotFound:
        return None


def account_link(*, kind: str, link_id: str) -> AccountLink | None:
    """A password or invitation link, made by identity when the mail goes out (None: it opens nothing now)."""
    return identity_api.account_link(kind=kind, link_id=link_id)


def branding(*, fleet_id: uuid.UUID) -> FleetBranding | None:
    return fleet_api.fleet_branding(fleet_ids=[fleet_id]).get(fleet_id)


@dataclasses.dataclass(frozen=True)
class DriverAndVehicle:
    first_name: str  # "" when unknown
    vehicle: str  # "Ford Transit B-LT 123", "" when unknown


def driver_and_vehicle(*, driver_id: uuid.UUID | None, vehicle_id: uuid.UUID | None) -> DriverAndVehicle:
    """The driver's first name only (a customer needs no more) and the vehicle as people recognise it."""
    first_name = ""
    if driver_id is not None:
        try:
            name = partner_api.driver_get(driver_id=driver_id).display_name.strip()
            first_name = name.split()[0] if name else ""
        except DriverNotFound:
            pass
    vehicle = ""
    if vehicle_id is not None:
        try:
            ref = fleet_api.vehicle_get(vehicle_id=vehicle_id)
            vehicle = " ".join(filter(None, [ref.make, ref.model, ref.registration]))
        except VehicleNotFound:
            pass
    return DriverAndVehicle(first_name=first_name, vehicle=vehicle)


def brandings(*, fleet_ids: list[uuid.UUID]) -> dict[uuid.UUID, FleetBranding]:
    return fleet_api.fleet_branding(fleet_ids=list(fleet_ids))


def tracking_link(*, trip_id: uuid.UUID) -> TrackingLinkRef | None:
    return trips_api.tracking_link(trip_id=trip_id)


def tracking_links(*, trip_ids: list[uuid.UUID]) -> dict[uuid.UUID, TrackingLinkRef]:
    return trips_api.tracking_links(trip_ids=list(trip_ids))


def trip_proofs(*, trip_id: uuid.UUID) -> list[ProofSummary]:
    return trips_api.trip_proofs(trip_id=trip_id)


def trips_proofs(*, trip_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ProofSummary]]:
    return trips_api.trips_proofs(trip_ids=list(trip_ids))


def trip_receipt(*, trip_id: uuid.UUID) -> TripReceipt | None:
    """BillingUnavailable when billing runs apart and cannot be reached (the delivery waits: services/deliveries)."""
    return billing_api.trip_receipt(trip_id=trip_id)


def receipt_pdf(*, invoice_id: uuid.UUID) -> bytes:
    return billing_api.receipt_pdf(invoice_id=invoice_id)


def fleet_exists(*, fleet_id: uuid.UUID) -> bool:
    return bool(fleet_api.fleet_names(fleet_ids=[fleet_id]))


def fleet_names(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return fleet_api.fleet_names(fleet_ids=list(ids))


def fleet_choices(*, fleet_ids: frozenset[uuid.UUID] | None) -> dict[uuid.UUID, str]:
    """The fleets an admin user may name in a form, by name (every fleet for platform admins)."""
    return fleet_api.fleet_names(fleet_ids=None if fleet_ids is None else list(fleet_ids))


def fleet_localities(*, fleet_ids: list[uuid.UUID]) -> dict[uuid.UUID, Locality]:
    return {
        fleet_id: Locality(locale=found.locale, time_zone=found.time_zone, currency=found.currency)
        for fleet_id, found in fleet_api.fleet_localities(fleet_ids=list(fleet_ids)).items()
    }


# ---- what managers receive: their addresses and the figures of the manager's overview (config/console reads the
# same api calls; an app may not import config)


def fleet_manager_ids(*, fleet_id: uuid.UUID) -> list[uuid.UUID]:
    """The fleet's (unrevoked) managers, in one query."""
    return [m.user_id for m in identity_api.fleet_members(fleet_id=fleet_id, role=FleetRole.FLEET_MANAGER)]


def fleet_manager_contacts(*, fleet_id: uuid.UUID) -> list[UserContact]:
    """How to reach each manager of the fleet; erased or deactivated ones are left out."""
    return contacts(user_ids=fleet_manager_ids(fleet_id=fleet_id))


def contacts(*, user_ids: list[uuid.UUID]) -> list[UserContact]:
    """How to reach these people, in one query; erased or deactivated ones are left out."""
    return identity_api.user_contacts_get(user_ids=list(user_ids))


def all_brandings() -> dict[uuid.UUID, FleetBranding]:
    """Every fleet's branding (name, language, locale, time zone, currency), in one query each."""
    return fleet_api.fleet_branding(fleet_ids=list(fleet_api.fleet_names(fleet_ids=None)))


def kyc_review_queue(*, fleet_id: uuid.UUID) -> KycQueue:
    return partner_api.kyc_review_queue(fleet_ids=[fleet_id], limit=1)


def payouts_waiting(*, fleet_id: uuid.UUID) -> PayoutsWaiting:
    return billing_api.payouts_waiting(fleet_ids=[fleet_id], limit=1)


def documents_expiring(*, fleet_id: uuid.UUID, on_or_before: dt.date) -> tuple[int, int]:
    """How many drivers' documents and vehicles' documents of the fleet run out by then."""
    drivers = partner_api.kyc_documents_expiring(fleet_ids=[fleet_id], on_or_before=on_or_before)
    vehicles = fleet_api.fleet_documents_expiring(fleet_ids=[fleet_id], on_or_before=on_or_before)
    return len(drivers), len(vehicles)


def trip_day(*, fleet_id: uuid.UUID, day: dt.date) -> TripDayFigures | None:
    return next(iter(trips_api.trip_days(fleet_ids=[fleet_id], first=day, last=day)), None)


def revenue_on(*, fleet_id: uuid.UUID, day: dt.date) -> list[RevenueDayFigures]:
    return billing_api.revenue_by_day(fleet_ids=[fleet_id], first=day, last=day)


# ---- what drivers receive


def driver(*, driver_id: uuid.UUID) -> DriverRef | None:
    """The driver's profile (its `user_id` is who is told), None when the profile is gone."""
    try:
        return partner_api.driver_get(driver_id=driver_id)
    except DriverNotFound:
        return None


def drivers_connected(*, driver_ids: list[uuid.UUID]) -> frozenset[uuid.UUID]:
    """Which drivers have the driver app's socket open: they hear offers there, so they get no push."""
    return dispatch_api.drivers_connected(driver_ids=list(driver_ids))


def vehicle_drivers(*, vehicle_id: uuid.UUID, since: dt.datetime) -> list[uuid.UUID]:
    """Drivers with a current or coming shift on the vehicle."""
    return trips_api.vehicle_drivers(vehicle_id=vehicle_id, since=since)


def vehicle_name(*, vehicle_id: uuid.UUID) -> str:
    """The vehicle as people recognise it ("Ford Transit B-LT 123"), "" when it is gone."""
    return driver_and_vehicle(driver_id=None, vehicle_id=vehicle_id).vehicle
