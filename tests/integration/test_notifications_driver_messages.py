"""What a driver is told, on the wire: a trip offer reaches a driver whose app socket is closed as an urgent Web
Push on a local push service (decrypted with the device's key, as the phone would), one per device; a connected
driver gets none; a payout paid or rejected arrives as a mail on a real SMTP server and as a push, in the fleet's
German or the driver's English; KYC and vehicle documents are announced 30, 7 and 1 days ahead, once each; a trip a
dispatcher assigns is pushed to a driver whose socket is closed, a trip the driver took is not."""

import datetime as dt
import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from apps.billing.services import payouts
from apps.billing.tests.test_ledger import wallet_with
from apps.fleet.contracts import VehicleDocumentKind
from apps.fleet.services import vehicle_documents
from apps.identity import api as identity_api
from apps.identity.contracts import FleetRole
from apps.identity.models import User
from apps.notifications.channels.push import generate_vapid_keys
from apps.notifications.contracts import Channel, DeliveryStatus
from apps.notifications.models import Delivery, Preference, PushSubscription
from apps.notifications.services import deliveries
from apps.notifications.tests.channel_fakes import FakeHttpServer
from apps.notifications.tests.test_push import Browser
from apps.partner.contracts import KycDocumentType
from apps.partner.models import KycDocument
from apps.partner.services import expiry
from apps.trips.models import Offer
from apps.trips.services import assignment, offers
from config.asgi import application
from logitrack.formatting import local_date
from logitrack.types import Money
from tests.support import smtp as smtp_server
from tests.support import trip_world
from tests.support.dispatch_world import live_store  # noqa: F401  (fixture)

smtp, world = smtp_server.smtp, trip_world.world  # fixtures: a real SMTP server, a fleet with a van on a shift

PICKUP = ("Invalidenstraße 1, Berlin", 52.5310, 13.3847)
DROPOFF = ("Oranienstraße 25, Berlin", 52.5016, 13.4190)


@pytest.fixture
def push_service(settings):
    private, public = generate_vapid_keys()
    settings.NOTIFICATIONS_VAPID_PRIVATE_KEY, settings.NOTIFICATIONS_VAPID_PUBLIC_KEY = private, public
    settings.NOTIFICATIONS_PUSH_HOSTS = ["127.0.0.1"]  # the local fake, listed explicitly
    settings.NOTIFICATIONS_PUSH_ALLOW_HTTP = True
    settings.NOTIFICATIONS_PUSH_TIMEOUT_SECONDS = 2
    settings.NOTIFICATIONS_ADAPTERS = {
        **settings.NOTIFICATIONS_ADAPTERS,
        "push": "apps.notifications.channels.push.WebPush",
    }
    fake = FakeHttpServer()
    fake.answer(201)
    yield fake
    fake.stop()


@pytest.fixture
def devices(world, push_service):
    """The world's driver with two phones subscribed to pushes."""
    driver = world[3]
    phones = []
    for label in ("Pixel 8", "Van tablet"):
        browser = Browser()
        PushSubscription.objects.create(
            user_id=driver.user_id,
            endpoint=f"{push_service.url}/wpush/{label.replace(' ', '-')}",
            p256dh=browser.p256dh,
            auth=browser.auth,
            label=label,
        )
        phones.append(browser)
    return driver, phones


def book_and_offer(world, relay_and_deliver):
    """A customer books; the dispatcher offers the trip to the driver on shift; the events reach notifications."""
    two_fleets, fleet, _van, _driver, shift = world
    trip = trip_world.book_as_customer(fleet.id, two_fleets.customer.id, PICKUP, DROPOFF)
    relay_and_deliver()
    offers.offer_make(trip_id=trip.id, shift_id=shift.id, actor_id=two_fleets.a.users["fleet_manager"].id)
    relay_and_deliver()
    return trip


def test_an_offer_to_a_driver_whose_socket_is_closed_is_an_urgent_push_on_each_device(
    world,
    devices,
    push_service,
    relay_and_deliver,
    live_store,  # noqa: F811
):
    _driver, phones = devices
    book_and_offer(world, relay_and_deliver)

    pushes = Delivery.objects.filter(kind="driver.offer", channel=Channel.PUSH)
    assert pushes.count() == 2  # one per device
    assert not Delivery.objects.filter(kind="driver.offer").exclude(channel=Channel.PUSH).exists()
    deliveries.deliveries_send_due()  # (and the customer's booking confirmation)
    assert set(pushes.values_list("status", flat=True)) == {DeliveryStatus.SENT}

    by_path = {r.path: r for r in push_service.requests}
    assert set(by_path) == {"/wpush/Pixel-8", "/wpush/Van-tablet"}
    for path, phone in zip(("/wpush/Pixel-8", "/wpush/Van-tablet"), phones, strict=True):
        request = by_path[path]
        assert request.headers["urgency"] == "high"
        assert int(request.headers["ttl"]) < 24 * 3600  # capped by the offer's expiry
        payload = phone.decrypt(request.body)
        assert payload["title"] == "Neues Fahrtangebot von Alpha Logistics"  # the fleet speaks German
        assert payload["body"].startswith("Invalidenstraße 1, Berlin → Oranienstraße 25, Berlin. Antworten bis ")
        assert payload["urgent"] is True and payload["sender"] == "Alpha Logistics"
        data = payload["data"]
        assert data["kind"] == "driver.offer" and uuid.UUID(data["offer_id"]) and uuid.UUID(data["trip_id"])
        assert dt.datetime.fromisoformat(data["expires_at"]) > timezone.now()

    # the same event delivered again makes nothing new
    assert Delivery.objects.filter(kind="driver.offer").count() == 2


def test_a_driver_whose_socket_is_open_gets_no_push_for_an_offer(
    world,
    devices,
    push_service,
    relay_and_deliver,
    live_store,  # noqa: F811
):
    driver, _ = devices
    # what the /ws/driver/ consumer records while a socket is open (dispatch's Redis presence)
    live_store.presence_mark(driver.id, "test-process!socket", seconds=60)
    book_and_offer(world, relay_and_deliver)

    assert not Delivery.objects.filter(kind="driver.offer").exists()
    deliveries.deliveries_send_due()
    assert push_service.requests == []


@pytest.mark.django_db(transaction=True)
def test_a_driver_with_the_app_socket_open_gets_the_offer_there_and_no_push(
    world,
    devices,
    push_service,
    relay_and_deliver,
    live_store,  # noqa: F811
):
    """Over the real ASGI application: the driver's /ws/driver/ socket is open while the trip is offered."""
    driver, _ = devices
    user = User.objects.get(id=driver.user_id)

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/driver/?token={AccessToken.for_user(user)}")
        connected, _ = await socket.connect()
        assert connected
        assert (await socket.receive_json_from(timeout=3))["type"] == "hello"
        await sync_to_async(book_and_offer, thread_sensitive=True)(world, relay_and_deliver)
        await socket.disconnect()

    async_to_sync(scenario)()
    assert not Delivery.objects.filter(kind="driver.offer").exists()
    deliveries.deliveries_send_due()
    assert push_service.requests == []


def test_a_trip_a_dispatcher_assigns_is_pushed_to_a_driver_whose_socket_is_closed_but_a_taken_offer_is_not(
    world,
    devices,
    push_service,
    relay_and_deliver,
    live_store,  # noqa: F811
):
    two_fleets, fleet, _van, _driver, shift = world
    _, phones = devices
    dispatcher = two_fleets.a.users["fleet_manager"].id
    # the driver accepts an offer: they took the trip themselves, nothing to push about the assignment
    offered = book_and_offer(world, relay_and_deliver)
    offer = Offer.objects.get(trip_id=offered.id)
    offers.offer_answer(offer_id=offer.id, driver_ids={world[3].id}, accept=True, actor_id=world[3].user_id)
    relay_and_deliver()
    assert not Delivery.objects.filter(kind="driver.trip_assigned").exists()

    # a dispatcher puts another trip on the shift while the app is closed: an urgent push per device
    trip = trip_world.book_as_customer(fleet.id, two_fleets.customer.id, PICKUP, DROPOFF)
    assignment.trip_assign(trip_id=trip.id, shift_id=shift.id, actor_id=dispatcher)
    relay_and_deliver()
    pushes = Delivery.objects.filter(kind="driver.trip_assigned", channel=Channel.PUSH)
    assert pushes.count() == 2
    deliveries.deliveries_send_due()
    to_phone = [(r, phones[0].decrypt(r.body)) for r in push_service.requests if r.path == "/wpush/Pixel-8"]
    [(request, payload)] = [(r, p) for r, p in to_phone if p["data"]["kind"] == "driver.trip_assigned"]
    assert request.headers["urgency"] == "high"
    assert payload["title"] == "Alpha Logistics hat Ihnen eine Fahrt zugeteilt"
    assert payload["body"] == "Invalidenstraße 1, Berlin → Oranienstraße 25, Berlin, so bald wie möglich."
    assert payload["data"]["trip_id"] == str(trip.id)


def test_a_paid_payout_is_mailed_and_pushed_and_a_rejected_one_says_why_in_the_drivers_language(
    world,
    devices,
    push_service,
    smtp,
    relay_and_deliver,
    live_store,  # noqa: F811
):
    driver, phones = devices
    wallet_with(50_000, driver_id=driver.id, fleet_id=driver.fleet_id)
    paid = payouts.payout_request(
        driver_id=driver.id, fleet_id=driver.fleet_id, amount=Money(12_345, "EUR"), idempotency_key="a"
    )
    payouts.payout_decide(payout_id=paid.id, approve=True, actor_id=None)
    payouts.payout_mark_paid(payout_id=paid.id, bank_reference="SEPA-1")
    relay_and_deliver()
    relay_and_deliver()  # a redelivered event makes nothing new
    assert Delivery.objects.filter(kind="driver.payout_paid").count() == 3  # a mail and two pushes
    assert deliveries.deliveries_send_due() == 3

    [mail] = smtp.messages()
    assert mail["To"] == driver_email(driver)
    assert mail["Subject"] == "Alpha Logistics hat 123,45\xa0€ ausgezahlt"
    assert mail["From"].addresses[0].display_name == "Alpha Logistics"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Ihre Auszahlung über 123,45\xa0€ ist auf dem Weg zu Ihrem Bankkonto." in text
    assert "weil Sie für Alpha Logistics mit LogiTrack fahren" in text  # a driver's footer, not a customer's
    [pixel] = [r for r in push_service.requests if r.path == "/wpush/Pixel-8"]
    payload = phones[0].decrypt(pixel.body)
    assert payload["title"] == mail["Subject"] and payload["urgent"] is False
    assert payload["data"]["payout_id"] == str(paid.id)

    # in English when the driver says so; a rejection says why
    Preference.objects.create(user_id=driver.user_id, language="en")
    rejected = payouts.payout_request(
        driver_id=driver.id, fleet_id=driver.fleet_id, amount=Money(500, "EUR"), idempotency_key="b"
    )
    payouts.payout_decide(payout_id=rejected.id, approve=False, actor_id=None, reason="IBAN missing")
    relay_and_deliver()
    deliveries.deliveries_send_due()
    last = smtp.messages()[-1]
    # English words, money as the fleet writes it
    assert last["Subject"].strip() == "Alpha Logistics did not approve your payout of 5,00\xa0€"
    text = last.get_body(preferencelist=("plain",)).get_content()
    assert "The amount is back in your wallet." in text and "IBAN missing" in text


def driver_email(driver):
    from apps.identity.models import User

    return User.objects.get(id=driver.user_id).email


def test_a_drivers_kyc_document_is_announced_30_7_and_1_days_ahead_once_each_in_german(
    world,
    smtp,
    relay_and_deliver,
    live_store,  # noqa: F811
):
    driver = world[3]
    today = timezone.localdate()
    [licence] = [d for d in KycDocument.objects.filter(driver=driver) if d.kyc_type == KycDocumentType.DRIVING_LICENCE]
    KycDocument.objects.filter(id=licence.id).update(expires_on=today + dt.timedelta(days=30))

    published = []
    for day in range(31):  # the daily job, run twice a day for a month
        for _ in range(2):
            published.append(expiry.documents_expire(today=today + dt.timedelta(days=day))[1])
        relay_and_deliver()
    assert sum(published) == 3  # at 30, 7 and 1 days left, nothing else
    assert Delivery.objects.filter(kind="driver.kyc_expiring", channel=Channel.EMAIL).count() == 3
    deliveries.deliveries_send_due()

    mails = smtp.messages()
    assert len(mails) == 3
    expires = local_date(today + dt.timedelta(days=30), "de_DE")
    assert {m["Subject"].strip() for m in mails} == {f"Ihr Dokument „Führerschein“ läuft am {expires} ab"}
    text = mails[0].get_body(preferencelist=("plain",)).get_content()
    assert "Laden Sie das erneuerte Dokument vorher in der Fahrer-App hoch" in text
    assert [m["To"] for m in mails] == [driver_email(driver)] * 3


def test_a_vehicles_document_is_announced_to_the_fleets_managers_and_its_driver_30_7_and_1_days_ahead(
    world,
    smtp,
    relay_and_deliver,
    live_store,  # noqa: F811
):
    _, fleet, van, driver, _shift = world
    today = timezone.localdate()
    vehicle_documents.vehicle_document_add(
        vehicle_id=van.id, kind=VehicleDocumentKind.INSURANCE, expires_on=today + dt.timedelta(days=30)
    )
    managers = [m.user_id for m in identity_api.fleet_members(fleet_id=fleet.id, role=FleetRole.FLEET_MANAGER)]
    assert managers

    for day in range(31):
        for _ in range(2):
            vehicle_documents.vehicle_documents_check(today=today + dt.timedelta(days=day))
        relay_and_deliver()
    deliveries.deliveries_send_due()

    expires = local_date(today + dt.timedelta(days=30), "de_DE")
    mails = [m for m in smtp.messages() if "Versicherung" in m["Subject"]]
    assert {m["Subject"].strip() for m in mails} == {
        f"Ford Transit {van.registration}: Versicherung läuft am {expires} ab"
    }
    to_driver = [m for m in mails if m["To"] == driver_email(driver)]
    to_managers = [m for m in mails if m["To"] != driver_email(driver)]
    assert len(to_managers) == 3 * len(managers)  # at 30, 7 and 1 days left, to each manager
    text = to_managers[0].get_body(preferencelist=("plain",)).get_content()
    assert "weil Sie Alpha Logistics auf LogiTrack verwalten" in text
    assert sorted(m["To"] for m in to_managers) == sorted(driver_email_of(u) for u in managers for _ in range(3))
    # the driver whose shift is on the van hears it too, as a driver
    assert len(to_driver) == 3
    text = to_driver[0].get_body(preferencelist=("plain",)).get_content()
    assert "auf dem Sie eine Schicht bei Alpha Logistics haben" in text and "weil Sie für Alpha Logistics" in text


def driver_email_of(user_id):
    from apps.identity.models import User

    return User.objects.get(id=user_id).email
