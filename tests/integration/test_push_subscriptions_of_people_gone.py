"""An erased or deactivated person's devices stop receiving pushes: identity's UserErasedV1 / UserDeactivatedV1,
relayed through the outbox, delete their push subscriptions in notifications (and nobody else's)."""

import uuid

import pytest

from apps.identity.services import accounts, erasure
from apps.notifications.models import PushSubscription

pytestmark = pytest.mark.django_db


def device(user_id) -> PushSubscription:
    return PushSubscription.objects.create(
        user_id=user_id,
        endpoint=f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}",
        p256dh="BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
        auth="tBHItJI5svbpez7KI4CCXg",
    )


def test_an_erased_drivers_devices_are_forgotten(two_fleets, relay_and_deliver):
    erased, other = two_fleets.a.users["driver"], two_fleets.b.users["driver"]
    device(erased.id), device(erased.id)
    kept = device(other.id)
    erasure.user_erase(user_id=erased.id)
    relay_and_deliver()
    assert list(PushSubscription.objects.values_list("id", flat=True)) == [kept.id]


def test_a_deactivated_drivers_devices_are_forgotten(two_fleets, relay_and_deliver):
    gone, other = two_fleets.a.users["driver"], two_fleets.b.users["driver"]
    device(gone.id)
    kept = device(other.id)
    accounts.user_deactivate(user_id=gone.id)
    relay_and_deliver()
    assert list(PushSubscription.objects.values_list("id", flat=True)) == [kept.id]
