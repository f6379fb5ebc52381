"""The manager's reports (config/console/reports.py, /admin/reports/): a driver's days driven through the real services
on a set clock — a trip in the morning (pickup on time, drop-off late), one wanted at 23:30 local and one at 00:30
the next local day (23:30 UTC the day before), billing settling each fare — then the reports as the fleet's manager
reads them: figures per row exact, the customer's statement, CSV bytes, a real PDF; scoped to their fleets, bad
parameters a 400."""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.test import Client
from pypdf import PdfReader

from apps.billing.models import AccountKind, FareRecord, Posting
from apps.trips.services import assignment, lifecycle, shifts, stops
from apps.trips.tests.factories import shift_under_way
from config.console import reports
from logitrack.formatting import money
from tests.support.trip_world import book_as_customer, world  # noqa: F401  (a fixture: fleet A with a van on a shift under way)

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def _deliver(clock, trip, driver_user, relay_and_deliver, *, times, distance_m):
    for at, action in zip(times[:3], ("start", "arrive_pickup", "pick_up"), strict=True):
        clock.set(at)
        lifecycle.trip_transition(trip_id=trip.id, action=action, actor_id=driver_user.id, role="driver")
    stops.stop_arrive(trip_id=trip.id, sequence=1, actor_id=driver_user.id, expected_version=None)
    clock.set(times[-1])
    lifecycle.trip_transition(
        trip_id=trip.id, action="complete", actor_id=driver_user.id, role="driver", distance_m=distance_m
    )
    relay_and_deliver()  # billing settles the fare
    relay_and_deliver()


@pytest.fixture
def morning(clock):
    clock.set(local("2026-11-10 08:00"))
    return clock


@pytest.fixture
def month(morning, world, relay_and_deliver):  # noqa: F811
    clock = morning
    two_fleets, fleet, _van, _driver, shift = world
    driver_user, customer = two_fleets.a.users["driver"], two_fleets.customer
    shifts.shift_start(shift_id=shift.id, odometer_km=Decimal("100"))

    def book(pickup, dropoff, *, windows=None, requested_for=None):
        (ws1, we1), (ws2, we2) = windows or ((None, None), (None, None))
        return book_as_customer(
            fleet.id,
            customer.id,
            (pickup, 52.531, 13.3847, ws1, we1),
            (dropoff, 52.5016, 13.419, ws2, we2),
            requested_for=requested_for,
        )

    morning = book(
        "Invalidenstraße 1, Berlin",
        "Oranienstraße 25, Berlin",
        windows=(
            (local("2026-11-10 08:30"), local("2026-11-10 09:00")),
            (local("2026-11-10 09:15"), local("2026-11-10 09:30")),
        ),
    )
    assignment.trip_assign(trip_id=morning.id, shift_id=shift.id, actor_id=None)
    _deliver(
        clock,
        morning,
        driver_user,
        relay_and_deliver,
        times=[
            local("2026-11-10 08:20"),
            local("2026-11-10 08:45"),
            local("2026-11-10 08:50"),
            local("2026-11-10 09:40"),
        ],
        distance_m=4000,
    )
    clock.set(local("2026-11-10 12:00"))
    shifts.shift_end(shift_id=shift.id, odometer_km=Decimal("130"))
    clock.set(local("2026-11-10 23:00"))  # the night shift, 22:00 to 02:00
    night = shift_under_way(fleet_id=fleet.id, driver_id=_driver.id, vehicle_id=_van.id, hours=3)
    shifts.shift_start(shift_id=night.id, odometer_km=Decimal("130"))
    late = book("Torstraße 9, Berlin", "Kastanienallee 3, Berlin", requested_for=local("2026-11-10 23:30"))
    after_midnight = book(
        "Alexanderplatz 1, Berlin", "Karl-Marx-Allee 70, Berlin", requested_for=local("2026-11-11 00:30")
    )
    assert local("2026-11-11 00:30").astimezone(dt.UTC).date() == dt.date(2026, 11, 10)  # 23:30 UTC the day before
    for trip, times, distance in (
        (late, ("2026-11-10 23:30", "2026-11-10 23:35", "2026-11-10 23:40", "2026-11-10 23:55"), 2550),
        (after_midnight, ("2026-11-11 00:30", "2026-11-11 00:35", "2026-11-11 00:40", "2026-11-11 00:50"), 3125),
    ):
        assignment.trip_assign(trip_id=trip.id, shift_id=night.id, actor_id=None)
        _deliver(
            clock,
            trip,
            driver_user,
            relay_and_deliver,
            times=[local(t) for t in times],
            distance_m=distance,
        )
    clock.set(local("2026-11-12 09:00"))
    return {"world": world, "trips": (morning, late, after_midnight), "night": night}


def as_manager(two_fleets) -> Client:
    client = Client()
    client.force_login(two_fleets.a.users["fleet_manager"])
    return client


def fares_of(trips):
    """(total charged, driver's earnings) in minor units, from the fare records and the driver's wallet postings."""
    ids = [t.id for t in trips]
    total = sum(FareRecord.objects.filter(trip_id__in=ids).values_list("total_minor", flat=True))
    earned = -sum(
        Posting.objects.filter(transaction__reference_id__in=ids, account__kind=AccountKind.DRIVER_WALLET).values_list(
            "amount_minor", flat=True
        )
    )
    return total, earned


def test_drivers_by_day_counts_each_trip_on_its_local_day(month):
    two_fleets, fleet, _van, driver, _shift = month["world"]
    morning, late, after_midnight = month["trips"]
    response = as_manager(two_fleets).get(
        "/admin/reports/", {"fleet": str(fleet.id), "kind": "drivers", "first": "2026-11-09", "last": "2026-11-11"}
    )
    assert response.status_code == 200
    cells = response.context["cells"]
    revenue_10, earned_10 = fares_of([morning, late])
    revenue_11, earned_11 = fares_of([after_midnight])
    assert earned_10 > 0 and revenue_10 > earned_10
    assert [[value for value, _ in row] for row in cells] == [
        [
            "10.11.26",
            driver.display_name,
            "2",
            "6,6",
            "50\xa0%",
            money(revenue_10, "EUR", "de_DE"),
            money(earned_10, "EUR", "de_DE"),
        ],
        [
            "11.11.26",
            driver.display_name,
            "1",
            "3,1",
            "–",
            money(revenue_11, "EUR", "de_DE"),
            money(earned_11, "EUR", "de_DE"),
        ],
    ]
    totals = [[value for value, _ in row] for row in response.context["total_cells"]]
    assert totals == [
        [
            "Total",
            "",
            "3",
            "9,7",
            "50\xa0%",
            money(revenue_10 + revenue_11, "EUR", "de_DE"),
            money(earned_10 + earned_11, "EUR", "de_DE"),
        ]
    ]
    html = response.content.decode()
    assert driver.display_name in html and str(driver.id) not in html
    assert "Download CSV" in html and "Download PDF" in html

    csv_response = as_manager(two_fleets).get(
        "/admin/reports/",
        {"fleet": str(fleet.id), "kind": "drivers", "first": "2026-11-09", "last": "2026-11-11", "format": "csv"},
    )
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")

    def eur(minor: int) -> str:
        return f"{minor // 100}.{minor % 100:02d}"

    assert (
        csv_response.content
        == (
            "day,driver,trips,km,on_time_percent,currency,revenue,earnings\r\n"
            f"2026-11-10,{driver.display_name},2,6.6,50.00,EUR,{eur(revenue_10)},{eur(earned_10)}\r\n"
            f"2026-11-11,{driver.display_name},1,3.1,,EUR,{eur(revenue_11)},{eur(earned_11)}\r\n"
        ).encode()
    )


def test_vehicles_by_day_names_the_vehicle(month):
    two_fleets, fleet, _van, _driver, _shift = month["world"]
    response = as_manager(two_fleets).get(
        "/admin/reports/", {"fleet": str(fleet.id), "kind": "vehicles", "first": "2026-11-10", "last": "2026-11-10"}
    )
    assert response.status_code == 200
    (row,) = response.context["cells"]
    assert [value for value, _ in row][:5] == ["10.11.26", "BTR1 · Ford Transit", "2", "6,6", "50\xa0%"]


def test_the_customer_statement_lists_the_months_trips_with_totals_and_a_pdf(month):
    two_fleets, fleet, _van, _driver, _shift = month["world"]
    morning, late, after_midnight = month["trips"]
    customer = two_fleets.customer
    params = {"fleet": str(fleet.id), "kind": "statement", "month": "2026-11"}
    client = as_manager(two_fleets)
    picker = client.get("/admin/reports/", params)
    assert picker.status_code == 200 and picker.context["customers"] == {customer.id: customer.display_name}

    params["customer"] = str(customer.id)
    response = client.get("/admin/reports/", params)
    assert response.status_code == 200
    fares = {f.trip_id: f.total_minor for f in FareRecord.objects.filter(trip_id__in=[t.id for t in month["trips"]])}
    rows = [[value for value, _ in row] for row in response.context["cells"]]
    assert rows == [
        [
            "10.11.2026, 08:00",
            morning.id.hex[:8].upper(),
            "Invalidenstraße 1, Berlin → Oranienstraße 25, Berlin",
            money(fares[morning.id], "EUR", "de_DE"),
        ],
        [
            "10.11.2026, 23:30",
            late.id.hex[:8].upper(),
            "Torstraße 9, Berlin → Kastanienallee 3, Berlin",
            money(fares[late.id], "EUR", "de_DE"),
        ],
        [
            "11.11.2026, 00:30",
            after_midnight.id.hex[:8].upper(),
            "Alexanderplatz 1, Berlin → Karl-Marx-Allee 70, Berlin",
            money(fares[after_midnight.id], "EUR", "de_DE"),
        ],
    ]
    total = money(sum(fares.values()), "EUR", "de_DE")
    assert [[value for value, _ in row] for row in response.context["total_cells"]] == [["Total", "", "", total]]

    pdf = client.get("/admin/reports/", {**params, "format": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert customer.display_name in text and total in text and fleet.legal_name in text

    csv_lines = client.get("/admin/reports/", {**params, "format": "csv"}).content.decode().split("\r\n")
    assert csv_lines[0] == "when,reference,from,to,kind,currency,fare"
    late_fare = fares[late.id]
    assert csv_lines[2] == (
        f'2026-11-10 23:30,{late.id.hex[:8].upper()},"Torstraße 9, Berlin","Kastanienallee 3, Berlin",fare,EUR,'
        f"{late_fare // 100}.{late_fare % 100:02d}"
    )
    assert len(csv_lines) == 5 and csv_lines[-1] == ""  # header, three trips, the last line's end


def test_another_fleets_manager_and_customer_are_refused(month):
    two_fleets, fleet, _van, _driver, _shift = month["world"]
    other = Client()
    other.force_login(two_fleets.b.users["fleet_manager"])
    assert other.get("/admin/reports/", {"fleet": str(fleet.id)}).status_code == 404
    assert other.get("/admin/reports/", {"fleet": str(uuid.uuid4())}).status_code == 404
    mine = as_manager(two_fleets)
    stranger = two_fleets.b.users["driver"]  # a person with no trip in fleet A's month
    response = mine.get(
        "/admin/reports/",
        {"fleet": str(fleet.id), "kind": "statement", "month": "2026-11", "customer": str(stranger.id)},
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"fleet": "not-a-fleet"},
        {"kind": "everything"},
        {"first": "2026-13-01"},
        {"first": "2026-11-10", "last": "2026-11-01"},
        {"first": "2026-01-01", "last": "2026-11-01"},
        {"month": "November"},
        {"month": "9999-12", "kind": "statement"},
        {"kind": "statement", "customer": "someone"},
        {"format": "xls"},
        {"kind": "statement", "format": "pdf"},
    ],
)
def test_bad_parameters_are_a_400_page(month, params):
    two_fleets, fleet, *_ = month["world"]
    params = {"fleet": str(fleet.id), **params}
    response = as_manager(two_fleets).get("/admin/reports/", params)
    assert response.status_code == 400, params
    assert "That report cannot be made" in response.content.decode()


def test_a_parameter_given_twice_is_a_400(month):
    two_fleets, fleet, *_ = month["world"]
    response = as_manager(two_fleets).get(f"/admin/reports/?fleet={fleet.id}&kind=drivers&kind=vehicles")
    assert response.status_code == 400


def test_a_pdf_over_its_row_bound_is_a_400_pointing_at_the_csv(month, monkeypatch):
    two_fleets, fleet, *_ = month["world"]
    monkeypatch.setattr(reports, "MAX_PDF_ROWS", 1)  # the by-day report of 10 and 11 November has two rows
    params = {"fleet": str(fleet.id), "kind": "drivers", "first": "2026-11-10", "last": "2026-11-11"}
    client = as_manager(two_fleets)
    response = client.get("/admin/reports/", {**params, "format": "pdf"})
    assert response.status_code == 400 and "download the CSV" in response.content.decode()
    assert client.get("/admin/reports/", {**params, "format": "csv"}).status_code == 200


def test_stops_on_time_in_sql_follow_the_domain_rule_for_failed_trips_too(month, clock):
    """trips counts stops on time in SQL for the reports; the rule is domain.stop_punctuality (the overview's): a
    failed trip's stops count, one never reached is late, one reached in time is on time."""
    from apps.trips import api as trips_api
    from apps.trips import domain
    from apps.trips.models import Stop, Trip

    two_fleets, fleet, van, driver, _shift = month["world"]
    driver_user, customer = two_fleets.a.users["driver"], two_fleets.customer
    shifts.shift_end(shift_id=month["night"].id, odometer_km=Decimal("150"))
    day = shift_under_way(fleet_id=fleet.id, driver_id=driver.id, vehicle_id=van.id)
    shifts.shift_start(shift_id=day.id, odometer_km=Decimal("150"))
    trip = book_as_customer(
        fleet.id,
        customer.id,
        ("Invalidenstraße 1, Berlin", 52.531, 13.3847, None, local("2026-11-12 09:30")),
        ("Oranienstraße 25, Berlin", 52.5016, 13.419, None, local("2026-11-12 10:00")),
    )
    assignment.trip_assign(trip_id=trip.id, shift_id=day.id, actor_id=None)
    for at, action in (("09:05", "start"), ("09:20", "arrive_pickup")):
        clock.set(local(f"2026-11-12 {at}"))
        lifecycle.trip_transition(trip_id=trip.id, action=action, actor_id=driver_user.id, role="driver")
    stops.stop_arrive(trip_id=trip.id, sequence=1, actor_id=driver_user.id, expected_version=None)  # 09:20
    clock.set(local("2026-11-12 09:45"))
    lifecycle.trip_transition(
        trip_id=trip.id, action="fail", actor_id=driver_user.id, role="driver", reason="goods not ready"
    )
    lines = trips_api.trip_report_lines(fleet_id=fleet.id, first=dt.date(2026, 11, 1), last=dt.date(2026, 11, 30))
    counted = {line.trip_id: (line.stops_windowed, line.stops_on_time) for line in lines}
    assert counted[trip.id] == (2, 1)  # the pickup reached at 09:20 for 09:30; the drop-off never reached
    for line in lines:
        ended = Trip.objects.get(id=line.trip_id)
        expected = domain.stop_punctuality(
            status=ended.status, ended_at=ended.ended_at, stops=Stop.objects.filter(trip_id=line.trip_id)
        )
        assert counted[line.trip_id] == expected, line.reference


def test_the_overview_and_every_admin_page_link_to_reports(month):
    two_fleets, *_ = month["world"]
    client = as_manager(two_fleets)
    for path in ("/admin/", "/admin/trips/trip/"):
        assert 'href="/admin/reports/"' in client.get(path).content.decode(), path
