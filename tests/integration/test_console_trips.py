"""The trips admin as a fleet manager uses it (apps/trips/admin): lists with names, the fleet's money and clock;
the REST list's search; date ranges; exports of exactly the filtered rows of their fleets; the trip page with its
fare, proof of delivery (served only to the trip's fleet), map data and timeline; and the CSV import of bookings."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django.utils.html import escape, strip_tags
from openpyxl import load_workbook

from apps.billing.models import FareRecord, Quote
from apps.billing.tests.factories import tariff
from apps.fleet.tests.factories import active_fleet, vehicle
from apps.identity.contracts import FleetRole
from apps.identity.tests.factories import UserFactory
from apps.partner.services import drivers as partner_drivers
from apps.trips.contracts import ActorRole, StopKind, TripStatus
from apps.trips.models import ProofOfDelivery, Trip
from apps.trips.tests.factories import StopFactory, TripFactory, TripLogEntryFactory
from logitrack import files, images
from logitrack.testing import images as testing_images
from logitrack.testing.queries import CaptureEveryDatabase

pytestmark = pytest.mark.django_db

M = FleetRole.FLEET_MANAGER
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PNG = testing_images.png()
JPEG = testing_images.jpeg()
BREAKDOWN = {
    "currency": "EUR",
    "prices_include_tax": True,
    "lines": [
        {"code": "base", "description": "Base fare", "net": 420, "tax": 80, "gross": 500, "tax_rate_bps": 1900},
        {
            "code": "per_km",
            "description": "Distance 6.9 km",
            "net": 693,
            "tax": 131,
            "gross": 824,
            "tax_rate_bps": 1900,
        },
    ],
    "taxes": [{"name": "VAT", "rate_bps": 1900, "net": 1113, "tax": 211}],
    "net": 1113,
    "tax": 211,
    "total": 1324,
}


@dataclasses.dataclass
class Console:
    fleets: object
    a_trip: Trip  # assigned, quoted 13,24 €, Jonas Weber, Ana Lima, B-LT 100
    a_done: Trip  # completed, settled 21,50 €, proof of delivery at stop 2
    b_trip: Trip  # fleet B: same street name, same driver name, another customer
    customer: object
    driver_a: object
    van: object

    def manager(self, side="a") -> Client:
        client = Client()
        client.force_login(getattr(self.fleets, side).users[M])
        return client


def _quote(fleet_id, total=1324, currency="EUR"):
    return Quote.objects.create(
        fleet_id=fleet_id,
        tariff=tariff(fleet_id=fleet_id, currency=currency),
        service="delivery",
        vehicle_type="van",
        facts={"distance_m": 6900, "duration_s": 1200, "stops": 2, "waiting_s": 0},
        breakdown={**BREAKDOWN, "currency": currency},
        currency=currency,
        total_minor=total,
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )


def _trip(fleet_id, *, pickup, dropoff, **fields):
    trip = TripFactory(fleet_id=fleet_id, stops=0, **fields)
    StopFactory(trip=trip, sequence=1, kind=StopKind.PICKUP, address=pickup, lat=52.5310, lng=13.3847)
    StopFactory(trip=trip, sequence=2, kind=StopKind.DROPOFF, address=dropoff, lat=52.5016, lng=13.4190)
    return trip


@pytest.fixture
def console(two_fleets):
    a, b = two_fleets.a.fleet_id, two_fleets.b.fleet_id
    fleet = active_fleet(
        fleet_id=a, name="Spree Kurier", service_center_lat=52.52, service_center_lng=13.405, service_radius_m=25_000
    )
    active_fleet(fleet_id=b, name="Thames Couriers", country="GB", currency="GBP", time_zone="Europe/London")
    van = vehicle(fleet, registration="B-LT 100", make="Mercedes", model="Sprinter")
    customer = UserFactory(email="jonas.weber@example.test", display_name="Jonas Weber", is_customer=True)
    other = UserFactory(email="olivia.brown@example.test", display_name="Olivia Brown", is_customer=True)
    driver_a = partner_drivers.driver_onboard(user_id=uuid.uuid4(), fleet_id=a, display_name="Ana Lima")
    driver_b = partner_drivers.driver_onboard(user_id=uuid.uuid4(), fleet_id=b, display_name="Ana Lima")
    requested = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)  # 10:30 in Berlin
    a_trip = _trip(
        a,
        pickup="Invalidenstraße 117, 10115 Berlin",
        dropoff="Oranienstraße 25, 10999 Berlin",
        customer_id=customer.id,
        booked_by_id=customer.id,
        driver_id=driver_a.id,
        vehicle_id=van.id,
        status=TripStatus.ASSIGNED,
        quote_id=_quote(a).id,
        requested_for=requested,
    )
    a_done = _trip(
        a,
        pickup="Torstraße 1, 10119 Berlin",
        dropoff="Kastanienallee 7, 10435 Berlin",
        customer_id=other.id,
        booked_by_id=other.id,
        driver_id=driver_a.id,
        vehicle_id=van.id,
        status=TripStatus.COMPLETED,
    )
    FareRecord.objects.create(
        trip_id=a_done.id,
        fleet_id=a,
        customer_id=other.id,
        driver_id=driver_a.id,
        facts={"distance_m": 5400, "duration_s": 1260, "stops": 2, "waiting_s": 0},
        breakdown=BREAKDOWN | {"total": 2150},
        currency="EUR",
        net_minor=1807,
        tax_minor=343,
        total_minor=2150,
    )
    drop = a_done.stops.get(sequence=2)
    ProofOfDelivery.objects.create(
        stop=drop,
        recipient_name="Kai Braun",
        signature_path=files.store_private(
            SimpleUploadedFile("s.png", PNG), folder="proof", allowed=("png",), max_bytes=10**6, image=images.LINE_ART
        ).path,
        photo_path=files.store_private(
            SimpleUploadedFile("p.jpg", JPEG), folder="proof", allowed=("jpeg",), max_bytes=10**6, image=images.PHOTO
        ).path,
    )
    TripLogEntryFactory(trip=a_done, action="book", to_status="requested", actor_id=other.id, actor_role="customer")
    TripLogEntryFactory(
        trip=a_done,
        action="complete",
        from_status="in_progress",
        to_status="completed",
        actor_id=two_fleets.a.users[FleetRole.DISPATCHER].id,
        actor_role=ActorRole.DISPATCHER,
    )
    b_trip = _trip(
        b,
        pickup="Invalidenstraße 5, London",
        dropoff="Baker Street 221b, London",
        customer_id=customer.id,
        booked_by_id=customer.id,
        driver_id=driver_b.id,
        status=TripStatus.ASSIGNED,
        quote_id=_quote(b, total=999, currency="GBP").id,
        requested_for=requested,
    )
    return Console(two_fleets, a_trip, a_done, b_trip, customer, driver_a, van)


def _text(response) -> str:
    return strip_tags(response.content.decode())


def _listed(response) -> set[uuid.UUID]:
    return {row.id for row in response.context["cl"].result_list}


LIST = "/admin/trips/trip/"


# ---- the list -----------------------------------------------------------------------------------------------------


def test_the_trip_list_shows_names_the_fleets_money_and_clock_and_no_uuid(console):
    response = console.manager().get(LIST)
    assert response.status_code == 200
    assert _listed(response) == {console.a_trip.id, console.a_done.id}
    text = _text(response)
    assert "Jonas Weber" in text and "Ana Lima" in text and "BLT100 · Mercedes Sprinter" in text
    assert "Spree Kurier" not in text  # one fleet: no fleet column
    assert 'href="/admin/trips/trip/import/"' in response.content.decode()
    assert "13,24\xa0€" in text  # quoted, de_DE
    assert "21,50\xa0€" in text  # settled
    assert "07.12.2026, 10:30" in text  # 09:30 UTC on Berlin's clock
    assert "Assigned" in text and "Completed" in text
    assert "Invalidenstraße 117 → Oranienstraße 25" in text
    assert console.a_trip.id.hex[:8].upper() in text
    assert not UUID.search(text), UUID.search(text).group(0)


def test_the_list_page_costs_the_same_queries_for_3_or_30_trips(console, django_assert_max_num_queries):
    client = console.manager()
    client.get(LIST)  # warm caches (content types, sessions)

    def count():
        with CaptureEveryDatabase() as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    few = count()
    for i in range(28):
        _trip(
            console.fleets.a.fleet_id,
            pickup=f"Street {i}, Berlin",
            dropoff="Oranienstraße 25, 10999 Berlin",
            customer_id=console.customer.id,
            driver_id=console.driver_a.id,
            vehicle_id=console.van.id,
            quote_id=_quote(console.fleets.a.fleet_id).id,
        )
    many = count()
    assert many == few
    with django_assert_max_num_queries(few):
        client.get(LIST)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Invalidenstraße", {"a_trip"}),  # fleet B has an Invalidenstraße too
        ("jonas", {"a_trip"}),  # fleet B's trip is Jonas's too
        ("olivia.brown@", {"a_done"}),
        ("Ana Lima", {"a_trip", "a_done"}),  # fleet B's driver has the same name
        ("kastanien", {"a_done"}),
        ("x", set()),  # shorter than the REST search takes
    ],
)
def test_search_finds_by_address_customer_driver_only_in_the_managers_fleets(console, term, expected):
    response = console.manager().get(LIST, {"q": term})
    assert response.status_code == 200
    assert _listed(response) == {getattr(console, name).id for name in expected}


def test_search_by_reference(console):
    reference = console.a_done.id.hex[:8].upper()
    assert _listed(console.manager().get(LIST, {"q": reference})) == {console.a_done.id}
    assert _listed(console.manager().get(LIST, {"q": console.b_trip.id.hex[:8]})) == set()
    assert _listed(console.manager("b").get(LIST, {"q": console.b_trip.id.hex[:8]})) == {console.b_trip.id}


def test_date_range_on_requested_for_reads_the_fleets_days(console):
    client = console.manager()
    day = {"requested_for__from": "2026-12-07", "requested_for__to": "2026-12-07"}
    assert _listed(client.get(LIST, day)) == {console.a_trip.id}
    later = {"requested_for__from": "2026-12-08"}
    assert _listed(client.get(LIST, later)) == set()
    bad = client.get(LIST, {"requested_for__from": "7/12/2026"})
    assert (bad.status_code, bad["Location"]) == (302, "/admin/trips/trip/?e=1")  # the list's "invalid filter" message


def test_filters_by_status_vehicle_type_and_service(console):
    client = console.manager()
    assert _listed(client.get(LIST, {"status__exact": "completed"})) == {console.a_done.id}
    assert _listed(client.get(LIST, {"vehicle_type": "van", "service": "delivery"})) == {
        console.a_trip.id,
        console.a_done.id,
    }
    assert _listed(client.get(LIST, {"vehicle_type": "bike"})) == set()
    assert _listed(client.get(LIST, {"service": "ride"})) == set()


def test_a_platform_admin_sees_every_fleet_by_name(console):
    client = Client()
    client.force_login(console.fleets.platform_admin)
    response = client.get(LIST)
    assert _listed(response) == {console.a_trip.id, console.a_done.id, console.b_trip.id}
    text = _text(response)
    assert "Spree Kurier" in text and "Thames Couriers" in text
    assert "£9.99" in text and "13,24\xa0€" in text  # each fleet's own currency and locale


# ---- export -------------------------------------------------------------------------------------------------------


def _csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_export_holds_exactly_the_filtered_rows_of_the_managers_fleets(console):
    response = console.manager().get(LIST + "export/", {"format": "csv", "status__exact": "assigned"})
    assert response.status_code == 200
    rows = _csv(response)
    assert rows == [
        {
            "Id": str(console.a_trip.id),
            "Reference": console.a_trip.id.hex[:8].upper(),
            "Status": "Assigned",
            "Service": "delivery",
            "Vehicle type": "van",
            "Customer": "Jonas Weber",
            "Driver": "Ana Lima",
            "Vehicle": "BLT100 · Mercedes Sprinter",
            "Pickup": "Invalidenstraße 117, 10115 Berlin",
            "Drop-off": "Oranienstraße 25, 10999 Berlin",
            "Requested for": "2026-12-07 10:30:00",
            "Fare": "13.24",
            "Fleet": "Spree Kurier",
            "Created at": rows[0]["Created at"],
        }
    ]
    everything = _csv(console.manager().get(LIST + "export/", {"format": "csv"}))
    assert {r["Id"] for r in everything} == {str(console.a_trip.id), str(console.a_done.id)}
    assert {r["Id"] for r in _csv(console.manager("b").get(LIST + "export/", {"format": "csv"}))} == {
        str(console.b_trip.id)
    }


def test_export_xlsx_and_search(console):
    response = console.manager().get(LIST + "export/", {"format": "xlsx", "q": "olivia"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == str(console.a_done.id) and float(rows[1][11]) == 21.5


# ---- the trip page ------------------------------------------------------------------------------------------------


def test_the_trip_page_shows_summary_fare_stops_proof_map_and_timeline(console):
    trip = console.a_done
    response = console.manager().get(f"{LIST}{trip.id}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    text = _text(response)
    for shown in ("Olivia Brown", "Ana Lima", "BLT100 · Mercedes Sprinter", "Spree Kurier", "Final fare"):
        assert shown in text, shown
    assert "21,50\xa0€" in text and "Base fare" in text and "5,00\xa0€" in text and "8,24\xa0€" in text
    assert "5,4 km" in text and "21 min" in text
    assert "Torstraße 1, 10119 Berlin" in text and "Kastanienallee 7, 10435 Berlin" in text
    assert "Kai Braun" in text
    signature = f"/admin/trips/trip/{trip.id}/proof/2/signature/"
    photo = f"/admin/trips/trip/{trip.id}/proof/2/photo/"
    assert f'src="{signature}"' in html and f'src="{photo}"' in html
    data = json.loads(re.search(r'<script id="trip-map-data" type="application/json">(.*?)</script>', html).group(1))
    assert [(s["sequence"], s["kind"], s["lat"], s["lng"]) for s in data["stops"]] == [
        (1, "pickup", 52.5310, 13.3847),
        (2, "dropoff", 52.5016, 13.4190),
    ]
    assert "tiles_url" in data
    assert "Completed" in text and "dispatcher of alpha · Dispatcher" in text and "A customer" not in text
    assert "Olivia Brown · Customer" in text
    assert "trip_map.js" in html and "<script>" not in html  # no inline script


def test_the_trip_page_shows_what_each_drop_off_unloads_when_the_booking_said(console):
    trip = console.a_done
    assert "Unloads" not in _text(console.manager().get(f"{LIST}{trip.id}/change/"))
    trip.stops.filter(sequence=2).update(unload_weight_kg=120, unload_volume_m3=0, unload_parcels=3, unload_seats=0)
    assert "Unloads: 120 kg, 3 parcels" in _text(console.manager().get(f"{LIST}{trip.id}/change/"))


def test_a_quoted_trip_shows_its_quote_and_the_distance_it_was_quoted_on(console):
    response = console.manager().get(f"{LIST}{console.a_trip.id}/change/")
    text = re.sub(r"[ \t\n]+", " ", _text(response))  # (a no-break space is part of the money)
    assert "FareQuoted" in text and "Total13,24\xa0€" in text and "Distance6,9 km" in text and "Duration20 min" in text
    assert "07.12.2026, 10:30" in text  # requested for, on Berlin's clock
    assert "Save" not in text  # nothing on the page is edited


def test_a_stored_proof_that_is_not_an_image_is_never_sent(console):
    """An SVG (it could carry a script) or anything else not re-encoded by us at upload is a 404, not a page."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><path d="M0 0L9 9"/></svg>'
    proof = ProofOfDelivery.objects.get(stop__trip=console.a_done)
    proof.signature_path = default_storage.save("proof/legacy-signature.svg", ContentFile(svg))
    proof.save(update_fields=["signature_path"])
    response = console.manager().get(f"{LIST}{console.a_done.id}/proof/2/signature/")
    assert response.status_code == 404 and b"<script>" not in response.content


def test_a_proof_whose_file_is_gone_is_a_404_not_an_error(console):
    proof = ProofOfDelivery.objects.get(stop__trip=console.a_done)
    proof.signature_path = "proof/lost-in-a-restore.png"  # recorded, but not in storage
    proof.save(update_fields=["signature_path"])
    response = console.manager().get(f"{LIST}{console.a_done.id}/proof/2/signature/")
    assert response.status_code == 404


def test_shift_and_offer_lists_read_names_and_local_times(console):
    from apps.trips.tests.factories import OfferFactory, ShiftFactory

    starts = dt.datetime(2026, 12, 7, 7, 0, tzinfo=dt.UTC)
    shift = ShiftFactory(
        fleet_id=console.fleets.a.fleet_id,
        driver_id=console.driver_a.id,
        vehicle_id=console.van.id,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=8),
    )
    OfferFactory(trip=console.a_trip, shift=shift, expires_at=starts)
    shifts = _text(console.manager().get("/admin/trips/shift/"))
    assert "Ana Lima" in shifts and "BLT100 · Mercedes Sprinter" in shifts
    assert "07.12.2026, 08:00" in shifts and "07.12.2026, 16:00" in shifts and not UUID.search(shifts)
    offers = _text(console.manager().get("/admin/trips/offer/"))
    assert console.a_trip.id.hex[:8].upper() in offers and "Ana Lima" in offers and not UUID.search(offers)
    exported = _csv(console.manager().get("/admin/trips/shift/export/", {"format": "csv"}))
    assert [(r["Driver"], r["Starts at"], r["Ends at"]) for r in exported] == [
        ("Ana Lima", "2026-12-07 08:00:00", "2026-12-07 16:00:00")
    ]


def test_proof_files_go_to_the_trips_fleet_only(console):
    trip = console.a_done
    for which, kind in (("signature", "image/png"), ("photo", "image/jpeg")):
        path = f"{LIST}{trip.id}/proof/2/{which}/"
        own = console.manager().get(path)
        assert own.status_code == 200 and own["Content-Type"] == kind
        assert own["X-Content-Type-Options"] == "nosniff" and "sandbox" in own["Content-Security-Policy"]
        assert b"".join(own.streaming_content)[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb")
        assert console.manager("b").get(path).status_code == 404
    assert console.manager().get(f"{LIST}{trip.id}/proof/1/photo/").status_code == 404
    assert console.manager().get(f"{LIST}{trip.id}/proof/2/script/").status_code == 404
    assert console.manager().get(f"{LIST}{uuid.uuid4()}/proof/2/photo/").status_code == 404
    other_fleet_page = console.manager("b").get(f"{LIST}{trip.id}/change/")
    assert other_fleet_page.status_code == 302  # the admin's "does not exist" redirect, as for a made-up id


# ---- import -------------------------------------------------------------------------------------------------------

HEADER = (
    "pickup_address,pickup_lat,pickup_lng,dropoff_address,dropoff_lat,dropoff_lng,"
    "vehicle_type,customer_email,requested_for,weight_kg\n"
)
GOOD = (
    "Invalidenstraße 117,52.5310,13.3847,Oranienstraße 25,52.5016,13.4190,"
    "van,jonas.weber@example.test,2026-12-24 09:00,120\n"
)
OUTSIDE = "Hamburg Hbf,53.5526,10.0067,Oranienstraße 25,52.5016,13.4190,van,,,\n"
BAD_LAT = "Nowhere,95,13.38,Oranienstraße 25,52.5016,13.4190,van,,,\n"
UNKNOWN_CUSTOMER = "Torstraße 1,52.5290,13.4010,Oranienstraße 25,52.5016,13.4190,van,nobody@example.test,,\n"


def _upload(text: str | bytes, name="bookings.csv"):
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text, content_type="text/csv")


def _import(client, fleet_id, content, dry_run=False):
    data = {"fleet": str(fleet_id), "file": _upload(content)}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(LIST + "import/", data)


def test_import_books_good_rows_and_reports_bad_ones_by_line(console):
    before = set(Trip.objects.values_list("id", flat=True))
    response = _import(
        console.manager(), console.fleets.a.fleet_id, HEADER + GOOD + OUTSIDE + BAD_LAT + UNKNOWN_CUSTOMER
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.total, report.imported) == (4, 1)
    assert [line for line, _ in report.errors] == [3, 4, 5]
    messages = dict(report.errors)
    assert "Outside" in messages[3] and "pickup_lat" in messages[4] and "customer_email" in messages[5]
    booked = Trip.objects.exclude(id__in=before).get()
    assert booked.fleet_id == console.fleets.a.fleet_id and booked.customer_id == console.customer.id
    assert booked.booked_by_id == console.fleets.a.users[M].id and booked.weight_kg == 120
    assert booked.requested_for == dt.datetime(2026, 12, 24, 8, 0, tzinfo=dt.UTC)  # 09:00 in Berlin
    assert [s.address for s in booked.stops.all()] == ["Invalidenstraße 117", "Oranienstraße 25"]
    assert booked.timeline.get().action == "book"
    text = _text(response)
    assert "Booked 1 of 4 rows; 3 rows with errors." in re.sub(r"\s+", " ", text)
    assert all(
        f"<td>{line}</td><td>{escape(message)}</td>" in response.content.decode() for line, message in report.errors
    )


def test_a_row_naming_another_fleets_quote_is_refused_by_the_booking_rules(console):
    theirs = _quote(console.fleets.b.fleet_id, currency="GBP")
    row = "Torstraße 1,52.5290,13.4010,Oranienstraße 25,52.5016,13.4190,van,,,\n"
    header = HEADER.replace("weight_kg\n", "weight_kg,quote_id\n")
    before = Trip.objects.count()
    response = _import(console.manager(), console.fleets.a.fleet_id, header + row.replace("\n", f",{theirs.id}\n"))
    report = response.context["report"]
    assert (report.total, report.imported) == (1, 0)
    assert report.errors[0][0] == 2 and "quote" in report.errors[0][1].lower()
    assert Trip.objects.count() == before


def test_a_dry_run_books_nothing(console):
    before = Trip.objects.count()
    response = _import(console.manager(), console.fleets.a.fleet_id, HEADER + GOOD + OUTSIDE, dry_run=True)
    report = response.context["report"]
    assert (report.total, report.imported, report.failed) == (2, 1, 1)
    assert Trip.objects.count() == before
    assert "Dry run: nothing was booked" in _text(response)


def test_import_for_another_fleet_is_refused(console):
    before = Trip.objects.count()
    response = _import(console.manager(), console.fleets.b.fleet_id, HEADER + GOOD)
    assert response.status_code == 400 and "fleet" in response.context["form"].errors
    assert Trip.objects.count() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"pickup_address,vehicle_type\nx,van\n", "lacks column(s): dropoff_address"),
        ((HEADER + GOOD).encode("utf-16"), "not UTF-8"),
        (HEADER.encode(), "no bookings"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
        (HEADER.encode() + GOOD.encode() * 3000, "3000 bookings; at most 2000"),
        (HEADER.encode() + b"#" * (2 * 1024 * 1024), "bytes; at most 2,097,152"),
    ],
)
def test_bad_files_get_a_clear_message_not_an_error_page(console, content, message):
    response = _import(console.manager(), console.fleets.a.fleet_id, content)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["file"])


def test_the_import_page_offers_only_the_managers_fleets(console):
    page = console.manager().get(LIST + "import/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Spree Kurier" in text and "Thames Couriers" not in text and "customer_email" in text


def test_the_command_shares_the_parser(console, tmp_path):
    path = tmp_path / "bookings.csv"
    path.write_text(HEADER + GOOD + BAD_LAT, encoding="utf-8")
    out = io.StringIO()
    before = Trip.objects.count()
    args = [str(path), "--fleet", str(console.fleets.a.fleet_id), "--booked-by", str(console.fleets.a.users[M].id)]
    with pytest.raises(CommandError, match="1 row"):
        call_command("trips_import_bookings", *args, "--dry-run", stdout=out, stderr=io.StringIO())
    assert "would import 1 of 2 row(s)" in out.getvalue() and "line 3: pickup_lat" in out.getvalue()
    assert Trip.objects.count() == before
    path.write_bytes((HEADER + GOOD).encode("latin-1", errors="replace").replace(b"?", b"\xdf"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("trips_import_bookings", *args, stdout=io.StringIO(), stderr=io.StringIO())
