"""Reactions of the trips context to other contexts' integration events (registered with logitrack.bus)."""

from apps.identity.events import UserErasedV1
from apps.trips.services import erasure
from logitrack.bus import subscriber


@subscriber(UserErasedV1, name="trips.erase_person")
def erase_person(event: UserErasedV1) -> None:
    erasure.person_erase(user_id=event.user_id)
