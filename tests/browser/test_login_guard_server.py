"""The login guard under the server as deployed (uvicorn: Django's middleware runs asynchronously, and so does
axes' middleware): the admin login locks after five failures, /login/ keeps its own answers."""

import pytest
import requests

from apps.identity.models import User

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


def admin_login(server, email, password):
    browser = requests.Session()
    browser.get(f"{server}/admin/login/", timeout=10)
    return browser.post(
        f"{server}/admin/login/?next=/admin/",
        data={"username": email, "password": password, "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        headers={"Referer": f"{server}/admin/login/"},
        allow_redirects=False,
        timeout=10,
    )


def page_login(server, email, password):
    browser = requests.Session()
    browser.get(f"{server}/login/", timeout=10)
    return browser.post(
        f"{server}/login/",
        data={"email": email, "password": password, "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        headers={"Referer": f"{server}/login/"},
        allow_redirects=False,
        timeout=10,
    )


def test_the_guard_answers_the_same_under_the_asgi_server(two_fleets, server):
    manager, dispatcher = two_fleets.a.users["fleet_manager"], two_fleets.a.users["dispatcher"]

    admin = [admin_login(server, manager.email, f"guess {n}").status_code for n in range(5)]
    locked = admin_login(server, manager.email, PASSWORD)
    assert admin == [200, 200, 200, 200, 429]
    assert locked.status_code == 429 and "Too many attempts" in locked.text and int(locked.headers["Retry-After"]) > 0

    page = [page_login(server, dispatcher.email, f"guess {n}").status_code for n in range(5)]
    assert page == [401] * 5  # the failure that locks is still "wrong password"; the next attempt is refused
    assert page_login(server, dispatcher.email, PASSWORD).status_code == 429
    assert User.objects.filter(id=dispatcher.id, last_login__isnull=True).exists()
