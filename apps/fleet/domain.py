"""Pure rules of the fleet context: the onboarding state machine and vehicle status changes."""

from __future__ import annotations

from apps.fleet.contracts import FleetStatus, VehicleStatus

FLEET_ACTIONS: dict[str, tuple[frozenset[FleetStatus], FleetStatus]] = {
    "start_review": (frozenset({FleetStatus.APPLIED}), FleetStatus.UNDER_REVIEW),
    "activate": (frozenset({FleetStatus.UNDER_REVIEW}), FleetStatus.ACTIVE),
    "reject": (frozenset({FleetStatus.APPLIED, FleetStatus.UNDER_REVIEW}), FleetStatus.CLOSED),
    "suspend": (frozenset({FleetStatus.ACTIVE}), FleetStatus.SUSPENDED),
    "reinstate": (frozenset({FleetStatus.SUSPENDED}), FleetStatus.ACTIVE),
    "close": (frozenset({FleetStatus.ACTIVE, FleetStatus.SUSPENDED}), FleetStatus.CLOSED),
}

VEHICLE_TRANSITIONS: dict[VehicleStatus, frozenset[VehicleStatus]] = {
    VehicleStatus.ACTIVE: frozenset({VehicleStatus.IN_MAINTENANCE, VehicleStatus.RETIRED}),
    VehicleStatus.IN_MAINTENANCE: frozenset({VehicleStatus.ACTIVE, VehicleStatus.RETIRED}),
    VehicleStatus.RETIRED: frozenset(),
}


def fleet_next_status(current: FleetStatus, action: str) -> FleetStatus | None:
    """The status `action` leads to from `current`, or None when the action is not allowed there."""
    sources, target = FLEET_ACTIONS[action]
    return target if current in sources else None


def vehicle_may_become(current: VehicleStatus, target: VehicleStatus) -> bool:
    return target in VEHICLE_TRANSITIONS[current]
