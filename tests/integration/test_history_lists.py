"""Lists that grow with history (issue 19): trips (a customer's, a driver's, a fleet's), invoices, a wallet's
statement and webhook deliveries page by keyset (logitrack.http.pagination.KeysetPagination).

- Paging: `next` / `previous` walk every row once in order (ties on the time broken by id), `count` only when
  asked for, a tampered, foreign or garbage cursor and page numbers are 400 problems.
- Plans: on tables filled with thousands of rows and ANALYZEd, every query these lists run (page 1 and the page
  after a cursor) is EXPLAINed: no sequential scan of a big table, and no plan node reads more than a few pages'
  worth of rows from one, however many rows the table and the caller's history hold.
- Queries: the number of queries of each list and detail does not grow with its rows (1 row and 10 rows: same).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connections, router
from django.db.models import F, Q
from django.utils import timezone

from apps.billing.models import Account, AccountKind, Invoice, JournalTransaction, Posting
from apps.fleet.tests.factories import active_fleet
from apps.notifications.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from apps.partner.models import DriverProfile
from apps.trips.models import Stop, Trip
from logitrack.http.pagination import KeysetPagination, merged_pages
from logitrack.testing import databases
from logitrack.testing.queries import CaptureEveryDatabase
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db

TRIPS = "/api/v1/trips/trips/"
INVOICES = "/api/v1/billing/invoices/"
WALLET = "/api/v1/billing/wallet/"
DELIVERIES = "/api/v1/notifications/webhooks/deliveries/"
BIG_TABLES = {
    Trip._meta.db_table,
    Stop._meta.db_table,
    Invoice._meta.db_table,
    Posting._meta.db_table,
    JournalTransaction._meta.db_table,
    WebhookDelivery._meta.db_table,
}


@pytest.fixture
def world(two_fleets, relay_and_deliver):
    for tenant in (two_fleets.a, two_fleets.b):
        active_fleet(fleet_id=tenant.fleet_id, name=tenant.name)
    relay_and_deliver()  # partner makes the drivers' profiles
    return two_fleets


def driver_of(world) -> DriverProfile:
    return DriverProfile.objects.get(user_id=world.a.users["driver"].id)


# ---- rows in bulk ---------------------------------------------------------------------------------------------------


def spread(model, ids, *, days: int = 365) -> None:
    """Back-date the rows over a year (auto_now_add set them all to now), reproducibly by id."""
    with connections[router.db_for_write(model)].cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET created_at = now() - mod(('x' || substr(md5(id::text), 1, 8))::bit(32)"
            "::int, %s * 86400) * interval '1 second' WHERE id = ANY(%s)",
            [days, list(ids)],
        )


def make_trips(n: int, *, fleet_id, customer_id=None, driver_id=None, stops: int = 2, when=None) -> list[Trip]:
    trips = Trip.objects.bulk_create(
        Trip(
            fleet_id=fleet_id,
            customer_id=customer_id or uuid.uuid4(),
            booked_by_id=customer_id or uuid.uuid4(),
            vehicle_type="van",
            driver_id=driver_id,
            status="completed" if i % 3 else "requested",
        )
        for i in range(n)
    )
    Stop.objects.bulk_create(
        Stop(
            trip=trip, sequence=s + 1, kind="pickup" if s == 0 else "dropoff", address=f"Street {s}", lat=52.5, lng=13.4
        )
        for trip in trips
        for s in range(stops)
    )
    if when is not None:
        Trip.objects.filter(id__in=[t.id for t in trips]).update(created_at=when)
    else:
        spread(Trip, [t.id for t in trips])
    return trips


def make_invoices(n: int, *, fleet_id, customer_id=None) -> None:
    """Receipts issued over a year (an issued invoice never changes: each is made with its time)."""
    now, seconds = timezone.now(), random.Random(n)
    Invoice.objects.bulk_create(
        Invoice(
            fleet_id=fleet_id,
            customer_id=customer_id or uuid.uuid4(),
            kind="receipt",
            year=2026,
            sequence=Invoice.objects.count() + i + 1,
            number=f"RCT-{uuid.uuid4().hex[:10]}",
            trip_id=uuid.uuid4(),
            currency="EUR",
            lines=[],
            taxes=[],
            net_minor=100,
            tax_minor=19,
            total_minor=119,
            seller={},
            buyer={},
            issued_at=now - dt.timedelta(seconds=seconds.randrange(365 * 86400)),
        )
        for i in range(n)
    )


def make_statement(n: int, *, owner_id, fleet_id) -> None:
    """`n` settlements of one driver: their wallet and the fleet's revenue credited, the clearing account debited."""
    accounts = [
        Account.objects.get_or_create(kind=kind, currency="EUR", owner_id=owner, fleet_id=fleet_id)[0]
        for kind, owner in (
            (AccountKind.DRIVER_WALLET, owner_id),
            (AccountKind.FLEET_REVENUE, fleet_id),
            (AccountKind.CASH_CLEARING, None),
        )
    ]
    txs = JournalTransaction.objects.bulk_create(
        JournalTransaction(idempotency_key=f"history:{uuid.uuid4()}", kind="settlement", fleet_id=fleet_id)
        for _ in range(n)
    )
    Posting.objects.bulk_create(
        Posting(transaction=tx, account=account, amount_minor=amount, currency="EUR")
        for tx in txs
        for account, amount in zip(accounts, (-100, -20, 120), strict=True)
    )


def make_deliveries(n: int, *, fleet_id, attempts: int = 0) -> list[WebhookDelivery]:
    endpoint = WebhookEndpoint.objects.filter(fleet_id=fleet_id).first() or WebhookEndpoint.objects.create(
        fleet_id=fleet_id, url="https://hooks.example.test/", secret_encrypted="x"
    )
    now = timezone.now()
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            fleet_id=fleet_id,
            event_id=uuid.uuid4(),
            event_type="trip.completed",
            occurred_at=now,
            body="{}",
            window_started_at=now,
        )
        for _ in range(n)
    )
    WebhookAttempt.objects.bulk_create(
        WebhookAttempt(delivery=row, number=k + 1, started_at=now, request_url=endpoint.url, request_body="{}")
        for row in rows
        for k in range(attempts)
    )
    spread(WebhookDelivery, [r.id for r in rows])
    return rows


# ---- paging -------------------------------------------------------------------------------------------------------


def flat(pages: list[list[str]]) -> list[str]:
    return [row for page in pages for row in page]


def walk(client, url: str, params: dict) -> tuple[list[list[str]], dict]:
    """Every page's ids following `next`, and the last page's body."""
    pages, body = [], client.get(url, params).json()
    pages.append([row["id"] for row in body["results"]])
    while body["next"]:
        body = client.get(body["next"]).json()
        pages.append([row["id"] for row in body["results"]])
    return pages, body


def test_a_customers_trips_page_by_cursor_newest_first_each_once(world):
    customer = world.customer
    same_moment = timezone.now() - dt.timedelta(days=3)
    tied = make_trips(3, fleet_id=world.a.fleet_id, customer_id=customer.id, when=same_moment)  # order by id
    spread_out = make_trips(4, fleet_id=world.b.fleet_id, customer_id=customer.id)
    make_trips(5, fleet_id=world.a.fleet_id)  # other customers'
    expected = [
        str(t.id) for t in Trip.objects.filter(id__in=[t.id for t in tied + spread_out]).order_by("-created_at", "-id")
    ]
    client = client_for(customer)

    pages, last = walk(client, TRIPS, {"page_size": 3})
    assert pages == [expected[0:3], expected[3:6], expected[6:7]]
    assert "count" not in last and last["previous"]

    back = [[row["id"] for row in client.get(last["previous"]).json()["results"]]]
    assert back == [expected[3:6]]
    first = client.get(TRIPS, {"page_size": 3, "count": "true"}).json()
    assert (first["count"], first["previous"]) == (7, None)


def test_staff_see_their_fleets_trips_and_what_they_booked_once(world):
    dispatcher = world.a.users["dispatcher"]
    own = make_trips(4, fleet_id=world.a.fleet_id)
    booked_elsewhere = make_trips(1, fleet_id=world.b.fleet_id)
    Trip.objects.filter(id=booked_elsewhere[0].id).update(booked_by_id=dispatcher.id)
    Trip.objects.filter(id=own[0].id).update(booked_by_id=dispatcher.id)  # seen two ways, listed once
    make_trips(3, fleet_id=world.b.fleet_id)

    pages, _ = walk(client_for(dispatcher), TRIPS, {"page_size": 2})
    seen = [trip for page in pages for trip in page]
    assert sorted(seen) == sorted(str(t.id) for t in own + booked_elsewhere)
    assert client_for(dispatcher).get(TRIPS, {"count": "true"}).json()["count"] == 5


def test_filters_narrow_each_page(world):
    driver = driver_of(world)
    make_trips(6, fleet_id=world.a.fleet_id, driver_id=driver.id)  # every third "requested"
    make_trips(2, fleet_id=world.a.fleet_id)
    pages, _ = walk(client_for(world.a.users["driver"]), TRIPS, {"page_size": 1, "status": "requested"})
    assert [len(p) for p in pages] == [1, 1]
    assert set(Trip.objects.filter(id__in=flat(pages)).values_list("status", flat=True)) == {"requested"}


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"cursor": "nonsense"}, "cursor"),
        ({"cursor": ""}, "cursor"),
        ({"page": "2"}, "page"),
        ({"count": "perhaps"}, "count"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_bad_paging_is_a_400_naming_the_parameter(world, params, name):
    response = client_for(world.customer).get(TRIPS, params)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed" and name in response.json()["errors"]


def test_a_tampered_or_foreign_cursor_is_a_400_not_a_500(world):
    make_trips(3, fleet_id=world.a.fleet_id, customer_id=world.customer.id)
    client = client_for(world.customer)
    cursor = parse_qs(urlsplit(client.get(TRIPS, {"page_size": 1}).json()["next"]).query)["cursor"][0]
    payload, signature = cursor.rsplit(":", 1)
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    for forged in (f"{flipped}:{signature}", f"{payload}:{signature[::-1]}"):
        response = client.get(TRIPS, {"cursor": forged})
        assert (response.status_code, list(response.json()["errors"])) == (400, ["cursor"])
    # a cursor of the trips list means nothing to the invoices list (another order): refused there
    manager = client_for(world.a.users["fleet_manager"])
    assert manager.get(INVOICES, {"cursor": cursor}).status_code == 400


def test_invoices_statement_and_deliveries_page_by_cursor(world):
    make_invoices(5, fleet_id=world.a.fleet_id, customer_id=world.customer.id)
    make_invoices(2, fleet_id=world.b.fleet_id)
    pages, _ = walk(client_for(world.customer), INVOICES, {"page_size": 2})
    assert [len(p) for p in pages] == [2, 2, 1] and len(set(flat(pages))) == 5
    issued = [row["issued_at"] for row in client_for(world.customer).get(INVOICES).json()["results"]]
    assert issued == sorted(issued, reverse=True)

    make_statement(3, owner_id=driver_of(world).id, fleet_id=world.a.fleet_id)
    driver = client_for(world.a.users["driver"])
    wallet = driver.get(WALLET, {"page_size": 2}).json()
    assert len(wallet["statement"]) == 2 and wallet["previous"] is None and "statement_count" not in wallet
    rest = driver.get(wallet["next"]).json()
    assert (len(rest["statement"]), rest["next"]) == (1, None)
    assert driver.get(WALLET, {"count": "true"}).json()["statement_count"] == 3

    make_deliveries(3, fleet_id=world.a.fleet_id)
    make_deliveries(2, fleet_id=world.b.fleet_id)
    pages, _ = walk(client_for(world.a.users["fleet_manager"]), DELIVERIES, {"page_size": 2})
    assert [len(p) for p in pages] == [2, 1]
    assert set(WebhookDelivery.objects.filter(id__in=flat(pages)).values_list("fleet_id", flat=True)) == {
        world.a.fleet_id
    }


# ---- plans --------------------------------------------------------------------------------------------------------


def plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def rows_read(node: dict) -> float:
    loops = node.get("Actual Loops", 1)
    return (
        node.get("Actual Rows", 0) * loops
        + node.get("Rows Removed by Filter", 0)
        + node.get("Rows Removed by Index Recheck", 0)
    )


def explained(client, url: str, params: dict) -> tuple[list[tuple[str, dict]], dict]:
    """Each query the request ran that touches a big table, with its plan as run, and the response's body."""
    with CaptureEveryDatabase() as ran:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    found = []
    for using, sql in ((q["alias"], q["sql"]) for q in ran.captured_queries):
        if not sql.lstrip("( ").upper().startswith("SELECT") or not any(f'"{t}"' in sql for t in BIG_TABLES):
            continue
        with connections[using].cursor() as cursor:  # explained where it ran
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
        found.append((sql, (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]))
    assert found, f"{url} ran no query on a big table"
    return found, response.json()


def test_every_page_of_the_history_lists_reads_a_bounded_slice_of_its_tables_by_index(world):
    """Thousands of rows, the callers' own in the hundreds: a sequential scan, a missing index or an OR sorting all
    of a customer's trips would read them all; a page reads at most a few pages' worth from any table."""
    driver = driver_of(world)
    customer = world.customer
    make_trips(300, fleet_id=world.a.fleet_id, customer_id=customer.id)
    make_trips(300, fleet_id=world.a.fleet_id, driver_id=driver.id)
    make_trips(1400, fleet_id=world.a.fleet_id)
    for _ in range(4):
        make_trips(1000, fleet_id=uuid.uuid4())
    make_invoices(300, fleet_id=world.a.fleet_id, customer_id=customer.id)
    make_invoices(1500, fleet_id=world.a.fleet_id)
    make_invoices(2000, fleet_id=world.b.fleet_id)
    # a driver's wallet is a small share of a ledger: most postings are other drivers', fleets' and clearing's
    make_statement(60, owner_id=driver.id, fleet_id=world.a.fleet_id)
    for _ in range(30):
        make_statement(100, owner_id=uuid.uuid4(), fleet_id=world.b.fleet_id)
    make_deliveries(300, fleet_id=world.a.fleet_id)
    make_deliveries(3000, fleet_id=world.b.fleet_id)
    for table in sorted(BIG_TABLES):
        with connections[databases.alias_of_table(table)].cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")

    page = 20
    lists: list[tuple[str, object, str, dict]] = [
        ("a customer's trips", customer, TRIPS, {}),
        ("a driver's trips", world.a.users["driver"], TRIPS, {}),
        ("a fleet's trips", world.a.users["dispatcher"], TRIPS, {}),
        ("a fleet's board", world.a.users["dispatcher"], TRIPS, {"status": "requested", "fleet_id": world.a.fleet_id}),
        ("a customer's invoices", customer, INVOICES, {}),
        ("a fleet's invoices", world.a.users["fleet_manager"], INVOICES, {}),
        ("a driver's statement", world.a.users["driver"], WALLET, {}),
        ("a fleet's webhook deliveries", world.a.users["fleet_manager"], DELIVERIES, {}),
    ]
    for what, user, url, params in lists:
        assert_pages_bounded(what, client_for(user), url, params, BIG_TABLES, page)


def assert_pages_bounded(what: str, client, url: str, params: dict, tables: set[str], page: int) -> None:
    """Page 1 and the page after it: no sequential scan of `tables`, and no plan node reads more than a few pages'
    worth of rows from one."""
    plans, body = explained(client, url, {**params, "page_size": page})
    assert body["next"], f"{what}: expected more than one page"
    after, _ = explained(client, body["next"], {})
    for sql, plan in plans + after:
        for node in plan_nodes(plan):
            table = node.get("Relation Name")
            assert not (node["Node Type"] == "Seq Scan" and table in tables), f"{what}: {sql}\n{plan}"
            if table in tables:
                assert rows_read(node) <= 4 * (page + 1), (
                    f"{what} reads {rows_read(node)} rows of {table}: {sql}\n{plan}"
                )


# ---- queries per request ----------------------------------------------------------------------------------------


def queries(client, url: str, params: dict | None = None) -> int:
    """The statements of a warm request: the caller's first one also fills identity's principal cache."""
    client.get(url, params or {})
    with CaptureEveryDatabase() as ran:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return len(ran.captured_queries)


def same_for_1_and_10(make: Callable[[int], object], ask: Callable[[], int]) -> int:
    make(1)
    one = ask()
    make(9)
    ten = ask()
    assert one == ten, f"{one} queries for 1 row, {ten} for 10"
    return ten


def test_lists_and_details_run_as_many_queries_for_10_rows_as_for_1(world):
    customer, driver = world.customer, driver_of(world)
    customer_client = client_for(customer)
    dispatcher = client_for(world.a.users["dispatcher"])
    manager = client_for(world.a.users["fleet_manager"])
    driver_client = client_for(world.a.users["driver"])

    same_for_1_and_10(
        lambda n: make_trips(n, fleet_id=world.a.fleet_id, customer_id=customer.id, driver_id=driver.id),
        lambda: queries(customer_client, TRIPS),
    )
    for client in (driver_client, dispatcher, client_for(world.platform_admin)):
        assert queries(client, TRIPS, {"count": "true"}) == queries(client, TRIPS) + 1  # count: one query more
    trip = make_trips(1, fleet_id=world.a.fleet_id, customer_id=customer.id, stops=1)[0]
    detail = f"{TRIPS}{trip.id}/"
    one_stop = queries(dispatcher, detail)
    Stop.objects.bulk_create(
        Stop(trip=trip, sequence=s, kind="dropoff", address="x", lat=52.5, lng=13.4) for s in range(2, 11)
    )
    assert queries(dispatcher, detail) == one_stop
    assert queries(customer_client, detail) <= one_stop + 2  # the customer's reads its tracking link and PINs

    same_for_1_and_10(
        lambda n: make_invoices(n, fleet_id=world.a.fleet_id, customer_id=customer.id),
        lambda: queries(customer_client, INVOICES),
    )
    assert queries(manager, INVOICES) == queries(customer_client, INVOICES)
    same_for_1_and_10(
        lambda n: make_statement(n, owner_id=driver.id, fleet_id=world.a.fleet_id),
        lambda: queries(driver_client, WALLET),
    )
    same_for_1_and_10(
        lambda n: make_deliveries(n, fleet_id=world.a.fleet_id, attempts=1),
        lambda: queries(manager, DELIVERIES),
    )
    few, many = (
        make_deliveries(1, fleet_id=world.a.fleet_id, attempts=1)[0],
        make_deliveries(1, fleet_id=world.a.fleet_id, attempts=10)[0],
    )
    assert queries(manager, f"{DELIVERIES}{few.id}/") == queries(manager, f"{DELIVERIES}{many.id}/")


def test_the_invoices_list_reads_only_the_columns_it_shows(world):
    customer = client_for(world.customer)
    make_invoices(2, fleet_id=world.a.fleet_id, customer_id=world.customer.id)
    customer.get(INVOICES)  # the caller's first request fills identity's principal cache
    with CaptureEveryDatabase() as ran:
        body = customer.get(INVOICES).json()
    assert len(body["results"]) == 2
    reads = [q["sql"] for q in ran.captured_queries if 'FROM "billing_invoice"' in q["sql"]]
    assert reads
    for sql in reads:
        for unshown in ("lines", "taxes", "seller", "buyer", "pdf_path"):  # JSON decoded per row, never shown
            assert f'"billing_invoice"."{unshown}"' not in sql, sql


# ---- the other lists that grow with history: shifts, routing jobs and plans, top-ups, payouts, a driver's trail ----

SHIFTS = "/api/v1/trips/shifts/"
TOPUPS = "/api/v1/billing/topups/"
PAYOUTS = "/api/v1/billing/payouts/"


def jobs_url(fleet_id) -> str:
    return f"/api/v1/dispatch/fleets/{fleet_id}/routing-jobs/"


def plans_url(fleet_id) -> str:
    return f"/api/v1/dispatch/fleets/{fleet_id}/plans/"


def trail_url(driver_id) -> str:
    return f"/api/v1/dispatch/drivers/{driver_id}/trail/"


def make_shifts(n: int, *, fleet_id, driver_id=None) -> None:
    """A shift a day per driver, back from today (a driver's shifts never overlap)."""
    from apps.trips.models import Shift

    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=n)
    Shift.objects.bulk_create(
        Shift(
            fleet_id=fleet_id,
            driver_id=driver_id or uuid.uuid4(),
            vehicle_id=uuid.uuid4(),
            starts_at=start + dt.timedelta(days=i),
            ends_at=start + dt.timedelta(days=i, hours=8),
            status="ended",
        )
        for i in range(n)
    )


def make_runs(n: int, *, fleet_id) -> None:
    """Routing jobs and the plan each proposed, spread over a year."""
    from apps.dispatch.models import RoutePlan, RoutingJob

    jobs = RoutingJob.objects.bulk_create(
        RoutingJob(fleet_id=fleet_id, status="succeeded", seconds=5) for _ in range(n)
    )
    plans = RoutePlan.objects.bulk_create(RoutePlan(fleet_id=fleet_id, job=j, origin=timezone.now()) for j in jobs)
    spread(RoutingJob, [j.id for j in jobs])
    spread(RoutePlan, [p.id for p in plans])


def make_money_requests(n: int, *, fleet_id, customer_id=None, driver_id=None) -> None:
    """A customer's top-ups and a driver's payouts, spread over a year."""
    from apps.billing.models import Payout, TopUp

    later = timezone.now() + dt.timedelta(days=1)
    topups = TopUp.objects.bulk_create(
        TopUp(
            customer_id=customer_id or uuid.uuid4(),
            request_key=uuid.uuid4().hex,
            currency="EUR",
            amount_minor=500,
            expires_at=later,
        )
        for _ in range(n)
    )
    payouts = Payout.objects.bulk_create(
        Payout(
            driver_id=driver_id or uuid.uuid4(),
            fleet_id=fleet_id,
            request_key=uuid.uuid4().hex,
            currency="EUR",
            amount_minor=500,
            status="paid",
        )
        for _ in range(n)
    )
    spread(TopUp, [t.id for t in topups])
    spread(Payout, [p.id for p in payouts])


def make_pings(n: int, *, driver_id, fleet_id, at=None) -> None:
    from apps.dispatch.models import PositionPing

    at = at or timezone.now() - dt.timedelta(minutes=30)
    PositionPing.objects.bulk_create(
        PositionPing(
            ping_id=uuid.uuid4(),
            driver_id=driver_id,
            fleet_id=fleet_id,
            recorded_at=at + dt.timedelta(seconds=i // 2),  # pairs share a second: the id breaks the tie
            received_at=at,
            lat=52.5,
            lng=13.4,
        )
        for i in range(n)
    )


def more_lists(world) -> list[tuple[str, object, str, dict]]:
    driver = driver_of(world)
    return [
        ("a fleet's shifts", world.a.users["dispatcher"], SHIFTS, {}),
        ("a driver's shifts", world.a.users["driver"], SHIFTS, {}),
        ("a fleet's routing jobs", world.a.users["dispatcher"], jobs_url(world.a.fleet_id), {}),
        ("a fleet's plans", world.a.users["dispatcher"], plans_url(world.a.fleet_id), {}),
        ("a customer's top-ups", world.customer, TOPUPS, {}),
        ("a fleet's payouts", world.a.users["fleet_manager"], PAYOUTS, {}),
        ("a driver's payouts", world.a.users["driver"], PAYOUTS, {}),
        ("a driver's trail", world.a.users["dispatcher"], trail_url(driver.id), {}),
    ]


def test_shifts_runs_money_requests_and_trails_page_by_cursor_each_row_once(world):
    driver = driver_of(world)
    make_shifts(3, fleet_id=world.a.fleet_id, driver_id=driver.id)
    make_shifts(2, fleet_id=world.a.fleet_id)
    make_shifts(4, fleet_id=world.b.fleet_id)
    make_runs(5, fleet_id=world.a.fleet_id)
    make_runs(3, fleet_id=world.b.fleet_id)
    make_money_requests(5, fleet_id=world.a.fleet_id, customer_id=world.customer.id, driver_id=driver.id)
    make_money_requests(3, fleet_id=world.b.fleet_id)
    make_pings(5, driver_id=driver.id, fleet_id=world.a.fleet_id)

    expected = {
        "a fleet's shifts": 5,
        "a driver's shifts": 3,
        "a fleet's routing jobs": 5,
        "a fleet's plans": 5,
        "a customer's top-ups": 5,
        "a fleet's payouts": 5,
        "a driver's payouts": 5,
        "a driver's trail": 5,
    }
    for what, user, url, _ in more_lists(world):
        client = client_for(user)
        if what == "a driver's trail":  # its rows are pings, named by ping_id
            body = client.get(url, {"page_size": 2, "count": "true"}).json()
            seen = [row["ping_id"] for row in body["results"]]
            while body["next"]:
                body = client.get(body["next"]).json()
                seen += [row["ping_id"] for row in body["results"]]
            times = [row["recorded_at"] for row in client.get(url, {"page_size": 200}).json()["results"]]
            assert len(seen) == len(set(seen)) == expected[what] and times == sorted(times), what  # oldest first
            continue
        pages, last = walk(client, url, {"page_size": 2})
        rows = flat(pages)
        assert len(rows) == len(set(rows)) == expected[what], (what, pages)
        assert [len(p) for p in pages][:-1] == [2] * (len(pages) - 1) and last["previous"], what
        assert client.get(url, {"count": "true"}).json()["count"] == expected[what], what
        assert client.get(url, {"page": "2"}).status_code == 400, what  # no page numbers on these lists
    starts = [row["starts_at"] for row in client_for(world.a.users["dispatcher"]).get(SHIFTS).json()["results"]]
    assert starts == sorted(starts, reverse=True)  # latest start first


def test_the_other_history_lists_read_a_bounded_slice_by_index(world):
    """As the trips' plans test, for the lists converted later: thousands of rows, a page reads a few pages' worth."""
    from apps.billing.models import Payout, TopUp
    from apps.dispatch.models import PositionPing, RoutePlan, RoutingJob
    from apps.trips.models import Shift

    big = {t._meta.db_table for t in (Shift, RoutingJob, RoutePlan, TopUp, Payout, PositionPing)}
    driver = driver_of(world)
    make_shifts(150, fleet_id=world.a.fleet_id, driver_id=driver.id)
    for _ in range(25):  # enough rows that reading the page's rows by id beats a scan of the table
        make_shifts(240, fleet_id=world.b.fleet_id)
    make_runs(150, fleet_id=world.a.fleet_id)
    make_runs(1500, fleet_id=world.b.fleet_id)
    make_money_requests(150, fleet_id=world.a.fleet_id, customer_id=world.customer.id, driver_id=driver.id)
    make_money_requests(1500, fleet_id=world.b.fleet_id)
    make_pings(300, driver_id=driver.id, fleet_id=world.a.fleet_id)
    for _ in range(5):
        make_pings(600, driver_id=uuid.uuid4(), fleet_id=world.b.fleet_id)
    for table in sorted(big):
        with connections[databases.alias_of_table(table)].cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")

    BIG_TABLES.update(big)  # what `explained` looks at
    try:
        for what, user, url, params in more_lists(world):
            assert_pages_bounded(what, client_for(user), url, params, big, page=20)
    finally:
        BIG_TABLES.difference_update(big)


def test_a_wallet_reads_its_two_accounts_in_one_query(world):
    """The wallet and its payout hold: one query for both, not one each."""
    driver = driver_of(world)
    make_statement(2, owner_id=driver.id, fleet_id=world.a.fleet_id)
    Account.objects.create(
        kind=AccountKind.DRIVER_PAYOUT_HOLD, currency="EUR", owner_id=driver.id, fleet_id=world.a.fleet_id
    )
    client = client_for(world.a.users["driver"])
    client.get(WALLET)  # the caller's first request fills identity's principal cache
    with CaptureEveryDatabase() as ran:  # billing's queries run on its own alias when split
        body = client.get(WALLET).json()
    assert (len(body["statement"]), body["held_for_payouts_minor"]) == (2, 0)
    assert len([q for q in ran.captured_queries if 'FROM "billing_account"' in q["sql"]]) == 1


def test_merged_pages_by_written_sql_are_the_unions_rows(world):
    """KeysetPagination merges a list's branch pages by SQL written once per shape (pagination.merged_pages): the
    rows of the ORM's union, first page and after a cursor, either way; a list narrowed by more than its branches
    (a filter) is left to the ORM."""
    customer, driver = world.customer, driver_of(world)
    same_moment = timezone.now() - dt.timedelta(days=2)
    make_trips(4, fleet_id=world.a.fleet_id, customer_id=customer.id, when=same_moment)  # ties broken by id
    make_trips(6, fleet_id=world.a.fleet_id, customer_id=customer.id, driver_id=driver.id)
    Trip.objects.filter(customer_id=customer.id).update(booked_by_id=customer.id)
    make_trips(5, fleet_id=world.a.fleet_id, driver_id=driver.id)
    rows = Trip.objects.only("id", "created_at")
    branches = [Q(customer_id=customer.id), Q(booked_by_id=customer.id), Q(driver_id=driver.id)]
    middle = list(rows.order_by("-created_at", "-id"))[5]
    for boundary in (None, [middle.created_at, middle.id]):
        for order in (["-created_at", "-id"], ["created_at", "id"]):
            for shown in (branches, branches[:1]):
                pages = []
                for branch in shown:
                    page = rows.filter(branch)
                    if boundary is not None:
                        paginator = KeysetPagination()
                        page = page.filter(paginator._beyond(boundary, order[0] == "created_at"))
                    pages.append(page.order_by(*order)[:4].values_list("pk", "created_at", "id"))
                union = pages[0].union(*pages[1:]).order_by(*order)[:4] if len(pages) > 1 else pages[0]
                written = merged_pages(rows, shown, order, boundary, 4)
                assert written == list(union), (boundary, order, len(shown))
    assert merged_pages(rows.filter(status="requested"), branches, ["-created_at", "-id"], None, 4) is None
    assert merged_pages(rows, [Q(customer_id=F("booked_by_id"))], ["-created_at", "-id"], None, 4) is None
