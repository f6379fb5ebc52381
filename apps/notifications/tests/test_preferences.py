"""The apps' preferences over REST (problem+json on bad input) and the unsubscribe page (GET asks, POST does)."""

import uuid

import pytest
from django.test import Client

from apps.notifications import tokens
from apps.notifications.models import Preference
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/notifications/preferences/"


def test_preferences_start_with_everything_on_and_are_saved(two_fleets):
    client = client_for(two_fleets.customer)
    assert client.get(URL).json() == {
        "opted_out": [],
        "language": "",
        "quiet_start": None,
        "quiet_end": None,
        "time_zone": "",
        "digest": False,  # the managers' daily digest is opt-in
    }
    body = {
        "opted_out": ["sms"],
        "language": "de",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        "time_zone": "Europe/Berlin",
        "digest": False,
    }
    response = client.put(URL, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == body
    assert client.get(URL).json() == body
    pref = Preference.objects.get(user_id=two_fleets.customer.id)
    assert pref.opted_out == ["sms"] and pref.language == "de"
    # a partial update keeps the rest
    assert client.put(URL, {"opted_out": []}, format="json").json() == {**body, "opted_out": []}
    # another user sees only their own
    assert client_for(two_fleets.a.users["driver"]).get(URL).json()["opted_out"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"opted_out": ["fax"]}, "opted_out"),
        ({"language": "fr"}, "language"),
        ({"quiet_start": "22:00"}, "quiet_hours"),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "Europe"}, "time_zone"),  # a folder of the zone database: IsADirectoryError, was a 500
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_preferences_are_a_problem_not_a_500(two_fleets, body, field):
    response = client_for(two_fleets.customer).put(URL, body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in response.json()["errors"]
    assert not Preference.objects.filter(user_id=two_fleets.customer.id, language="fr").exists()


def test_preferences_need_a_signed_in_user():
    response = Client().get(URL)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")


def test_unsubscribe_get_asks_and_post_opts_out_of_that_channel_only(world):
    two_fleets, fleet, *_ = world
    user = two_fleets.customer.id
    token = tokens.unsubscribe_token(user_id=user, channel="email", fleet_id=fleet.id)
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/notifications/unsubscribe/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Alpha Logistics" in html and "Abbestellen" in html and 'method="post"' in html
    assert not Preference.objects.filter(user_id=user).exists()  # a mail scanner opening the link changes nothing
    done = client.post(f"/notifications/unsubscribe/{token}/")
    assert done.status_code == 200 and 'data-state="done"' in done.content.decode()
    assert Preference.objects.get(user_id=user).opted_out == ["email"]
    assert client.post(f"/notifications/unsubscribe/{token}/").status_code == 200  # again: still once
    assert Preference.objects.get(user_id=user).opted_out == ["email"]


def test_a_forged_unsubscribe_link_changes_nothing(two_fleets):
    token = tokens.unsubscribe_token(user_id=two_fleets.customer.id, channel="email")
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = Client().post(f"/notifications/unsubscribe/{forged}/")
    assert response.status_code == 404 and "does not work" in response.content.decode()
    assert not Preference.objects.exists()
    assert Client().get(f"/notifications/unsubscribe/{uuid.uuid4()}/").status_code == 404
