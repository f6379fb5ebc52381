"""Identity's account mails through the notifications context, on the wire of a real SMTP server: the password
reset, the invitation (in the fleet's language and name), the welcome of an imported driver. The delivery log keeps
the body with a slot where the link goes; the live link is made by identity when the mail is sent, and a replay
after the link was used sends nothing."""

import datetime as dt
import re

from django.utils import timezone
from rest_framework.test import APIClient

from apps.identity.models import PasswordReset
from apps.identity.tests.factories import UserFactory
from apps.notifications.contracts import DeliveryStatus
from apps.notifications.domain import ACCOUNT_LINK_SLOT
from apps.notifications.models import Delivery, Preference
from apps.notifications.services import deliveries
from apps.partner.services import imports
from tests.support import smtp as smtp_server
from tests.support import webhook_world
from tests.support.isolation import client_for

smtp, fleets = smtp_server.smtp, webhook_world.fleets  # fixtures: a real SMTP server, two active fleets


def parts(message):
    return message.get_body(preferencelist=("plain",)).get_content(), message.get_body(("html",)).get_content()


def sent(relay_and_deliver, smtp, count=1):
    relay_and_deliver()
    assert deliveries.deliveries_send_due() == count
    return smtp.messages()[-count:]


def test_a_password_reset_is_mailed_with_a_live_link_the_log_never_holds(smtp, relay_and_deliver, db):
    user = UserFactory(email="sam@example.test", display_name="Sam Rivers")
    # turned email off and asked for quiet at every hour: an account mail is sent all the same
    Preference.objects.create(
        user_id=user.id, opted_out=["email"], quiet_start=dt.time(0, 0), quiet_end=dt.time(23, 59), time_zone="UTC"
    )
    answer = APIClient().post("/api/v1/identity/password-reset/", {"email": "sam@example.test"}, format="json")
    assert answer.status_code == 202
    assert smtp.received == []  # nothing before the event is relayed

    [mail] = sent(relay_and_deliver, smtp)
    assert mail["To"] == "sam@example.test" and mail["Subject"] == "Reset your LogiTrack password"
    text, html = parts(mail)
    assert "Hello Sam," in text and "expires in 60 minutes" in text
    token = re.search(r"/reset-password\?token=([\w-]+)", text).group(1)
    assert f"/reset-password?token={token}" in html and "List-Unsubscribe" not in mail
    delivery = Delivery.objects.get(kind="account.password_reset")
    assert (delivery.essential, delivery.urgent, delivery.recipient_id) == (True, True, user.id)
    assert ACCOUNT_LINK_SLOT in delivery.text and ACCOUNT_LINK_SLOT in delivery.html
    assert token not in delivery.text + delivery.html + str(delivery.data)

    confirm = {"token": token, "new_password": "a brand new passphrase"}
    assert APIClient().post("/api/v1/identity/password-reset/confirm/", confirm, format="json").status_code == 204
    # replayed after the link was used: nothing goes out, and the log says why
    deliveries.deliveries_replay(ids=[delivery.id], statuses=[DeliveryStatus.SENT])
    assert deliveries.deliveries_send_due() == 1 and len(smtp.received) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUPPRESSED and "used, revoked or has expired" in delivery.last_error


def test_a_replayed_reset_mail_carries_the_same_working_link_while_it_is_unused(smtp, relay_and_deliver, db):
    UserFactory(email="kim@example.test")
    APIClient().post("/api/v1/identity/password-reset/", {"email": "kim@example.test"}, format="json")
    smtp.data_replies.extend(["554 5.7.1 rejected"])  # the provider refuses it for good: dead-lettered
    relay_and_deliver()
    deliveries.deliveries_send_due()
    delivery = Delivery.objects.get(kind="account.password_reset")
    assert delivery.status == DeliveryStatus.DEAD and smtp.received == []

    deliveries.deliveries_replay(ids=[delivery.id])
    assert deliveries.deliveries_send_due() == 1
    token = re.search(r"token=([\w-]+)", parts(smtp.messages()[-1])[0]).group(1)
    confirm = {"token": token, "new_password": "a brand new passphrase"}
    assert APIClient().post("/api/v1/identity/password-reset/confirm/", confirm, format="json").status_code == 204


def test_an_invitation_is_mailed_in_the_fleets_language_and_name_and_its_link_accepts(fleets, smtp, relay_and_deliver):
    two_fleets, alpha, _ = fleets  # Alpha Logistics, in Berlin: German
    manager = two_fleets.a.users["fleet_manager"]
    manager.display_name = "Mia Manager"
    manager.save()
    made = client_for(manager).post(
        "/api/v1/identity/invitations/",
        {"email": "new.driver@example.test", "fleet_id": str(alpha.id), "role": "driver"},
        format="json",
    )
    assert made.status_code == 201, made.json()

    [mail] = sent(relay_and_deliver, smtp)
    assert mail["Subject"] == "Einladung zu Alpha Logistics auf LogiTrack"
    assert "Alpha Logistics" in mail["From"]
    text, html = parts(mail)
    assert "Mia Manager lädt Sie ein, Alpha Logistics auf LogiTrack als Fahrer/in beizutreten" in text
    assert "Einladung annehmen" in html
    token = re.search(r"/invitation\?token=([\w-]+)", text).group(1)
    accepted = APIClient().post(
        "/api/v1/identity/invitations/accept/",
        {"token": token, "password": "a long new passphrase", "display_name": "Nia"},
        format="json",
    )
    assert accepted.status_code == 201, accepted.json()


def test_a_revoked_invitation_is_not_mailed(fleets, smtp, relay_and_deliver):
    two_fleets, alpha, _ = fleets
    manager = client_for(two_fleets.a.users["fleet_manager"])
    made = manager.post(
        "/api/v1/identity/invitations/",
        {"email": "gone@example.test", "fleet_id": str(alpha.id), "role": "dispatcher"},
        format="json",
    ).json()
    assert manager.delete(f"/api/v1/identity/invitations/{made['id']}/").status_code in (200, 204)
    relay_and_deliver()
    assert deliveries.deliveries_send_due() == 0 and smtp.received == []
    assert not Delivery.objects.filter(kind="account.invitation").exists()


def test_an_imported_driver_is_welcomed_in_the_fleets_name(fleets, smtp, relay_and_deliver):
    _, alpha, _ = fleets
    imports.driver_import(fleet_id=alpha.id, email="noa@example.test", display_name="Noa Driver")
    [mail] = sent(relay_and_deliver, smtp)
    assert mail["To"] == "noa@example.test"
    assert mail["Subject"] == "Alpha Logistics hat Ihnen ein LogiTrack-Konto angelegt"
    text, _ = parts(mail)
    assert "Hallo Noa," in text and re.search(r"/reset-password\?token=[\w-]+", text)
    assert Delivery.objects.get(kind="account.welcome").fleet_id == alpha.id


def test_a_reset_link_expired_before_the_mail_went_out_is_not_sent(smtp, relay_and_deliver, db):
    UserFactory(email="late@example.test")
    APIClient().post("/api/v1/identity/password-reset/", {"email": "late@example.test"}, format="json")
    relay_and_deliver()
    PasswordReset.objects.update(expires_at=timezone.now() - dt.timedelta(hours=2))  # the worker was down for two hours
    assert deliveries.deliveries_send_due() == 1 and smtp.received == []
    assert Delivery.objects.get().status == DeliveryStatus.SUPPRESSED
