"""The dispatcher's workspace in Chromium against the real server (issue 16): the trip detail panel, assigning by
drag and drop, alerts, search, actions from the panel, the keyboard and the phone layout."""

import pytest

from logitrack.testing.processes import wait_until
from tests.browser.workspace import (
    assign,
    book,
    by_hand,
    dispatcher_page,
    hand_dispatched,
    late_timing,
    push_board,
    sign_in,
    trip_row,
)
from tests.support.isolation import client_for

pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def card(trip) -> str:
    return f'.trip[data-trip-id="{trip["id"]}"]'


def test_the_detail_panel_shows_a_trips_stops_timeline_and_fare(
    dispatch_world, relay_and_deliver, server, browser, django_side
):
    from apps.billing.tests.factories import tariff

    world = dispatch_world

    def set_up():
        hand_dispatched(world)
        tariff(fleet_id=world.fleet_id, currency="EUR")
        trip = book(world, 0, 1, quoted=True)
        assign(world, trip, world.crews[1])
        relay_and_deliver()
        return trip

    trip = django_side(set_up)
    page = dispatcher_page(browser, server, world)
    page.click(f"{card(trip)} .open")
    panel = f'.trip-detail[data-trip-id="{trip["id"]}"]'
    page.wait_for_selector(f'{panel} .timeline li[data-action="assign"]')  # from GET .../timeline/
    assert page.locator(f'{panel} .timeline li[data-action="book"]').count() == 1
    summary = page.inner_text(f"{panel} .d-summary")
    assert "€" in summary and "(quoted)" in summary  # the fare, in the trip's currency
    assert "Driver 2" in summary  # who has it, by name
    stops = page.inner_text(f"{panel} .stops")
    assert "Invalidenstraße 1" in stops and "Oranienstraße 25" in stops and "Ada Recipient" in stops
    assert "window" in stops  # the drop-off's window, in the fleet's time


def test_a_card_dropped_on_a_driver_is_assigned_to_their_shift(
    dispatch_world, relay_and_deliver, server, browser, django_side
):
    world = dispatch_world

    trip = django_side(by_hand, world, relay_and_deliver, lambda: book(world, 2, 3))
    crew = world.crews[2]
    page = dispatcher_page(browser, server, world)
    page.click('.side .tabs [data-side="drivers"]')
    row = f'.driver-row[data-driver-id="{crew.driver.id}"]'
    page.wait_for_selector(row)
    page.drag_and_drop(f"{card(trip)}", row)
    wait_until(lambda: django_side(trip_row, trip["id"]).status == "assigned", what="the drop's assignment")
    assert django_side(trip_row, trip["id"]).shift_id == crew.shift_id
    django_side(relay_and_deliver)
    page.wait_for_selector(f'[data-column="assigned"] {card(trip)}')
    page.wait_for_selector(f"{row} .current-trip")  # the driver's row now shows the trip


def test_a_late_trip_raises_an_alert_that_opens_it(dispatch_world, relay_and_deliver, server, browser, django_side):
    world = dispatch_world

    def set_up():
        hand_dispatched(world)
        trips = [book(world, 4, 5), book(world, 6, 7)]
        relay_and_deliver()
        return trips

    late, fine = django_side(set_up)
    page = dispatcher_page(browser, server, world)
    page.wait_for_selector(card(fine))
    timing = late_timing(late, late_by_s=600)
    alert = {
        "id": f"late:{late['id']}",
        "kind": "late",
        "severity": "high",
        "trip_id": late["id"],
        "driver_id": None,
        "title": "Late: drop-off at Sonnenallee",
        "detail": "10 min past its window",
        "since": timing["as_of"],
    }
    django_side(
        push_board, world.fleet_id, {"seq": 0, "timings": {late["id"]: timing}, "drivers": {}, "alerts": [alert]}
    )
    page.wait_for_selector(f'.alert[data-trip-id="{late["id"]}"][data-kind="late"]')
    assert page.inner_text(".side .tabs .alert-count") == "1"
    assert "Late 10 min" in page.inner_text(f"{card(late)} .badge")  # the card says it in words
    first = page.eval_on_selector('[data-column="requested"] .cards', "c => c.firstElementChild.dataset.tripId")
    assert first == late["id"]  # the late one is sorted first
    page.click(f'.alert[data-trip-id="{late["id"]}"] .open')
    page.wait_for_selector(f'.trip-detail[data-trip-id="{late["id"]}"]')
    assert page.is_visible("#panel-detail")


def test_search_finds_a_trip_by_address(dispatch_world, relay_and_deliver, server, browser, django_side):
    world = dispatch_world

    trips = django_side(
        by_hand, world, relay_and_deliver, lambda: [book(world, 0, 2), book(world, 3, 4), book(world, 5, 6)]
    )
    page = dispatcher_page(browser, server, world)
    page.wait_for_selector(card(trips[2]))
    page.fill("#search", "bergmann")
    page.wait_for_selector(f'#search-results .hit[data-trip-id="{trips[1]["id"]}"]')
    assert page.locator("#search-results .hit").count() == 1
    assert page.locator(".board .trip").count() == 1  # the board narrows too
    page.click(f'#search-results .hit[data-trip-id="{trips[1]["id"]}"]')
    page.wait_for_selector(f'.trip-detail[data-trip-id="{trips[1]["id"]}"]')
    page.fill("#search", "")
    page.wait_for_function("() => document.querySelectorAll('.board .trip').length === 3")


def test_a_trip_is_cancelled_from_the_panel_with_a_reason_and_problems_show_in_the_form(
    dispatch_world, relay_and_deliver, server, browser, django_side
):
    world = dispatch_world

    trip = django_side(by_hand, world, relay_and_deliver, lambda: book(world, 1, 2))
    page = dispatcher_page(browser, server, world)
    page.click(f"{card(trip)} .open")
    page.click('.d-actions [data-action="cancel"]')
    # meanwhile someone else assigns it: the panel's version is old, the server says so in the form
    django_side(assign, world, trip, world.crews[0])
    page.fill('.action-form[data-form="cancel"] input[name=reason]', "customer called to cancel")
    page.click('.action-form[data-form="cancel"] button[type=submit]')
    page.wait_for_selector('.action-form[data-form="cancel"] .problem')
    django_side(relay_and_deliver)  # the screen hears of the assignment: the panel has the new version
    page.wait_for_selector(f'[data-column="assigned"] {card(trip)}')
    page.click('.action-form[data-form="cancel"] button[type=submit]')
    wait_until(lambda: django_side(trip_row, trip["id"]).status == "cancelled", what="the cancellation")
    django_side(relay_and_deliver)
    page.wait_for_selector(card(trip), state="detached")  # an ended trip leaves the board
    page.wait_for_selector('.timeline li[data-action="cancel"]')  # the panel stays, with its timeline


def test_a_form_open_while_the_trip_changes_says_so_and_does_not_act_on_the_new_state_unasked(
    dispatch_world, relay_and_deliver, server, browser, django_side
):
    """The dispatcher opened "cancel" on a waiting trip; the feed then says a driver has it. The form says the trip
    changed and what it is now; the cancellation happens only when the dispatcher submits again."""
    world = dispatch_world

    trip = django_side(by_hand, world, relay_and_deliver, lambda: book(world, 1, 2))
    page = dispatcher_page(browser, server, world)
    page.click(f"{card(trip)} .open")
    page.click('.d-actions [data-action="cancel"]')
    page.fill('.action-form[data-form="cancel"] input[name=reason]', "customer called to cancel")
    django_side(assign, world, trip, world.crews[0])
    django_side(relay_and_deliver)  # the screen hears of it while the form is open
    page.wait_for_selector(f'[data-column="assigned"] {card(trip)}')
    notice = page.wait_for_selector('.action-form[data-form="cancel"] .problem')
    assert "changed while the form was open" in notice.inner_text() and "assigned" in notice.inner_text()
    assert django_side(trip_row, trip["id"]).status == "assigned"  # nothing done on its own
    assert page.input_value('.action-form[data-form="cancel"] input[name=reason]') == "customer called to cancel"
    page.click('.action-form[data-form="cancel"] button[type=submit]')  # seen it: cancel after all
    wait_until(lambda: django_side(trip_row, trip["id"]).status == "cancelled", what="the cancellation")


def test_enter_on_a_focused_card_opens_it(dispatch_world, relay_and_deliver, server, browser, django_side):
    world = dispatch_world

    trip = django_side(by_hand, world, relay_and_deliver, lambda: book(world, 2, 5))
    page = dispatcher_page(browser, server, world)
    page.focus(f"{card(trip)} .open")
    outline = page.eval_on_selector(f"{card(trip)} .open", "b => getComputedStyle(b).outlineStyle")
    assert outline != "none"  # a visible focus ring
    page.keyboard.press("Enter")
    page.wait_for_selector(f'.trip-detail[data-trip-id="{trip["id"]}"]')
    assert page.get_attribute('.side .tabs [data-side="detail"]', "aria-selected") == "true"


def test_the_phone_layout_has_no_sideways_scroll_in_any_view(
    dispatch_world, relay_and_deliver, server, browser, django_side
):
    world = dispatch_world

    def set_up():
        hand_dispatched(world)
        trip = book(world, 0, 7)
        assign(world, trip, world.crews[0])
        relay_and_deliver()
        return trip

    trip = django_side(set_up)
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, server, world.fleets.a.users["dispatcher"])
    fits = "() => document.scrollingElement.scrollWidth <= innerWidth"
    page.wait_for_selector(card(trip))
    assert page.evaluate(fits)
    for view in ("map", "board"):
        page.click(f'.views [data-view="{view}"]')
        assert page.evaluate(fits), view
    for side in ("alerts", "drivers"):
        page.click(f'.views [data-side="{side}"]')
        assert page.is_visible(f"#panel-{side}") and page.evaluate(fits), side
    page.click('.views [data-view="board"]')
    page.click(f"{card(trip)} .open")  # opening a trip shows its detail
    page.wait_for_selector(f'.trip-detail[data-trip-id="{trip["id"]}"]')
    page.click('.d-actions [data-action="assign"]')
    page.wait_for_selector(".candidate")
    assert page.evaluate(fits), "detail"
    assert not page.is_visible(".board-pane")  # one view at a time


def test_a_trip_is_unassigned_from_the_panel_and_waits_for_a_dispatcher(
    dispatch_world, relay_and_deliver, server, browser, django_side
):
    world = dispatch_world

    def set_up():
        hand_dispatched(world)
        trip = book(world, 3, 6)
        assign(world, trip, world.crews[1])
        relay_and_deliver()
        return trip

    trip = django_side(set_up)
    page = dispatcher_page(browser, server, world)
    page.click(f'[data-column="assigned"] {card(trip)} .open')
    page.click('.d-actions [data-action="unassign"]')
    page.click('.action-form[data-form="unassign"] button[type=submit]')  # no reason: the form asks for one
    assert page.locator('.action-form[data-form="unassign"]').count() == 1
    page.fill('.action-form[data-form="unassign"] input[name=reason]', "driver has a flat tyre")
    page.click('.action-form[data-form="unassign"] button[type=submit]')
    wait_until(lambda: django_side(trip_row, trip["id"]).status == "requested", what="the unassignment")
    django_side(relay_and_deliver)
    page.wait_for_selector(f'[data-column="requested"] {card(trip)}.flagged')  # back, waiting for a dispatcher
    page.wait_for_selector('.timeline li[data-action="unassign"] .reason')


def test_search_finds_an_ended_trip_on_the_server(dispatch_world, relay_and_deliver, server, browser, django_side):
    from tests.support.isolation import client_for

    world = dispatch_world

    def set_up():
        hand_dispatched(world)
        ended = book(world, 7, 0)
        cancelled = client_for(world.fleets.a.users["dispatcher"]).post(
            f"/api/v1/trips/trips/{ended['id']}/transitions/",
            {"action": "cancel", "reason": "booked twice"},
            format="json",
            HTTP_IF_MATCH='W/"1"',
        )
        assert cancelled.status_code == 200, cancelled.json()
        relay_and_deliver()
        return ended

    ended = django_side(set_up)
    page = dispatcher_page(browser, server, world)
    page.fill("#search", "Sonnenallee")
    hit = f'#search-results .hit[data-trip-id="{ended["id"]}"]'
    page.wait_for_selector(hit)  # not on the board: found by the server's ?search=
    assert "Cancelled" in page.inner_text(hit)
    page.click(hit)
    page.wait_for_selector(f'.trip-detail[data-trip-id="{ended["id"]}"] .timeline li[data-action="cancel"]')


def test_a_dispatcher_books_a_trip_for_a_customer(dispatch_world, relay_and_deliver, server, browser, django_side):
    world = dispatch_world
    customer = world.fleets.customer

    def set_up():
        hand_dispatched(world)
        book(world, 0, 1)  # the customer has a trip with this fleet: the look-up offers them
        relay_and_deliver()

    django_side(set_up)
    page = dispatcher_page(browser, server, world)
    page.click("#new-trip")
    form = ".newtrip-form"
    page.fill(f"{form} input[name=customer_q]", customer.email[:8])
    page.click(f'{form} .customer-results [data-customer-id="{customer.id}"]')
    page.select_option(f"{form} select[name=vehicle_type]", "van")
    for kind, (address, lat, lng) in (
        ("pickup", ("Torstraße 140", 52.529, 13.401)),
        ("dropoff", ("Sonnenallee 55", 52.484, 13.435)),
    ):
        page.fill(f"{form} input[name={kind}_address]", address)
        page.fill(f"{form} input[name={kind}_lat]", str(lat))
        page.fill(f"{form} input[name={kind}_lng]", str(lng))
    page.fill(f"{form} input[name=dropoff_to]", "2099-06-01T18:30")
    page.fill(f"{form} input[name=weight_kg]", "25")
    keys = []
    page.on("request", lambda r: keys.append(r.headers.get("idempotency-key")) if r.method == "POST" else None)
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector('.trip-detail .timeline li[data-action="book"]')  # the new trip opens
    trip_id = page.get_attribute(".trip-detail", "data-trip-id")
    trip = django_side(trip_row, trip_id)
    assert trip.customer_id == customer.id and trip.weight_kg == 25 and trip.vehicle_type == "van"
    assert keys and keys[0]  # booked with an Idempotency-Key
    django_side(relay_and_deliver)
    page.wait_for_selector(f'[data-column="requested"] .trip[data-trip-id="{trip_id}"]')


def test_suggested_drivers_come_in_the_matchers_order_with_reasons_for_the_others(
    dispatch_world, relay_and_deliver, server, browser, django_side
):
    from apps.partner.services import duty as partner_duty
    from tests.support.dispatch_world import ping
    from tests.support.isolation import client_for

    world = dispatch_world
    near, middle, off = world.crews[2], world.crews[0], world.crews[1]

    def set_up():
        hand_dispatched(world)
        for crew, (lat, lng) in ((near, (52.531, 13.385)), (middle, (52.50, 13.42)), (off, (52.532, 13.386))):
            sent = client_for(crew.user).post("/api/v1/dispatch/positions/", {"pings": [ping(lat, lng)]}, format="json")
            assert sent.status_code == 200, sent.json()
        partner_duty.duty_set(driver_id=off.driver.id, on_duty=False)  # nearest of all, but off duty
        trip = book(world, 0, 1)
        relay_and_deliver()
        return trip

    trip = django_side(set_up)
    dispatcher = client_for(world.fleets.a.users["dispatcher"])
    expected = django_side(dispatcher.get, f"/api/v1/dispatch/trips/{trip['id']}/candidates/").json()["candidates"]
    assert [c["shift_id"] for c in expected] == [str(c.shift_id) for c in (near, middle, off)]

    page = dispatcher_page(browser, server, world)
    page.click(f"{card(trip)} .open")
    page.click('.d-actions [data-action="assign"]')
    page.wait_for_selector(".candidate")
    shown = page.eval_on_selector_all(".candidate", "rows => rows.map(r => r.dataset.shiftId)")
    assert shown == [c["shift_id"] for c in expected]  # the matcher's order, as auto-dispatch would offer
    assert "to pickup" in page.inner_text(".candidate >> nth=0")  # how far, in travel time
    refused = f'.candidate[data-shift-id="{off.shift_id}"]'
    assert "off duty" in page.inner_text(f"{refused} .reasons")
    assert page.locator(f"{refused} .assign-to").count() == 0  # not offered for a one-click assign
    page.click(f'.candidate[data-shift-id="{near.shift_id}"] .assign-to')
    wait_until(lambda: django_side(trip_row, trip["id"]).shift_id == near.shift_id, what="the one-click assign")


def test_optimisation_run_from_the_plan_tab_draws_each_vehicles_route_and_is_accepted(
    dispatch_world, relay_and_deliver, server, processes, browser, django_side
):
    """The routing worker (its own process, as deployed) plans the open trips; the plan reaches the screen over
    the feed and each vehicle's route is drawn on the map in stop order; accepting it assigns the trips."""
    from tests.support.dispatch_world import ping
    from tests.support.isolation import client_for

    world = dispatch_world

    def set_up():
        hand_dispatched(world)
        for n, crew in enumerate(world.crews[:2]):
            moved = client_for(crew.user).post(
                "/api/v1/dispatch/positions/", {"pings": [ping(52.52 + n * 0.01, 13.40)]}, format="json"
            )
            assert moved.status_code == 200, moved.json()
        trips = [book(world, 0, 1, minutes=120), book(world, 2, 3, minutes=120)]
        relay_and_deliver()
        return trips

    trips = django_side(set_up)
    processes.worker(name="routing", queues="routing", concurrency=1)
    page = dispatcher_page(browser, server, world)
    page.click('.side .tabs [data-side="plan"]')
    page.fill("#seconds", "1")
    page.click("#optimise")
    page.wait_for_selector("#map path.route.plan-proposed[data-shift-id]", state="attached", timeout=90_000)
    planned = page.eval_on_selector_all("#plan-body .vehicle", "boxes => boxes.map(b => b.dataset.shiftId)")
    drawn = page.eval_on_selector_all("#map path.route[data-shift-id]", "lines => lines.map(l => l.dataset.shiftId)")
    assert planned and sorted(drawn) == sorted(planned)  # one line per planned vehicle
    page.click("#accept")
    wait_until(
        lambda: all(django_side(trip_row, t["id"]).status == "assigned" for t in trips), what="the accepted plan"
    )
    page.wait_for_selector("#map path.route.plan-accepted[data-shift-id]", state="attached")


def test_a_card_tells_where_the_driver_is_headed_when_and_the_window_that_matters(
    dispatch_world, relay_and_deliver, server, browser, django_side
):
    """An assigned delivery: the ETA at its next stop (the pickup, no window) first, then the drop-off's window,
    named by its stop, in the fleet's time."""
    import datetime as dt
    import re
    import zoneinfo

    from tests.support.dispatch_world import ping
    from tests.support.isolation import client_for

    world = dispatch_world
    crew = world.crews[0]

    def set_up():
        moved = client_for(crew.user).post(
            "/api/v1/dispatch/positions/", {"pings": [ping(52.52, 13.40)]}, format="json"
        )
        assert moved.status_code == 200, moved.json()
        trip = book(world, 0, 1, minutes=90)
        assign(world, trip, crew)
        return trip

    trip = django_side(by_hand, world, relay_and_deliver, set_up)
    page = dispatcher_page(browser, server, world)
    times = page.wait_for_selector(f'[data-column="assigned"] {card(trip)} .times')
    text = times.inner_text()
    shown = re.fullmatch(
        r"ETA \d\d:\d\d at pickup · drop-off window (?:(\w{3}, \w{3} \d{1,2}) )?\d\d:\d\d–\d\d:\d\d", text
    )
    assert shown, text
    # a window on another day than today, on the fleet's clock (late evening: past midnight), says which day
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    starts = dt.datetime.fromisoformat(trip["stops"][-1]["window_start"]).astimezone(berlin)
    assert (shown.group(1) is not None) == (starts.date() != dt.datetime.now(berlin).date()), text


def test_cards_of_a_batch_move_together_from_one_trips_message(
    dispatch_world, relay_and_deliver, server, browser, django_side
):
    """The events worker applies a batch of status changes at once and the feed sends their cards as one numbered
    `trips` message (dispatch.show_trip_status's batch handler): the screen moves every card it carries."""
    world = dispatch_world

    def two_assigned():
        hand_dispatched(world)
        made = [assign(world, book(world, 0, 1), world.crews[0]), assign(world, book(world, 2, 3), world.crews[1])]
        relay_and_deliver()
        return made

    trips = django_side(two_assigned)
    page = dispatcher_page(browser, server, world)
    for trip in trips:
        page.wait_for_selector(f'[data-column="assigned"] {card(trip)}')

    def both_started_in_one_batch() -> int:
        from logitrack.db import contexts
        from logitrack.outbox.delivery import deliver_many
        from logitrack.outbox.models import OutboxMessage

        outbox = OutboxMessage.objects.using(contexts.alias("trips"))  # trips' events, on its database when split
        start = outbox.order_by("-id").values_list("id", flat=True).first() or 0
        for trip, crew in zip(trips, world.crews[:2], strict=True):
            moved = client_for(crew.user).post(
                f"/api/v1/trips/trips/{trip['id']}/transitions/",
                {"action": "start"},
                format="json",
                HTTP_IF_MATCH=f'W/"{trip["version"]}"',
            )
            assert moved.status_code == 200, moved.json()
        changed = outbox.filter(id__gt=start, event_type="logitrack.trips.trip.status_changed.v2")
        applied, _alone = deliver_many(
            subscription_name="dispatch.show_trip_status", envelopes=[m.envelope for m in changed.order_by("id")]
        )
        relay_and_deliver()  # the rest of the events; the inbox skips the two the batch applied
        return applied

    assert django_side(both_started_in_one_batch) == 2
    for trip in trips:
        page.wait_for_selector(f'[data-column="en_route"] {card(trip)}')
