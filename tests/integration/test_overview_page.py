"""The manager's overview, the admin's landing page (config/console): a fleet's day driven through the real services
on a set clock, then the page as its manager sees it — figures, names, money in the fleet's locale, local times,
links into the admin — scoped to their fleets; another fleet answers 404, bad parameters 400; a platform admin
sees every fleet. The figures themselves are checked number by number in apps/trips/tests/test_figures.py and
test_overview_billing.py: here, that the page shows them right and nothing else."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
import zoneinfo
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client

from apps.billing.models import FareRecord
from apps.billing.services import payouts
from apps.fleet.contracts import VehicleDocumentKind
from apps.fleet.services import vehicle_documents
from apps.fleet.tests.factories import vehicle
from apps.partner.contracts import KycDocumentType
from apps.partner.models import DriverProfile
from apps.partner.tests.factories import KycDocumentFactory
from apps.trips.services import assignment, lifecycle, shifts, stops
from config.console.overview import money_axis, whole_money
from logitrack.testing.queries import CaptureEveryDatabase
from logitrack.types import Money
from tests.support.trip_world import book_as_customer, world  # noqa: F401  (a fixture: fleet A with a van on a shift under way)

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN)


class _Text(HTMLParser):
    """What a person reads on the page: text outside tags, scripts and styles (the chart data is checked apart)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible(response) -> str:
    parser = _Text()
    parser.feed(response.content.decode())
    return re.sub(r"[ \t\r\n]+", " ", " ".join(parser.parts))  # no-break spaces stay: Babel writes them


def chart_data(response) -> dict:
    found = re.search(r'<script id="overview-data" type="application/json">(.*?)</script>', response.content.decode())
    assert found, "the page carries no chart data"
    return json.loads(found.group(1))


@pytest.fixture
def morning(clock):
    clock.set(local("2026-11-10 08:00"))
    return clock


@pytest.fixture
def day(morning, world, relay_and_deliver):  # noqa: F811
    """Fleet A's 10 November: one trip delivered (pickup on time, drop-off late), one cancelled by a dispatcher,
    the driver's payout request, a licence handed in for review, a van's inspection running out in ten days. Fleet
    B: a driver's document waiting for review and a lorry whose papers run out."""
    clock = morning
    two_fleets, fleet, van, driver, shift = world
    driver_user, customer = two_fleets.a.users["driver"], two_fleets.customer
    shifts.shift_start(shift_id=shift.id, odometer_km=Decimal("100"))
    trip = book_as_customer(
        fleet.id,
        customer.id,
        ("Invalidenstraße 1, Berlin", 52.5310, 13.3847, local("2026-11-10 08:30"), local("2026-11-10 09:00")),
        ("Oranienstraße 25, Berlin", 52.5016, 13.4190, local("2026-11-10 09:15"), local("2026-11-10 09:30")),
    )
    assignment.trip_assign(trip_id=trip.id, shift_id=shift.id, actor_id=None)
    for at, action in (("08:20", "start"), ("08:45", "arrive_pickup"), ("08:50", "pick_up")):
        clock.set(local(f"2026-11-10 {at}"))
        lifecycle.trip_transition(trip_id=trip.id, action=action, actor_id=driver_user.id, role="driver")
    stops.stop_arrive(trip_id=trip.id, sequence=1, actor_id=driver_user.id, expected_version=None)  # 08:50
    clock.set(local("2026-11-10 09:40"))
    lifecycle.trip_transition(
        trip_id=trip.id, action="complete", actor_id=driver_user.id, role="driver", distance_m=4000
    )
    relay_and_deliver()  # billing settles the fare
    relay_and_deliver()

    clock.set(local("2026-11-10 10:00"))
    dropped = book_as_customer(
        fleet.id,
        customer.id,
        ("Torstraße 9, Berlin", 52.529, 13.401),
        ("Kastanienallee 3, Berlin", 52.538, 13.41),
        weight_kg=5,
    )
    lifecycle.trip_transition(
        trip_id=dropped.id,
        action="cancel",
        actor_id=two_fleets.a.users["dispatcher"].id,
        role="dispatcher",
        reason="customer not reachable",
    )
    payout = payouts.payout_request(
        driver_id=driver.id, fleet_id=fleet.id, amount=Money(500, "EUR"), idempotency_key="ov-payout"
    )
    clock.set(local("2026-11-10 10:30"))
    licence = KycDocumentFactory(driver=driver, doc_type=KycDocumentType.DRIVING_LICENCE, expires_in_days=900)
    insurance = vehicle_documents.vehicle_document_add(
        vehicle_id=van.id, kind=VehicleDocumentKind.INSPECTION, expires_on=dt.date(2026, 11, 20)
    )
    theirs = DriverProfile.objects.get(user_id=two_fleets.b.users["driver"].id)
    KycDocumentFactory(driver=theirs, doc_type=KycDocumentType.IDENTITY_DOCUMENT)
    lorry = vehicle(
        type(fleet).objects.get(id=two_fleets.b.fleet_id), vehicle_type="truck", registration="L-BR 77", papers=False
    )
    vehicle_documents.vehicle_document_add(
        vehicle_id=lorry.id, kind=VehicleDocumentKind.INSPECTION, expires_on=dt.date(2026, 11, 15)
    )
    clock.set(local("2026-11-10 12:00"))
    return {
        "world": world,
        "trip": trip,
        "dropped": dropped,
        "payout": payout,
        "licence": licence,
        "insurance": insurance,
        "fare": FareRecord.objects.get(trip_id=trip.id),
        "theirs": theirs,
        "lorry": lorry,
    }


def as_manager(two_fleets) -> Client:
    client = Client()
    client.force_login(two_fleets.a.users["fleet_manager"])
    return client


def test_the_manager_lands_on_their_fleets_overview(day):
    two_fleets, fleet, _van, driver, _shift = day["world"]
    fare = day["fare"]
    response = as_manager(two_fleets).get("/admin/")

    assert response.status_code == 200
    text = visible(response)
    charged = f"{fare.total_minor // 100},{fare.total_minor % 100:02d}\xa0€"  # German writing: 12,34 €
    assert "Overview" in text and fleet.name in text and "today 10.11.2026" in text
    assert "TRIPS TODAY 2 " in text.upper() or "Trips today 2 " in text
    assert "1 completed · 0 under way · 0 waiting · 1 cancelled or failed" in text
    assert "today 50\xa0% 7 days 50\xa0% 30 days 50\xa0%" in text  # the pickup reached in time, the drop-off late
    assert charged in text  # revenue over 7 days, in the fleet's currency and locale
    assert "5,00\xa0€" in text and "oldest 10.11.26, 10:00" in text  # the payout, asked at 10:00 Berlin time
    # names, never ids: the driver, the vehicle, the customer; the cancelled trip by its route, with who and why
    assert driver.display_name in text and two_fleets.customer.display_name in text
    assert "Invalidenstraße 1, Berlin → Oranienstraße 25, Berlin" not in text  # delivered: not in the table
    assert "Torstraße 9, Berlin → Kastanienallee 3, Berlin" in text
    assert "customer not reachable by a dispatcher" in text
    assert "Inspection 20.11.26 in 10 days" in text
    assert "Driving licence" in text  # the review queue
    assert not UUID.search(text), UUID.search(text)
    assert str(fare.total_minor) not in text.replace(charged, "")  # no amount in minor units
    # links into the admin pages of what is shown
    html = response.content.decode()
    for route in (
        f"/admin/trips/trip/{day['dropped'].id}/change/",
        f"/admin/billing/payout/{day['payout'].id}/change/",
        f"/admin/partner/kycdocument/{day['licence'].id}/change/",
        f"/admin/fleet/vehicledocument/{day['insurance'].id}/change/",
    ):
        assert f'href="{route}"' in html, route
    assert 'href="/admin/trips/trip/"' in html  # "All pages": every page the manager may open
    # nothing of fleet B
    assert day["theirs"].display_name not in html and "LBR77" not in html and str(two_fleets.b.fleet_id) not in html


def test_the_charts_carry_the_figures_in_currency_units_and_names(day):
    two_fleets, _fleet, van, driver, _shift = day["world"]
    fare = day["fare"]
    data = chart_data(as_manager(two_fleets).get("/admin/overview/", {"days": "7"}))

    assert data["days"] == ["4.11.", "5.11.", "6.11.", "7.11.", "8.11.", "9.11.", "10.11."]
    assert dict(zip(data["status"]["keys"], data["status"]["values"], strict=True)) == {
        "requested": 0,
        "assigned": 0,
        "en_route": 0,
        "at_pickup": 0,
        "in_progress": 0,
        "completed": 1,
        "cancelled": 1,
        "failed": 0,
    }
    assert data["onTime"]["values"] == [None] * 6 + [50.0]
    assert data["onTime"]["tips"][-1] == "50\xa0% · 1 of 2 stops"
    (eur,) = data["revenue"]
    assert eur["currency"] == "EUR"
    assert eur["charged"] == [0.0] * 6 + [float(Decimal(fare.total_minor) / 100)]
    assert eur["chargedTips"][-1] == f"{fare.total_minor // 100},{fare.total_minor % 100:02d}\xa0€"
    platform = fare.net_minor * 200 // 10_000  # BILLING_PLATFORM_COMMISSION_BPS of the net, rounded down
    assert eur["fees"][-1] == float(Decimal(platform) / 100)
    # on trips 08:20–09:40 of a shift started at 08:00, now 12:00: 80 of 240 minutes
    assert data["utilisation"] == {
        "labels": [driver.display_name],
        "values": [33.3],
        "tips": ["33\xa0% · 1 h 20 min on trips of 4 h 00 min on shift"],
        "axis": data["utilisation"]["axis"],
    }
    assert data["perDriver"] == {"labels": [driver.display_name], "values": [1]}
    assert data["perVehicle"] == {"labels": [f"{van.registration} · Transit"], "values": [1]}
    assert not UUID.search(json.dumps(data))


def test_another_fleet_or_a_bad_parameter_is_refused_clearly(day):
    two_fleets, fleet, *_ = day["world"]
    manager = as_manager(two_fleets)
    assert manager.get("/admin/overview/", {"fleet": str(fleet.id), "days": "30"}).status_code == 200
    assert manager.get("/admin/", {"fleet": "all"}).status_code == 200
    # another fleet's id answers exactly as an id that exists nowhere
    assert manager.get("/admin/overview/", {"fleet": str(two_fleets.b.fleet_id)}).status_code == 404
    assert manager.get("/admin/overview/", {"fleet": str(uuid.uuid4())}).status_code == 404
    for params, says in (
        ({"days": "5"}, "days must be one of 7, 30"),
        ({"days": "seven"}, "days must be one of 7, 30"),
        ({"fleet": "berlin"}, "fleet must be one of your fleets, or &#x27;all&#x27;"),
        ({"fleet": ["all", str(fleet.id)]}, "fleet is given more than once"),
    ):
        response = manager.get("/admin/overview/", params)
        assert response.status_code == 400, params
        assert says in response.content.decode(), params


def test_a_platform_admin_sees_every_fleet_and_picks_one(day):
    two_fleets, fleet, *_ = day["world"]
    client = Client()
    client.force_login(two_fleets.platform_admin)
    everything = client.get("/admin/")
    text = visible(everything)
    assert "All my fleets" in text and fleet.name in text
    assert day["theirs"].display_name in text and "LBR77" in text  # fleet B's queue and papers too
    only_b = visible(client.get("/admin/overview/", {"fleet": str(two_fleets.b.fleet_id)}))
    assert day["theirs"].display_name in only_b and day["world"][3].display_name not in only_b


def test_a_user_who_manages_no_fleet_gets_the_pages_but_no_figures(two_fleets):
    dispatcher = two_fleets.a.users["dispatcher"]
    dispatcher.is_staff = True
    dispatcher.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(dispatcher)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "You do not manage a fleet yet" in visible(response)
    assert client.get("/admin/overview/", {"fleet": str(two_fleets.a.fleet_id)}).status_code == 404


def test_money_axes_step_in_round_amounts_written_by_babel():
    assert money_axis(123_456, "EUR", "de_DE") == {
        "max": 1500.0,
        "ticks": [[0.0, "0\xa0€"], [500.0, "500\xa0€"], [1000.0, "1.000\xa0€"], [1500.0, "1.500\xa0€"]],
    }
    assert money_axis(0, "GBP", "en_GB")["ticks"][-1] == [4.0, "£4"]
    assert money_axis(90, "GBP", "en_GB")["ticks"][:2] == [[0.0, "£0"], [0.25, "£0.25"]]
    assert whole_money(Decimal("2.5"), "EUR", "de_DE") == "2,50\xa0€"
    assert money_axis(5_000, "JPY", "ja_JP")["ticks"][-1] == [6000.0, "￥6,000"]  # steps of 2,000: no minor unit


def test_the_figures_are_kept_a_short_while_per_fleet_and_period(day, settings):
    manager = as_manager(day["world"][0])

    def load(**params) -> tuple[str, int]:
        with CaptureEveryDatabase() as ran:
            response = manager.get("/admin/", params)
        assert response.status_code == 200
        return visible(response), len(ran.captured_queries)

    first, built = load()
    again, kept = load()
    assert again == first
    assert built - kept >= 8, (built, kept)  # every figure's query skipped: the page's own remain
    month, month_built = load(days="30")
    assert month != first and month_built - kept >= 8  # another period: its own figures
    settings.CONSOLE_OVERVIEW_CACHE_SECONDS = 0
    off, rebuilt = load()
    assert off == first and rebuilt - kept >= 8  # off: built on every load
