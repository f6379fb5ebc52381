"""What a trip's customer receives, on the wire of a real SMTP server: the booking confirmation with its tracking
link (German for a German fleet, English on the customer's preference), branding, one-click unsubscribe, driver
assigned, arriving soon (once per stop), delivered with the receipt PDF attached."""

import datetime as dt
import re
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from apps.billing.contracts import TripFacts
from apps.billing.services import invoices, settlement
from apps.fleet.models import Fleet
from apps.notifications.contracts import Channel, DeliveryStatus
from apps.notifications.domain import StopView, TripView
from apps.notifications.models import Delivery, Preference
from apps.notifications.services import deliveries, messages
from apps.trips import api as trips_api
from apps.trips.events import TripArrivingV1, TripRequestedV2
from logitrack.db import contexts
from logitrack.outbox.models import OutboxMessage
from tests.support import smtp as smtp_server
from tests.support import trip_world

smtp, world = smtp_server.smtp, trip_world.world  # fixtures: a real SMTP server, a fleet with a van on a shift

PICKUP = ("Invalidenstraße 1, Berlin", 52.5310, 13.3847)
DROPOFF = ("Oranienstraße 25, Berlin", 52.5016, 13.4190)


def parts(message):
    """(text, html, attachments) of a parsed mail."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    attachments = [(a.get_filename(), a.get_content_type(), a.get_content()) for a in message.iter_attachments()]
    return text, html, attachments


@pytest.fixture
def booked(world, smtp, relay_and_deliver):
    two_fleets, fleet, _van, _driver, shift = world
    Fleet.objects.filter(id=fleet.id).update(brand_colour="#123abc", logo_path="private/logos/abcdef123456.png")
    customer = two_fleets.customer
    customer.display_name, customer.phone = "Ana Example", "+4915112345678"
    customer.save()

    def book():
        trip = trip_world.book_as_customer(fleet.id, customer.id, PICKUP, DROPOFF)
        relay_and_deliver()
        return trip

    return book, customer, fleet, shift


def test_the_booking_confirmation_arrives_in_german_branded_with_tracking_and_one_click_unsubscribe(
    booked, smtp, relay_and_deliver
):
    book, customer, fleet, _ = booked
    trip = book()
    assert deliveries.deliveries_send_due() == 1  # the SMS delivery is suppressed: no SMS adapter configured

    [mail] = smtp.messages()
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["Subject"] == "Ihre Buchung bei Alpha Logistics ist bestätigt"
    assert mail["From"].addresses[0].display_name == "Alpha Logistics"
    assert mail["From"].addresses[0].addr_spec == "messages@logitrack.test"
    assert mail["To"] == customer.email
    text, html, attachments = parts(mail)
    assert attachments == []
    assert "Vielen Dank, Ana. Alpha Logistics hat Ihre Buchung von Invalidenstraße 1, Berlin" in text
    assert "so bald wie möglich" in text  # booked for now
    token = re.search(r"https://track\.example\.test/track/([\w-]+)/", text).group(1)
    assert f'href="https://track.example.test/track/{token}/"' in html
    assert "#123abc" in html  # the fleet's colour
    assert f"https://track.example.test/brand/{fleet.id}/logo.png?v=abcdef123456" in html
    # the token is the trip's own: it opens the trip's tracking
    assert Client().get(f"/api/v1/trips/track/{token}/").status_code == 200

    sms = Delivery.objects.get(channel=Channel.SMS)
    assert (sms.status, sms.last_error, sms.address) == ("suppressed", "no adapter for the sms channel", customer.phone)
    assert trip.id and "bestätigt" in sms.text and token in sms.text

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the URL, with no cookie and no CSRF token
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(
        r"<(https://track\.example\.test(/notifications/unsubscribe/[^>]+/))>", mail["List-Unsubscribe"].strip()
    )
    assert url is not None and url.group(1) in text
    response = Client(enforce_csrf_checks=True).post(
        url.group(2), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Preference.objects.get(user_id=customer.id).opted_out == ["email"]
    # the next message by email is suppressed; none reaches the server
    book()
    assert deliveries.deliveries_send_due() == 0
    assert len(smtp.received) == 1
    assert Delivery.objects.filter(channel=Channel.EMAIL, status=DeliveryStatus.SUPPRESSED).count() == 1


def test_the_customers_language_wins_over_the_fleets(booked, smtp):
    book, customer, _, _ = booked
    Preference.objects.create(user_id=customer.id, language="en")
    book()
    deliveries.deliveries_send_due()
    [mail] = smtp.messages()
    assert mail["Subject"] == "Your booking with Alpha Logistics is confirmed"
    text, html, _ = parts(mail)
    assert "Thank you, Ana. Alpha Logistics has your booking from Invalidenstraße 1, Berlin" in text
    assert 'lang="en"' in html and "Follow your booking" in html and "Unsubscribe from these emails" in html


def test_an_event_delivered_twice_sends_one_mail(booked, smtp):
    book, *_ = booked
    book()
    row = OutboxMessage.objects.using(contexts.alias("trips")).get(event_type=TripRequestedV2.TYPE)
    from logitrack.events import from_envelope

    event = from_envelope(row.envelope)
    # the inbox already absorbed the relay's duplicate; this is the second line of defence: the delivery's key
    assert messages.booking_confirmed(event_id=event.event_id, event_type=event.TYPE, trip=TripView.of(event.trip)) == 0
    deliveries.deliveries_send_due()
    assert Delivery.objects.filter(kind="trip.confirmed", channel=Channel.EMAIL).count() == 1
    assert len(smtp.received) == 1


def test_driver_assigned_names_the_driver_and_vehicle(booked, smtp, relay_and_deliver):
    book, _customer, _fleet, shift = booked
    trip = book()
    trips_api.trip_assign(trip_id=trip.id, shift_id=shift.id, actor_id=None)
    relay_and_deliver()
    deliveries.deliveries_send_due()
    assigned = [m for m in smtp.messages() if "unterwegs" in m["Subject"]]
    assert len(assigned) == 1
    text, _, _ = parts(assigned[0])
    assert "driver, Ford Transit BTR1 übernimmt Ihre Buchung" in text  # first name, make, model, plate


def test_arriving_soon_is_told_once_per_stop(booked, smtp, relay_and_deliver, settings):
    settings.TRIPS_ARRIVING_SOON_MINUTES = 10
    book, *_ = booked
    trip = book()
    now = timezone.now()
    far = trips_api.tracking_update(trip_id=trip.id, at=now, eta=now + dt.timedelta(minutes=25), lat=52.5, lng=13.4)
    assert (
        far and not OutboxMessage.objects.using(contexts.alias("trips")).filter(event_type=TripArrivingV1.TYPE).exists()
    )
    for i in (1, 2, 3):  # the estimate moves three times under the threshold
        at = now + dt.timedelta(seconds=i)
        trips_api.tracking_update(trip_id=trip.id, at=at, eta=at + dt.timedelta(minutes=8 - i), lat=52.5, lng=13.4)
    assert OutboxMessage.objects.using(contexts.alias("trips")).filter(event_type=TripArrivingV1.TYPE).count() == 1
    relay_and_deliver()
    deliveries.deliveries_send_due()
    arriving = Delivery.objects.get(kind="trip.arriving", channel=Channel.EMAIL)
    assert arriving.urgent and arriving.status == DeliveryStatus.SENT
    [mail] = [m for m in smtp.messages() if "kommt gegen" in m["Subject"]]
    eta_local = (now + dt.timedelta(seconds=1, minutes=7)).astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert f"{eta_local:%H:%M}" in mail["Subject"]  # Berlin's clock (UTC+1 in winter)


def test_delivered_carries_the_receipt_pdf_and_its_total_in_the_fleets_currency(world, smtp, settings):
    two_fleets, fleet, *_ = world
    customer = two_fleets.customer
    trip_id = uuid.uuid4()
    trip = TripView(
        id=trip_id,
        fleet_id=fleet.id,
        customer_id=customer.id,
        driver_id=None,
        vehicle_id=None,
        requested_for=None,
        ended_at=timezone.now(),
        stops=(
            StopView(sequence=1, kind="pickup", status="done", address=PICKUP[0]),
            StopView(sequence=2, kind="dropoff", status="done", address=DROPOFF[0]),
        ),
    )
    messages.completed(event_id=uuid.uuid4(), event_type="logitrack.trips.trip.completed.v2", trip=trip)
    # billing has not issued the receipt yet: the mail waits for it
    assert deliveries.deliveries_send_due() == 1
    waiting = Delivery.objects.get(kind="trip.completed")
    assert waiting.status == DeliveryStatus.PENDING and smtp.received == []
    settlement.trip_complete_settle(
        trip_id=trip_id,
        fleet_id=fleet.id,
        customer_id=customer.id,
        driver_id=uuid.uuid4(),
        vehicle_type="van",
        service="delivery",
        quote_id=None,
        facts=TripFacts(distance_m=10_000, duration_s=1200, stops=2, at=timezone.now()),
    )
    receipt = invoices.receipt_issue(trip_id=trip_id)
    Delivery.objects.filter(id=waiting.id).update(next_attempt_at=timezone.now())
    assert deliveries.deliveries_send_due() == 1

    [mail] = smtp.messages()
    assert mail["Subject"] == "Zugestellt: Ihre Buchung bei Alpha Logistics"
    assert mail.get_content_type() == "multipart/mixed"
    text, _html, attachments = parts(mail)
    [(name, content_type, pdf)] = attachments
    assert (name, content_type) == (f"{receipt.number}.pdf", "application/pdf")
    assert pdf.startswith(b"%PDF")
    total = f"{receipt.total_minor // 100},{receipt.total_minor % 100:02d}\xa0€"
    assert f"Ihre Quittung {receipt.number} über {total}" in text
    assert "Erledigte Stopps: 2/2" in text


def test_delivered_goes_without_a_receipt_when_none_comes(world, smtp, settings):
    settings.NOTIFICATIONS_RECEIPT_WAIT_SECONDS = 0
    two_fleets, fleet, *_ = world
    trip = TripView(
        id=uuid.uuid4(),
        fleet_id=fleet.id,
        customer_id=two_fleets.customer.id,
        driver_id=None,
        vehicle_id=None,
        requested_for=None,
        ended_at=timezone.now(),
        stops=(),
    )
    messages.completed(event_id=uuid.uuid4(), event_type="logitrack.trips.trip.completed.v2", trip=trip)
    assert deliveries.deliveries_send_due() == 1
    [mail] = smtp.messages()
    assert list(mail.iter_attachments()) == [] and "Quittung" not in parts(mail)[0]


def test_a_cancellation_by_the_customer_tells_them_who_and_why(booked, smtp, relay_and_deliver):
    from apps.trips.services import lifecycle

    book, customer, *_ = booked
    Preference.objects.create(user_id=customer.id, language="en")
    trip = book()
    lifecycle.trip_transition(
        trip_id=trip.id, action="cancel", actor_id=customer.id, role="customer", reason="plans changed"
    )
    relay_and_deliver()
    deliveries.deliveries_send_due()
    [mail] = [m for m in smtp.messages() if "cancelled" in m["Subject"]]
    assert mail["Subject"] == "Your booking with Alpha Logistics was cancelled"
    text, _, _ = parts(mail)
    assert "was cancelled. Cancelled by you." in text and "Reason: plans changed" in text


def test_a_failed_attempt_is_urgent_and_gives_the_reason(world, smtp):
    two_fleets, fleet, *_ = world
    trip = TripView(
        id=uuid.uuid4(),
        fleet_id=fleet.id,
        customer_id=two_fleets.customer.id,
        driver_id=None,
        vehicle_id=None,
        requested_for=None,
        ended_at=timezone.now(),
        stops=(StopView(sequence=1, kind="pickup", status="failed", address=PICKUP[0]),),
    )
    messages.failed(event_id=uuid.uuid4(), event_type="t", trip=trip, reason="nobody at the address")
    delivery = Delivery.objects.get(kind="trip.failed", channel=Channel.EMAIL)
    assert delivery.urgent
    deliveries.deliveries_send_due()
    [mail] = smtp.messages()
    assert mail["Subject"].strip() == "Ihre Buchung bei Alpha Logistics konnte nicht ausgeführt werden"
    assert "Grund: nobody at the address" in parts(mail)[0]


def test_an_erased_customer_leaves_no_address_or_text_in_the_delivery_log(booked, smtp, relay_and_deliver):
    from apps.identity.services import erasure

    book, customer, *_ = booked
    book()
    deliveries.deliveries_send_due()
    assert Delivery.objects.filter(recipient_id=customer.id, address=customer.email).exists()
    erasure.user_erase(user_id=customer.id)
    relay_and_deliver()  # identity's UserErasedV1 reaches notifications.erase_recipient
    rows = list(Delivery.objects.filter(recipient_id=customer.id))
    assert rows and all((r.address, r.text, r.html, r.subject) == ("[erased]", "", "", "") for r in rows)
    assert not Delivery.objects.filter(text__contains="Invalidenstraße").exists()


def test_text_people_typed_is_shown_as_given_even_when_it_looks_like_a_phrase_of_the_copy(world, smtp):
    """A reason or an address starting with "@" is someone's text, not a key into the copy (it raised KeyError
    and the customer was told nothing, or "@footer" showed the footer)."""
    two_fleets, fleet, *_ = world
    trip = TripView(
        id=uuid.uuid4(),
        fleet_id=fleet.id,
        customer_id=two_fleets.customer.id,
        driver_id=None,
        vehicle_id=None,
        requested_for=None,
        ended_at=timezone.now(),
        stops=(StopView(sequence=1, kind="pickup", status="failed", address="@Home, Invalidenstraße 1"),),
    )
    messages.failed(event_id=uuid.uuid4(), event_type="t", trip=trip, reason="@nope")
    assert deliveries.deliveries_send_due() >= 1
    [mail] = smtp.messages()
    assert "Grund: @nope" in parts(mail)[0]
