"""`fleet_localities`: how each fleet's people read figures, for every context's admin."""

from __future__ import annotations

import uuid

import pytest

from apps.fleet import api
from apps.fleet.contracts import FleetLocality
from apps.fleet.tests.factories import FleetFactory

pytestmark = pytest.mark.django_db


def test_each_fleet_gets_its_countrys_locale_its_clock_and_its_currency():
    berlin = FleetFactory(name="Alpha", country="DE", currency="EUR", time_zone="Europe/Berlin")
    london = FleetFactory(name="Bravo", country="GB", currency="GBP", time_zone="Europe/London")
    missing = uuid.uuid4()

    found = api.fleet_localities(fleet_ids=[berlin.id, london.id, missing])

    assert found == {
        berlin.id: FleetLocality(locale="de_DE", time_zone="Europe/Berlin", currency="EUR"),
        london.id: FleetLocality(locale="en_GB", time_zone="Europe/London", currency="GBP"),
    }
    assert api.fleet_localities(fleet_ids=[]) == {}
