"""What a fleet's managers receive, on the wire of a real SMTP server: a webhook endpoint switched off (each manager
of that fleet, nobody else), and the daily digest (opted-in managers only, once per local day, German for a German
fleet, with the fleet's figures from the contexts' api); the digest preference over REST."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import pytest

from apps.billing.services import payouts
from apps.billing.tests.factories import tariff
from apps.fleet.models import Fleet
from apps.fleet.tests.factories import active_fleet
from apps.identity.contracts import FleetRole
from apps.identity.services import memberships as identity_memberships
from apps.notifications.events import WebhookEndpointDisabledV1
from apps.notifications.models import Delivery, Preference, WebhookEndpoint
from apps.notifications.services import deliveries, managers
from apps.partner.contracts import KycDocumentType
from apps.partner.tests.factories import DriverProfileFactory, KycDocumentFactory, make_compliant
from apps.trips.contracts import ActorRole
from apps.trips.services import lifecycle
from logitrack.db import contexts
from logitrack.outbox.api import publish
from logitrack.types import Money
from tests.integration import test_overview_billing
from tests.integration.test_overview_billing import completed
from tests.support import smtp as smtp_server
from tests.support import trip_world

smtp, world = smtp_server.smtp, trip_world.world  # fixtures: a real SMTP server, a fleet with a van on a shift
pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
PICKUP = ("Invalidenstraße 1, Berlin", 52.5310, 13.3847)
DROPOFF = ("Oranienstraße 25, Berlin", 52.5016, 13.4190)


@pytest.fixture
def fleets(two_fleets):
    a = active_fleet(fleet_id=two_fleets.a.fleet_id, name="Alpha Logistics")  # Berlin, German
    b = active_fleet(
        fleet_id=two_fleets.b.fleet_id, name="Bravo Freight", country="GB", currency="GBP", time_zone="Europe/London"
    )
    return two_fleets, a, b


def manager_of(two_fleets, tenant):
    return tenant.users[FleetRole.FLEET_MANAGER]


def recipients(smtp) -> list[str]:
    return sorted(rcpt for _, rcpts, _ in smtp.received for rcpt in rcpts)


def body(mail) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content()


def test_a_switched_off_endpoint_is_mailed_to_each_manager_of_its_fleet_only(fleets, smtp, relay_and_deliver):
    two_fleets, a, _b = fleets
    second = two_fleets.b.users[FleetRole.FLEET_MANAGER]  # a manager of B who also manages A
    identity_memberships.membership_grant(
        user_id=second.id, fleet_id=a.id, role=FleetRole.FLEET_MANAGER, granted_by_id=None
    )
    endpoint = WebhookEndpoint.objects.create(
        fleet_id=a.id, url="https://erp.example.test/hooks", description="ERP orders", secret_encrypted="x"
    )
    since = dt.datetime(2026, 12, 3, 8, 15, tzinfo=dt.UTC)
    with contexts.atomic("notifications"):
        publish(
            WebhookEndpointDisabledV1(
                endpoint_id=endpoint.id,
                fleet_id=a.id,
                url=endpoint.url,
                failing_since=since,
                last_error="HTTP 503",
            )
        )
    relay_and_deliver()
    assert deliveries.deliveries_send_due() == 2

    first = two_fleets.a.users[FleetRole.FLEET_MANAGER]
    assert recipients(smtp) == sorted([first.email, second.email])  # not A's dispatcher or driver, not B's others
    mail = smtp.messages()[0]
    assert mail["Subject"] == "Alpha Logistics: Webhook-Endpunkt abgeschaltet (erp.example.test)"
    text = body(mail)
    assert "https://erp.example.test/hooks" in text and "ERP orders" in text
    assert "Fehlerhaft seit: 03.12.2026, 09:15" in text  # the fleet's clock
    assert "Letzter Fehler: HTTP 503" in text
    assert f"https://track.example.test/admin/notifications/webhookendpoint/{endpoint.id}/change/" in text
    assert '"Aktiv" ankreuzen' in text

    # the event again (redelivered): nothing more
    from apps.notifications.handlers.managers import tell_managers_endpoint_disabled
    from logitrack.events import from_envelope
    from logitrack.outbox.models import OutboxMessage

    row = OutboxMessage.objects.using(contexts.alias("notifications")).get(event_type=WebhookEndpointDisabledV1.TYPE)
    tell_managers_endpoint_disabled(from_envelope(row.envelope))
    assert deliveries.deliveries_send_due() == 0 and len(smtp.received) == 2


@pytest.fixture
def yesterday_noon(clock):
    clock.set(dt.datetime(2026, 12, 5, 12, 0, tzinfo=BERLIN))
    return clock


@pytest.fixture
def busy_alpha(yesterday_noon, world, clock, relay_and_deliver, monkeypatch):
    """Yesterday (5 December, Berlin) Alpha (trip_world: a service area, a tariff, a van, a driver) had a booking
    cancelled by its customer, a driver's identity document submitted for review (10:00), another driver whose
    papers run out within 30 days, a trip whose fare was settled (20.50 € charged), and its driver asked for a
    payout of 10 €. Bravo is a London fleet with nothing going on."""
    noon = dt.datetime(2026, 12, 5, 12, 0, tzinfo=BERLIN)
    two_fleets, a, _van, driver_profile, _shift = world
    # a second driver whose papers run out within 30 days; a new identity document waiting for review
    make_compliant(DriverProfileFactory(fleet_id=a.id), expires_in_days=20)
    clock.set(noon - dt.timedelta(hours=2))
    KycDocumentFactory(driver=driver_profile, doc_type=KycDocumentType.IDENTITY_DOCUMENT)
    clock.set(noon)
    Fleet.objects.filter(id=two_fleets.b.fleet_id).update(
        name="Bravo Freight", country="GB", currency="GBP", time_zone="Europe/London"
    )
    b = Fleet.objects.get(id=two_fleets.b.fleet_id)
    tariff(fleet_id=a.id, currency="EUR", valid_from=noon - dt.timedelta(days=30))
    customer = two_fleets.customer
    cancelled = trip_world.book_as_customer(a.id, customer.id, PICKUP, DROPOFF)
    lifecycle.trip_transition(
        trip_id=cancelled.id, action="cancel", actor_id=customer.id, role=ActorRole.CUSTOMER, reason="changed plans"
    )
    driver = uuid.uuid4()
    monkeypatch.setattr(test_overview_billing, "NOON", noon)  # the helper quotes and runs the trip at its NOON
    completed(a, customer_id=customer.id, driver_id=driver, relay=relay_and_deliver)
    clock.set(noon + dt.timedelta(hours=1))
    payouts.payout_request(driver_id=driver, fleet_id=a.id, amount=Money(1000, "EUR"), idempotency_key="digest")
    relay_and_deliver()
    smtp_reset = Delivery.objects.all().delete  # the booking's customer mails are not what these tests read
    smtp_reset()
    return two_fleets, a, b


def test_the_digest_goes_once_a_local_day_to_opted_in_managers_in_the_fleets_language(
    busy_alpha, smtp, clock, django_assert_max_num_queries
):
    two_fleets, a, _b = busy_alpha
    manager_a, manager_b = manager_of(two_fleets, two_fleets.a), manager_of(two_fleets, two_fleets.b)
    Preference.objects.create(user_id=manager_a.id, digest=True)
    # B's manager also manages A but never asked: they get nothing of A (nor of B)
    identity_memberships.membership_grant(
        user_id=manager_b.id, fleet_id=a.id, role=FleetRole.FLEET_MANAGER, granted_by_id=None
    )

    assert managers.digests_send(now=dt.datetime(2026, 12, 6, 6, 30, tzinfo=BERLIN)) == 0  # before 07:00 local
    assert managers.digests_send(now=dt.datetime(2026, 12, 6, 7, 5, tzinfo=BERLIN)) == 1
    assert deliveries.deliveries_send_due() == 1
    assert recipients(smtp) == [manager_a.email]
    [mail] = smtp.messages()
    assert mail["Subject"] == "Alpha Logistics: Ihr Tag, Sonntag, 6. Dezember 2026"
    assert mail["From"].addresses[0].display_name == "Alpha Logistics"
    text = body(mail)
    assert "Das wartet auf Sie." in text
    assert "Auszahlungen zur Freigabe: 1 (die älteste seit 05.12.2026, 13:00): 10,00\xa0€" in text
    assert "Dokumente zur Prüfung: 1 (die älteste seit 05.12.2026, 10:00)" in text
    assert f"Dokumente, die in 30 Tagen ablaufen: {len(KycDocumentType)} von Fahrern, 0 von Fahrzeugen" in text
    assert "Fahrten gestern fehlgeschlagen oder storniert: 0 fehlgeschlagen, 1 storniert" in text
    # completed trips are counted by trips (the fare above was settled from an event alone: no trip of trips')
    assert "Fahrten gestern abgeschlossen: 0" in text
    assert "Umsatz gestern: 20,50\xa0€" in text
    assert "https://track.example.test/admin/billing/payout/" in text
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert 'lang="de"' in html and 'href="https://track.example.test/admin/"' in html

    # later the same day: nothing more; the next day: the next digest
    # a run that finds everyone served reads no figures: 3 queries, then per fleet at most 2 and its transaction's
    # savepoint and release
    with django_assert_max_num_queries(3 + 2 * 4):
        assert managers.digests_send(now=dt.datetime(2026, 12, 6, 18, 0, tzinfo=BERLIN)) == 0
    assert deliveries.deliveries_send_due() == 0 and len(smtp.received) == 1
    assert managers.digests_send(now=dt.datetime(2026, 12, 7, 7, 0, tzinfo=BERLIN)) == 1


def test_a_manager_of_two_fleets_gets_one_digest_per_fleet_each_about_its_own(busy_alpha, smtp):
    two_fleets, a, _b = busy_alpha
    manager_b = manager_of(two_fleets, two_fleets.b)
    Preference.objects.create(user_id=manager_b.id, digest=True, language="en")
    identity_memberships.membership_grant(
        user_id=manager_b.id, fleet_id=a.id, role=FleetRole.FLEET_MANAGER, granted_by_id=None
    )
    # 07:00 in London is 08:00 in Berlin: both fleets' hour has come
    assert managers.digests_send(now=dt.datetime(2026, 12, 6, 7, 0, tzinfo=dt.UTC)) == 2
    deliveries.deliveries_send_due()
    mails = {m["Subject"].split(":")[0]: body(m) for m in smtp.messages()}
    assert set(mails) == {"Alpha Logistics", "Bravo Freight"}
    # English on the manager's choice; the fleet's regional ways (en_DE)
    assert "Revenue yesterday: 20,50\xa0€" in mails["Alpha Logistics"]
    assert "Good morning: Alpha Logistics on Sunday, 6 December 2026" in mails["Alpha Logistics"]
    assert "All clear" in mails["Bravo Freight"] and "Revenue yesterday: £0.00" in mails["Bravo Freight"]
    assert "20.50" not in mails["Bravo Freight"] and "Alpha" not in mails["Bravo Freight"]


def test_the_digest_preference_over_rest(fleets):
    two_fleets, _a, _b = fleets
    client = two_fleets.a.client(FleetRole.FLEET_MANAGER)
    url = "/api/v1/notifications/preferences/"
    assert client.get(url).json()["digest"] is False
    response = client.put(url, {"digest": True}, format="json")
    assert response.status_code == 200 and response.json()["digest"] is True
    assert Preference.objects.get(user_id=two_fleets.a.users[FleetRole.FLEET_MANAGER].id).digest is True
    bad = client.put(url, {"digest": "maybe"}, format="json")
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/problem+json")
    assert client.put(url, {"digest": None}, format="json").status_code == 400
    assert client.get(url).json()["digest"] is True


@pytest.mark.django_db(transaction=True)
def test_the_embedded_defaults_periodic_runner_sends_the_digest(busy_alpha, smtp, clock):
    """The production beat entry, run by the web process' in-process beat (no Celery beat, no worker)."""
    import time

    from config.celery import app
    from logitrack.periodic import InProcessBeat

    two_fleets, _a, _b = busy_alpha
    manager_a = manager_of(two_fleets, two_fleets.a)
    Preference.objects.create(user_id=manager_a.id, digest=True)
    clock.set(dt.datetime(2026, 12, 6, 7, 20, tzinfo=BERLIN))
    entry = app.conf.beat_schedule["notifications-manager-digests"]
    beat = InProcessBeat(app, {"digests": {**entry, "schedule": 0.1}}, tick=0.05)
    beat.start()
    try:
        deadline = time.monotonic() + 10
        while not Delivery.objects.filter(kind=managers.DIGEST).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # more runs of the same day
    finally:
        beat.stop()
        beat.join(5)
    assert beat.runs["digests"] >= 2
    assert Delivery.objects.filter(kind=managers.DIGEST).count() == 1  # once per local day, however many runs
    deliveries.deliveries_send_due()
    assert recipients(smtp) == [manager_a.email]


def test_platform_admins_order_a_managers_digest_in_the_admin_and_managers_cannot_open_it(fleets):
    from django.test import Client

    two_fleets, _a, _b = fleets
    manager = manager_of(two_fleets, two_fleets.a)
    pref = Preference.objects.create(user_id=manager.id)
    url = f"/admin/notifications/preference/{pref.id}/change/"
    admin_client = Client()
    admin_client.force_login(two_fleets.platform_admin)
    response = admin_client.post(url, {"digest": "on", "language": "de"})
    assert response.status_code == 302, response.content[:500]
    pref.refresh_from_db()
    assert (pref.digest, pref.language) == (True, "de")
    assert admin_client.post(url, {"language": "xx"}).status_code == 200  # the form says what is wrong
    pref.refresh_from_db()
    assert pref.language == "de"

    manager_client = Client()
    manager_client.force_login(manager)
    assert manager_client.get(url).status_code == 403
    assert manager_client.get("/admin/notifications/preference/").status_code == 403
