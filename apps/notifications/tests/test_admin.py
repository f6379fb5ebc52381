"""The delivery log in the admin: platform admins read it and replay dead deliveries; nobody else sees it."""

import pytest
from django.test import Client

from apps.notifications.models import Delivery
from apps.notifications.services import deliveries
from apps.notifications.tests.support import make_delivery
from tests.support.isolation import build_two_fleets

pytestmark = pytest.mark.django_db


def test_platform_admins_read_the_log_and_replay_a_dead_delivery(smtp):
    world = build_two_fleets()
    smtp.refuse = {"gone@example.test"}
    dead = make_delivery(address="gone@example.test")
    deliveries.delivery_send(delivery_id=dead.id)
    client = Client()
    client.force_login(world.platform_admin)
    page = client.get("/admin/notifications/delivery/")
    assert page.status_code == 200 and "gone@example.test" in page.content.decode()
    detail = client.get(f"/admin/notifications/delivery/{dead.id}/change/").content.decode()
    assert "550" in detail and "permanent" in detail  # the attempt's log

    smtp.refuse = set()
    done = client.post(
        "/admin/notifications/delivery/", {"action": "replay", "_selected_action": [str(dead.id)]}, follow=True
    )
    assert "Re-queued 1 dead delivery(ies)." in done.content.decode()
    dead.refresh_from_db()
    assert (dead.status, dead.replay_count) == ("pending", 1)
    assert deliveries.delivery_send(delivery_id=dead.id) == "sent"


def test_a_fleet_manager_does_not_see_the_log(two_fleets):
    make_delivery()
    client = Client()
    client.force_login(two_fleets.a.users["fleet_manager"])
    assert client.get("/admin/notifications/delivery/").status_code == 403
    assert Delivery.objects.count() == 1
