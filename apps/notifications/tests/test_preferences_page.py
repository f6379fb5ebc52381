"""The console's "Your notifications" page: a manager turns channels off, orders the morning summary, picks a
language and quiet hours; bad input answers the form with its errors and changes nothing; the choices are the
signed-in user's own."""

import datetime as dt

import pytest
from django.test import Client

from apps.notifications.models import Preference

pytestmark = pytest.mark.django_db
PAGE = "/notifications/preferences/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_strangers_are_sent_to_sign_in():
    answer = Client().get(PAGE)
    assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")


def test_a_manager_sets_channels_the_summary_language_and_quiet_hours(two_fleets):
    manager = two_fleets.a.users["fleet_manager"]
    client = signed_in(manager)
    shown = client.get(PAGE)
    assert shown.status_code == 200
    assert "Morning summary" in shown.content.decode()
    assert shown.context["form"].initial == {
        "email": True, "sms": True, "push": True, "digest": False, "language": "",
        "quiet_start": None, "quiet_end": None, "time_zone": "",
    }  # fmt: skip

    saved = client.post(
        PAGE,
        {
            "email": "on",
            "digest": "on",
            "language": "de",
            "quiet_start": "22:00",
            "quiet_end": "06:30",
            "time_zone": "Europe/Berlin",
        },
        follow=True,
    )
    assert saved.status_code == 200 and "Your notification settings are saved." in saved.content.decode()
    pref = Preference.objects.get(user_id=manager.id)
    assert (pref.opted_out, pref.digest, pref.language) == (["push", "sms"], True, "de")
    assert (pref.quiet_start, pref.quiet_end, pref.time_zone) == (dt.time(22, 0), dt.time(6, 30), "Europe/Berlin")
    # and back: everything on, no quiet hours, the fleet's language
    client.post(PAGE, {"email": "on", "sms": "on", "push": "on", "language": "", "time_zone": ""})
    pref.refresh_from_db()
    assert (pref.opted_out, pref.digest, pref.quiet_start, pref.quiet_end) == ([], False, None, None)


@pytest.mark.parametrize(
    ("given", "error"),
    [
        ({"quiet_start": "22:00"}, "give both the start and the end of quiet hours"),
        ({"quiet_start": "25:00", "quiet_end": "06:00"}, "Enter a valid time"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
        ({"language": "xx"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_answered_on_the_form_and_changes_nothing(two_fleets, given, error):
    manager = two_fleets.a.users["fleet_manager"]
    answer = signed_in(manager).post(PAGE, {"email": "on", "digest": "on", **given})
    assert answer.status_code == 400 and error in answer.content.decode()
    assert not Preference.objects.filter(user_id=manager.id, digest=True).exists()


def test_the_summary_is_offered_only_to_fleet_managers(two_fleets):
    operator = two_fleets.platform_admin
    client = signed_in(operator)
    assert "Morning summary" not in client.get(PAGE).content.decode()
    client.post(PAGE, {"email": "on", "digest": "on"})
    assert Preference.objects.get(user_id=operator.id).digest is False


def test_every_console_page_links_to_it(two_fleets):
    page = signed_in(two_fleets.a.users["fleet_manager"]).get("/admin/").content.decode()
    assert f'href="{PAGE}"' in page
