"""seed_demo: the demo operator is whole (every state a fleet operator meets), obeys the product's rules, is the
same for the same seed, and is not duplicated by a second run."""

import io
import itertools
import re

import pytest
from django.core.management import call_command

from apps.billing.models import Account, FareRecord, Invoice, JournalTransaction, Payout
from apps.billing.services import ledger
from apps.dispatch.models import PositionPing
from apps.fleet.models import Fleet, Vehicle
from apps.identity.models import Membership, User
from apps.partner.models import DriverProfile
from apps.trips.models import Shift, Trip
from config.demo import operator
from config.demo.cities import BERLIN, LONDON, along
from logitrack.testing import databases

pytestmark = pytest.mark.django_db

EVERY_TRIP_STATE = {"requested", "assigned", "en_route", "at_pickup", "in_progress", "completed", "cancelled", "failed"}


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Membership, Fleet, Vehicle, DriverProfile, Shift, Trip, FareRecord, Invoice, Payout)
    }


def test_the_demo_operator_has_every_state_and_obeys_the_rules():
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", "--drivers", "20", "--trips", "24", stdout=out, stderr=err)

    fleets = {f.name: f for f in Fleet.objects.all()}
    assert set(fleets) == {"Spree Kurier", "Thames Couriers"}
    berlin, london = fleets["Spree Kurier"], fleets["Thames Couriers"]
    assert (berlin.currency, berlin.time_zone, london.currency, london.time_zone) == (
        "EUR",
        "Europe/Berlin",
        "GBP",
        "Europe/London",
    )
    assert berlin.status == london.status == "active" and berlin.auto_dispatch and not london.auto_dispatch
    roles = set(Membership.objects.filter(revoked_at__isnull=True).values_list("fleet_id", "role"))
    for fleet in (berlin, london):
        assert {(fleet.id, r) for r in ("fleet_manager", "dispatcher", "driver")} <= roles

    names = list(User.objects.values_list("display_name", flat=True))
    assert len(names) == len(set(names))  # people are told apart by name on the screen and in the admin
    compliance = set(DriverProfile.objects.values_list("compliance_status", flat=True))
    assert compliance == {"compliant", "pending", "non_compliant", "suspended"}
    assert DriverProfile.objects.filter(fleet_id=berlin.id).count() == 12
    assert {v.get_real_instance_class().TYPE for v in Vehicle.objects.all()} == {"bike", "car", "van", "truck"}
    assert set(Vehicle.objects.values_list("status", flat=True)) == {"active", "in_maintenance", "retired"}
    for fleet in (berlin, london):
        assert set(Trip.objects.filter(fleet_id=fleet.id).values_list("status", flat=True)) == EVERY_TRIP_STATE
    # every open trip under way sits on a started shift of a driver on duty, one per driver
    moving = Trip.objects.filter(status__in=["assigned", "en_route", "at_pickup", "in_progress"])
    assert {t.shift.status for t in moving} == {"started"}
    assert len({t.driver_id for t in moving}) == moving.count()
    on_duty = set(DriverProfile.objects.filter(duty_status="on_duty").values_list("id", flat=True))
    assert {t.driver_id for t in moving} <= on_duty
    assert set(PositionPing.objects.values_list("driver_id", flat=True)) == on_duty

    completed = set(Trip.objects.filter(status="completed").values_list("id", flat=True))
    assert set(FareRecord.objects.values_list("trip_id", flat=True)) == completed  # every completed trip settled
    receipts = Invoice.objects.filter(kind="receipt")
    assert set(receipts.values_list("trip_id", flat=True)) == completed
    assert {i.currency for i in receipts.filter(fleet_id=london.id)} == {"GBP"}
    assert Invoice.objects.filter(kind="credit_note").count() == 2  # one refund per fleet
    assert set(Payout.objects.values_list("status", flat=True)) == {"requested", "approved", "paid"}
    assert Account.objects.filter(kind="driver_wallet", balance_minor__gt=0).exists()
    assert ledger.verify() == []
    assert JournalTransaction.objects.filter(kind="settlement").count() == len(completed)

    printed = out.getvalue()
    assert "manager@berlin.demo.logitrack.test" in printed and operator.DEFAULT_PASSWORD in printed
    assert re.search(r"\] (\d+)/\1\s*$", err.getvalue()), "the progress bar (stderr) ends full"

    # branded: each fleet's colour and logo, and tracking pages printed for a person to open
    assert (berlin.brand_colour, london.brand_colour) == ("#d9480f", "#1d3f8f")
    assert berlin.logo_path.startswith("private/fleet-logos/") and london.logo_path
    pages = re.findall(r"^\s+Spree Kurier\s+(in progress|en route|requested|completed)\s+(/track/\S+/)$", printed, re.M)
    assert {status for status, _ in pages} == {"in progress", "en route", "requested", "completed"}
    from django.test import Client

    for _, path in pages:
        page = Client().get(path)
        assert page.status_code == 200 and b"Spree Kurier" in page.content and b'data-colour="#d9480f"' in page.content


def test_a_second_run_adds_nothing():
    operator.seed(drivers=4, trips=6)
    before = counts()
    report = operator.seed(drivers=4, trips=6)
    assert counts() == before
    assert [created for _, _, created in report.fleets] == [False, False]


def fingerprint() -> tuple:
    return (
        sorted(Vehicle.objects.values_list("registration", flat=True)),
        sorted(User.objects.values_list("email", "display_name")),
        sorted(Trip.objects.values_list("status", "weight_kg", "seats")),
        sorted((s.address, round(s.lat, 6)) for t in Trip.objects.all() for s in t.stops.all()),
        sorted(DriverProfile.objects.values_list("compliance_status", "licence_classes")),
    )


def seeded(seed: int) -> tuple:
    with databases.atomic_everywhere():  # the demo seeds every context
        operator.seed(seed=seed, drivers=4, trips=6)
        taken = fingerprint()
        databases.set_rollback_everywhere()
    return taken


def test_the_same_seed_gives_the_same_operator_and_another_seed_another():
    first, again, other = seeded(7), seeded(7), seeded(8)
    assert first == again
    assert first != other


def test_bad_sizes_are_refused_before_anything_is_written():
    with pytest.raises(Exception, match="at least 2"):
        call_command("seed_demo", "--drivers", "1", stdout=io.StringIO(), stderr=io.StringIO())
    assert Fleet.objects.count() == 0


@pytest.mark.parametrize("city", [BERLIN, LONDON], ids=["berlin", "london"])
def test_routes_follow_the_streets_from_door_to_door(city):
    import random

    rng = random.Random(3)
    a, b = city.address(rng), city.address(rng)
    path = city.route(a.point, b.point)
    assert path[0] == a.point and path[-1] == b.point
    joined = {frozenset((x, y)) for _, x, y in city.edges()}
    names = {v: k for k, v in city.places.items()}
    inner = [names[p] for p in path[1:-1]]
    assert all(frozenset(pair) in joined for pair in itertools.pairwise(inner))  # street by street
    assert along(path, 0)[0] == a.point and along(path, 10**7)[2] is True
