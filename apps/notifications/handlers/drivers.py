"""Trips' offers, billing's payouts and partner's KYC expiry turned into messages to the driver, and fleet's vehicle
documents about to expire into messages to the fleet's managers and to the drivers with shifts on the vehicle
(services.drivers, services.managers). Thin."""

from __future__ import annotations

from apps.billing.events import PayoutPaidV1, PayoutRejectedV1
from apps.fleet.events import VehicleDocumentExpiringV1
from apps.notifications.domain import TripView
from apps.notifications.services import drivers, managers
from apps.partner.events import KycDocumentExpiringV1
from apps.trips.events import TripAssignedV2, TripOfferedV2
from logitrack.bus import subscriber


@subscriber(TripOfferedV2, name="notifications.push_offer_to_driver")
def push_offer_to_driver(event: TripOfferedV2) -> None:
    stops = sorted(TripView.of(event.trip).stops, key=lambda s: s.sequence)
    drivers.offer_made(
        event_id=event.event_id,
        event_type=event.TYPE,
        offer_id=event.offer_id,
        driver_id=event.driver_id,
        trip_id=event.trip.id,
        expires_at=event.expires_at,
        pickup=stops[0].address if stops else "",
        dropoff=stops[-1].address if stops else "",
    )


@subscriber(TripAssignedV2, name="notifications.push_assignment_to_driver")
def push_assignment_to_driver(event: TripAssignedV2) -> None:
    if event.by_driver or event.trip.driver_id is None:  # the driver took it: they know
        return
    trip = TripView.of(event.trip)
    stops = sorted(trip.stops, key=lambda s: s.sequence)
    drivers.trip_assigned(
        event_id=event.event_id,
        event_type=event.TYPE,
        driver_id=event.trip.driver_id,
        trip_id=event.trip.id,
        pickup=stops[0].address if stops else "",
        dropoff=stops[-1].address if stops else "",
        requested_for=event.trip.requested_for,
    )


@subscriber(PayoutPaidV1, name="notifications.tell_payout_paid")
def tell_payout_paid(event: PayoutPaidV1) -> None:
    drivers.payout_paid(
        event_id=event.event_id,
        event_type=event.TYPE,
        payout_id=event.payout_id,
        driver_id=event.driver_id,
        amount=event.amount,
    )


@subscriber(PayoutRejectedV1, name="notifications.tell_payout_rejected")
def tell_payout_rejected(event: PayoutRejectedV1) -> None:
    drivers.payout_rejected(
        event_id=event.event_id,
        event_type=event.TYPE,
        payout_id=event.payout_id,
        driver_id=event.driver_id,
        amount=event.amount,
        reason=event.reason,
    )


@subscriber(KycDocumentExpiringV1, name="notifications.tell_kyc_expiring")
def tell_kyc_expiring(event: KycDocumentExpiringV1) -> None:
    drivers.kyc_expiring(
        event_id=event.event_id,
        event_type=event.TYPE,
        driver_id=event.driver_id,
        kyc_type=event.kyc_type,
        expires_on=event.expires_on,
        days_left=event.days_left,
    )


@subscriber(VehicleDocumentExpiringV1, name="notifications.tell_vehicle_document_expiring")
def tell_vehicle_document_expiring(event: VehicleDocumentExpiringV1) -> None:
    papers = drivers.VehiclePapers(
        event_id=event.event_id,
        event_type=event.TYPE,
        fleet_id=event.fleet_id,
        vehicle_id=event.vehicle_id,
        kind=str(event.kind),
        expires_on=event.expires_on,
        days_left=event.days_left,
    )
    managers.vehicle_document_expiring_tell_managers(papers=papers)
    drivers.vehicle_document_expiring_tell_drivers(papers=papers)
