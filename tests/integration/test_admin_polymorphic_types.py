"""The admin of a polymorphic model (vehicles, KYC documents) reads a row's type on the row's own database: split,
each context's database numbers its content types itself (docs/extraction.md), and the ids on default name other
models."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from apps.fleet.models import Vehicle
from apps.fleet.tests.factories import active_fleet, vehicle
from apps.identity.contracts import FleetRole
from logitrack.db import contexts

pytestmark = pytest.mark.django_db


def test_a_vehicles_page_its_type_filter_and_the_add_choices_name_its_own_type(two_fleets):
    alpha = active_fleet(fleet_id=two_fleets.a.fleet_id, name="Alpha Couriers")
    van = Vehicle.objects.get(pk=vehicle(alpha).pk).get_real_instance()
    own_type = ContentType.objects.db_manager(contexts.alias("fleet")).get_for_model(type(van))
    client = Client()
    client.force_login(two_fleets.a.users[FleetRole.FLEET_MANAGER])

    page = client.get(f"/admin/fleet/vehicle/{van.pk}/change/")
    assert page.status_code == 200 and van.registration in page.content.decode()
    listed = client.get("/admin/fleet/vehicle/", {"polymorphic_ctype": own_type.id})
    assert [v.pk for v in listed.context["cl"].queryset] == [van.pk]
    choose = client.get("/admin/fleet/vehicle/add/")
    assert f'value="{own_type.id}"' in choose.content.decode()
    assert client.get("/admin/fleet/vehicle/add/", {"ct_id": own_type.id}).status_code == 200
