"""The pages emailed links open: accepting an invitation, setting a new password, asking for a reset link.
Each test follows the link as it arrives in the email (the locmem outbox), as the invitee's phone would."""

import datetime as dt
import logging
import re

import pytest
import structlog
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.identity.models import Invitation, Membership
from apps.identity.services import invitations, passwords
from apps.identity.tests.factories import UserFactory
from tests.support.account_links import last_link, published

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase 42"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_login_guard")]


def emailed_link(settings, kind: str) -> str:
    """The path and query of the last emailed link to `kind` ("invitation" or "reset-password")."""
    found = re.search(rf"{re.escape(settings.LOGITRACK_APP_URL)}(/{kind}\?token=\S+)", last_link(kind))
    assert found
    return found.group(1)


def token_login(email, password):
    return APIClient().post("/api/v1/auth/token/", {"email": email, "password": password}, format="json")


def assert_page(response, status: int, *texts: str) -> str:
    html = response.content.decode()
    assert response.status_code == status, html[:500]
    assert response["Content-Type"].startswith("text/html")
    for text in texts:
        assert text in html, f"{text!r} not in the page"
    assert "<script" not in html and "<style" not in html and " style=" not in html  # CSP: static files only
    return html


@pytest.fixture
def mailed(django_capture_on_commit_callbacks):
    """`with mailed(): ...`: what the block queued after commit runs when it ends (tests roll back)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def invite(two_fleets, mailed):
    def send(email="new.driver@example.test", role="driver"):
        with mailed():
            return invitations.invitation_create(
                principal=two_fleets.a.principal("fleet_manager"),
                email=email,
                fleet_id=two_fleets.a.fleet_id,
                role=role,
            )

    return send


def test_an_invited_driver_follows_the_link_sets_a_password_and_can_log_in(two_fleets, invite, settings, caplog):
    invitation, token = invite()
    link = emailed_link(settings, "invitation")
    phone = Client(enforce_csrf_checks=True)
    caplog.set_level(logging.DEBUG)

    with structlog.testing.capture_logs() as logs:
        opened = phone.get(link)
        assert opened.status_code == 302 and opened["Location"] == "/invitation"  # the token leaves the address bar
        page = phone.get("/invitation")
        html = assert_page(page, 200, "Join your fleet as a driver", "new.driver@example.test", 'name="password"')
        assert token not in html
        done = phone.post(
            "/invitation",
            {
                "csrfmiddlewaretoken": phone.cookies["csrftoken"].value,
                "display_name": "Nia Driver",
                "password": PASSWORD,
                "password_again": PASSWORD,
            },
        )

    assert_page(done, 200, "You're in", "LogiTrack driver app", "new.driver@example.test")
    assert token not in caplog.text and token not in repr(logs)
    membership = Membership.objects.get(fleet_id=two_fleets.a.fleet_id, user__email="new.driver@example.test")
    assert (membership.role, membership.user.display_name) == ("driver", "Nia Driver")
    assert token_login("new.driver@example.test", PASSWORD).status_code == 200
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    again = phone.get(link, follow=True)  # the link is spent: a clear page, and a way in
    assert_page(again, 410, "Invitation already accepted", 'href="/login/"')


def test_an_invitee_with_an_account_accepts_with_its_password(two_fleets, invite, settings):
    existing = two_fleets.b.users["driver"]
    invite(email=existing.email, role="dispatcher")
    phone = Client()
    page = phone.get(emailed_link(settings, "invitation"), follow=True)
    html = assert_page(page, 200, "already has a LogiTrack account", "Accept invitation")
    assert 'name="password_again"' not in html

    wrong = phone.post("/invitation", {"password": "not the password"})
    assert_page(wrong, 400, "enter its password to accept")
    right = phone.post("/invitation", {"password": PASSWORD})

    assert_page(right, 200, "You're in", "Open the dispatch screen", 'href="/login/?next=/dispatch/"')
    assert Membership.objects.filter(user=existing, fleet_id=two_fleets.a.fleet_id, role="dispatcher").exists()


def test_invitation_form_errors_are_shown_by_the_field_they_concern(two_fleets, invite, settings):
    invite()
    phone = Client()
    phone.get(emailed_link(settings, "invitation"))

    missing = phone.post("/invitation", {"display_name": "", "password": PASSWORD, "password_again": PASSWORD})
    assert_page(missing, 400, 'id="id_display_name-error"', "This field is required.")
    differ = phone.post("/invitation", {"display_name": "Nia", "password": PASSWORD, "password_again": "other"})
    assert_page(differ, 400, 'id="id_password_again-error"', "The two passwords differ.")
    weak = phone.post("/invitation", {"display_name": "Nia", "password": "12345678", "password_again": "12345678"})
    assert_page(weak, 400, 'id="id_password-error"', "too short", "entirely numeric")
    assert not Membership.objects.filter(user__email="new.driver@example.test").exists()


@pytest.mark.parametrize(
    ("spoil", "status", "text"),
    [
        ("unknown", 404, "This link does not work"),
        ("expired", 410, "This invitation has expired"),
        ("revoked", 410, "This invitation was withdrawn"),
    ],
)
def test_bad_invitation_links_answer_a_clear_page(two_fleets, invite, settings, spoil, status, text):
    invitation, _ = invite()
    link = emailed_link(settings, "invitation")
    if spoil == "unknown":
        link = link[:-6] + "XXXXXX"
    elif spoil == "expired":
        Invitation.objects.filter(id=invitation.id).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    else:
        invitations.invitation_revoke(principal=two_fleets.a.principal("fleet_manager"), invitation_id=invitation.id)
    phone = Client()

    assert_page(phone.get(link, follow=True), status, text)
    assert phone.post("/invitation", {"display_name": "X", "password": PASSWORD}).status_code == status
    assert_page(Client().get("/invitation"), 404, "This link does not work")  # no link at all


def test_a_password_reset_link_sets_a_new_password(settings, mailed):
    user = UserFactory(email="reset.me@example.test")
    phone = Client(enforce_csrf_checks=True)
    asked = phone.get("/forgot-password")
    assert_page(asked, 200, "Forgot your password?", 'name="email"')
    with mailed():
        sent = phone.post(
            "/forgot-password",
            {"email": "Reset.Me@example.test", "csrfmiddlewaretoken": phone.cookies["csrftoken"].value},
        )
    assert_page(sent, 200, "Check your email")
    link = emailed_link(settings, "reset-password")

    assert phone.get(link)["Location"] == "/reset-password"
    form = phone.get("/reset-password")
    assert_page(form, 200, "Choose a new password", 'name="new_password"')
    csrf = phone.cookies["csrftoken"].value
    differ = phone.post(
        "/reset-password", {"new_password": NEW_PASSWORD, "new_password_again": "x", "csrfmiddlewaretoken": csrf}
    )
    assert_page(differ, 400, "The two passwords differ.")
    done = phone.post(
        "/reset-password",
        {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD, "csrfmiddlewaretoken": csrf},
    )

    assert_page(done, 200, "Password changed")
    assert token_login(user.email, NEW_PASSWORD).status_code == 200
    assert token_login(user.email, PASSWORD).status_code == 401
    assert_page(Client().get(link, follow=True), 410, "This link has expired", "Email me a new link")


def test_reset_pages_refuse_weak_passwords_and_bad_links(settings, mailed):
    UserFactory(email="weak@example.test")
    with mailed():
        passwords.password_reset_request(email="weak@example.test")
    phone = Client()
    phone.get(emailed_link(settings, "reset-password"))

    weak = phone.post("/reset-password", {"new_password": "weak@example", "new_password_again": "weak@example"})
    assert_page(weak, 400, 'id="id_new_password-error"')
    assert_page(Client().get("/reset-password?token=nonsense", follow=True), 410, "This link has expired")
    assert_page(Client().get("/reset-password"), 404, "This link does not work")
    empty = Client().post("/reset-password", {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    assert empty.status_code == 404


def test_asking_for_a_reset_answers_the_same_for_unknown_emails_and_sends_nothing(mailed):
    with mailed():
        answer = Client().post("/forgot-password", {"email": "nobody@example.test"})
    assert_page(answer, 200, "Check your email", "nobody@example.test")
    assert published() == []  # no link to mail
    bad = Client().post("/forgot-password", {"email": "not an email"})
    assert_page(bad, 400, 'id="id_email-error"')


def test_the_pages_need_the_csrf_token(two_fleets, invite, settings):
    invite()
    phone = Client(enforce_csrf_checks=True)
    phone.get(emailed_link(settings, "invitation"))
    forged = phone.post("/invitation", {"display_name": "X", "password": PASSWORD, "password_again": PASSWORD})
    assert forged.status_code == 403
    assert Client(enforce_csrf_checks=True).post("/forgot-password", {"email": "a@example.test"}).status_code == 403


def test_the_pages_are_throttled_per_address(db, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "2/min")
    cache.delete("throttle_auth_10.8.8.8")
    phone = Client(REMOTE_ADDR="10.8.8.8")
    answers = [phone.post("/forgot-password", {"email": "x@example.test"}) for _ in range(3)]
    cache.delete("throttle_auth_10.8.8.8")
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[-1]["Retry-After"]) > 0


def test_the_login_page_has_a_plain_title_and_the_forgot_password_link_in_its_body(db):
    html = assert_page(Client().get("/login/"), 200, "Forgot your password?")
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title and title.group(1) == "Sign in · LogiTrack"
    assert html.count("Forgot your password?") == 1 and html.index("Forgot your password?") > html.index("</title>")
