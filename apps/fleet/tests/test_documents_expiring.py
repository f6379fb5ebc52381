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


def test_every_vehicle_of_the_fleets_and_their_names():
    """The manager's overview asks by fleet, and names vehicles by plate, make and model (never their ids)."""
    fleet, elsewhere = active_fleet(), active_fleet()
    van = vehicle(fleet, registration="B-SK 104", make="Ford", model="Transit", papers=False)
    theirs = vehicle(elsewhere, registration="L-TC 9", papers=False)
    today = timezone.localdate()
    soon = today + dt.timedelta(days=12)
    paper = VehicleDocumentFactory(vehicle=van, kind=VehicleDocumentKind.INSURANCE, expires_on=soon)
    VehicleDocumentFactory(vehicle=theirs, kind=VehicleDocumentKind.INSURANCE, expires_on=soon)

    found = api.fleet_documents_expiring(fleet_ids=[fleet.id], on_or_before=today + dt.timedelta(days=30))
    assert [(e.document_id, e.vehicle_id, e.kind, e.expires_on) for e in found] == [
        (paper.id, van.id, VehicleDocumentKind.INSURANCE, soon)
    ]
    assert api.fleet_documents_expiring(fleet_ids=[fleet.id], on_or_before=today + dt.timedelta(days=11)) == []
    assert [f.name for f in api.fleets_get(fleet_ids=[elsewhere.id, fleet.id, van.id])] == sorted(
        [fleet.name, elsewhere.name]
    )
    assert api.vehicle_names(vehicle_ids=[van.id, theirs.id]) == {
        van.id: "BSK104 · Ford Transit",  # plates are stored normalised
        theirs.id: "LTC9 · Ford Transit",
    }
