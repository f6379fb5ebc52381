"""Each fleet's locale (from its country), time zone and currency, as other contexts' pages read them."""

import uuid

import pytest

from apps.fleet import api
from apps.fleet.contracts import FleetLocality
from apps.fleet.tests.factories import FleetFactory

pytestmark = pytest.mark.django_db


def test_fleet_localities_give_each_fleets_locale_clock_and_currency_and_leave_unknown_ids_out():
    berlin = FleetFactory(country="DE", time_zone="Europe/Berlin", currency="EUR")
    zurich = FleetFactory(country="CH", time_zone="Europe/Zurich", currency="CHF")
    found = api.fleet_localities(fleet_ids=[berlin.id, zurich.id, uuid.uuid4()])
    assert found == {
        berlin.id: FleetLocality(locale="de_DE", time_zone="Europe/Berlin", currency="EUR"),
        zurich.id: FleetLocality(locale="de_CH", time_zone="Europe/Zurich", currency="CHF"),
    }
