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


def test_fleet_branding_speaks_the_fleets_language_else_its_countrys_else_english():
    from apps.fleet.models import Fleet

    berlin = FleetFactory(country="DE", time_zone="Europe/Berlin", currency="EUR")
    english_in_berlin = FleetFactory(country="DE", time_zone="Europe/Berlin", currency="EUR")
    Fleet.objects.filter(id=berlin.id).update(brand_colour="#aa3300")
    Fleet.objects.filter(id=english_in_berlin.id).update(language="en")
    paris = FleetFactory(country="FR", time_zone="Europe/Paris", currency="EUR")
    found = api.fleet_branding(fleet_ids=[berlin.id, english_in_berlin.id, paris.id, uuid.uuid4()])
    assert set(found) == {berlin.id, english_in_berlin.id, paris.id}
    assert (found[berlin.id].language, found[berlin.id].locale, found[berlin.id].colour) == ("de", "de_DE", "#aa3300")
    assert (found[english_in_berlin.id].language, found[english_in_berlin.id].locale) == ("en", "en_DE")
    assert (found[paris.id].language, found[paris.id].locale) == ("en", "fr_FR")  # no French messages yet
    assert found[paris.id].logo_version == "" and found[berlin.id].name == berlin.name


def test_a_brand_colour_must_be_a_lower_case_hex_colour():
    from django.core.exceptions import ValidationError

    fleet = FleetFactory()
    fleet.brand_colour = "red"
    with pytest.raises(ValidationError) as caught:
        fleet.full_clean()
    assert "brand_colour" in caught.value.message_dict


@pytest.mark.parametrize("value", ["Mars/Olympus", "Europe"])  # "Europe" is a folder: it raised IsADirectoryError
def test_a_time_zone_that_is_not_a_zone_is_a_validation_error(value):
    from django.core.exceptions import ValidationError

    from apps.fleet.models import validate_time_zone

    with pytest.raises(ValidationError):
        validate_time_zone(value)
