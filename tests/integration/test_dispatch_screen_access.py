"""Who gets the dispatch screen, and the session login in front of it (brute-force limits included)."""

import pytest

from apps.fleet.tests.factories import active_fleet
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def fleets(two_fleets):
    active_fleet(fleet_id=two_fleets.a.fleet_id)
    active_fleet(fleet_id=two_fleets.b.fleet_id, name="Bravo")
    return two_fleets


def test_the_screen_needs_a_session_and_a_dispatching_role(fleets, client):
    two_fleets = fleets
    anonymous = client.get("/dispatch/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/?next=/dispatch/")
    client.force_login(two_fleets.customer)
    assert client.get("/dispatch/").status_code == 403
    client.force_login(two_fleets.a.users["driver"])
    assert client.get("/dispatch/").status_code == 403
    client.force_login(two_fleets.a.users["dispatcher"])
    page = client.get("/dispatch/")
    assert page.status_code == 200
    assert str(two_fleets.a.fleet_id) in page.content.decode()
    assert str(two_fleets.b.fleet_id) not in page.content.decode()
    other = client.get("/dispatch/", {"fleet": str(two_fleets.b.fleet_id)})  # not theirs: their own fleet instead
    assert str(two_fleets.b.fleet_id) not in other.content.decode()
    assert client.get("/dispatch/", {"fleet": "nonsense"}).status_code == 200


def test_the_site_root_leads_to_the_screen(client):
    root = client.get("/")
    assert root.status_code == 302 and root["Location"] == "/dispatch/"


def test_signing_in_and_out(fleets, client, clean_login_guard):
    two_fleets = fleets
    dispatcher = two_fleets.a.users["dispatcher"]
    page = client.get("/login/?next=/dispatch/")
    assert page.status_code == 200 and b'name="password"' in page.content
    wrong = client.post("/login/", {"email": dispatcher.email, "password": "nope", "next": "/dispatch/"})
    assert wrong.status_code == 401 and b"email or password is wrong" in wrong.content
    empty = client.post("/login/", {"email": "not an email", "password": ""})
    assert empty.status_code == 400
    offsite = client.post("/login/", {"email": dispatcher.email, "password": PASSWORD, "next": "https://evil.example/"})
    assert offsite.status_code == 302 and offsite["Location"] == "/dispatch/"  # never an open redirect
    assert client.get("/dispatch/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/dispatch/").status_code == 302


def test_session_logins_count_against_the_lockout(two_fleets, client, clean_login_guard, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 2
    dispatcher = two_fleets.a.users["dispatcher"]
    for _ in range(2):
        client.post("/login/", {"email": dispatcher.email, "password": "nope"})
    locked = client.post("/login/", {"email": dispatcher.email, "password": PASSWORD})
    assert locked.status_code == 429 and b"too many failed logins" in locked.content
    assert (
        client_for(dispatcher).get("/api/v1/dispatch/fleets/" + str(two_fleets.a.fleet_id) + "/snapshot/").status_code
        == 200
    )
