"""What the notifications webhook tests need from the contexts around them, built through their own factories: two
active fleets (the two tenants of `two_fleets`). The notifications tests import it, so they import nothing of
another context themselves."""

from __future__ import annotations

import pytest

from apps.fleet.events import VehicleStatusChangedV1
from apps.fleet.tests.factories import active_fleet


@pytest.fixture
def fleets(two_fleets):
    """(two_fleets, fleet A, fleet B): both active, A in Berlin."""
    a = active_fleet(fleet_id=two_fleets.a.fleet_id, name="Alpha Logistics")
    b = active_fleet(fleet_id=two_fleets.b.fleet_id, name="Bravo Freight")
    return two_fleets, a, b


def vehicle_event(fleet_id, **fields) -> VehicleStatusChangedV1:
    """A published fleet event integrators may subscribe to (`vehicle.status_changed`)."""
    import uuid

    return VehicleStatusChangedV1(
        vehicle_id=fields.pop("vehicle_id", uuid.uuid4()),
        fleet_id=fleet_id,
        old_status=fields.pop("old_status", "active"),
        new_status=fields.pop("new_status", "in_maintenance"),
        **fields,
    )
