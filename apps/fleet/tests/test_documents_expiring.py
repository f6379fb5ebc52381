"""`vehicle_documents_expiring`: what fleet tells other contexts (dispatch's alerts) about papers running out."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.fleet import api
from apps.fleet.contracts import VehicleDocumentKind
from apps.fleet.tests.factories import VehicleDocumentFactory, active_fleet, vehicle

pytestmark = pytest.mark.django_db


def test_papers_running_out_by_the_date_one_per_vehicle_and_kind():
    fleet = active_fleet()
    van, other = vehicle(fleet), vehicle(fleet)
    today = timezone.localdate()
    soon = today + dt.timedelta(days=3)
    VehicleDocumentFactory(vehicle=van, kind=VehicleDocumentKind.INSPECTION, expires_on=soon)
    # insurance runs out soon but was renewed: the renewal counts
    VehicleDocumentFactory(vehicle=van, kind=VehicleDocumentKind.INSURANCE, expires_on=today + dt.timedelta(days=2))
    VehicleDocumentFactory(vehicle=other, kind=VehicleDocumentKind.INSPECTION, expires_on=soon)

    found = api.vehicle_documents_expiring(vehicle_ids=[van.id], on_or_before=today + dt.timedelta(days=7))
    assert [(e.vehicle_id, e.kind, e.expires_on) for e in found] == [(van.id, VehicleDocumentKind.INSPECTION, soon)]
    assert api.vehicle_documents_expiring(vehicle_ids=[van.id], on_or_before=today + dt.timedelta(days=2)) == []
