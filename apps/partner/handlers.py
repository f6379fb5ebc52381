"""Reactions of the partner context to identity's events: drivers appear, leave and are erased."""

from apps.identity.contracts import FleetRole
from apps.identity.events import MembershipGrantedV1, MembershipRevokedV1, UserErasedV1
from apps.partner import integrations
from apps.partner.services import drivers, erasure
from logitrack.bus import subscriber


@subscriber(MembershipGrantedV1, name="partner.onboard_driver")
def onboard_driver(event: MembershipGrantedV1) -> None:
    if event.role != FleetRole.DRIVER:
        return
    person = integrations.person_get(user_id=event.user_id)
    drivers.driver_onboard(
        user_id=event.user_id,
        fleet_id=event.fleet_id,
        display_name=person.display_name if person else "",
        phone=person.phone if person else "",
    )


@subscriber(MembershipRevokedV1, name="partner.offboard_driver")
def offboard_driver(event: MembershipRevokedV1) -> None:
    if event.role == FleetRole.DRIVER:
        drivers.driver_offboard(user_id=event.user_id, fleet_id=event.fleet_id)


@subscriber(UserErasedV1, name="partner.anonymise_driver")
def anonymise_driver(event: UserErasedV1) -> None:
    erasure.driver_anonymise(user_id=event.user_id)
