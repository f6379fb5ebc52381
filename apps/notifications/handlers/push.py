"""Devices of people who are gone stop receiving pushes: an erased or deactivated user's push subscriptions are
deleted (an endpoint is a device identifier, personal data under GDPR)."""

from apps.identity.events import UserDeactivatedV1, UserErasedV1
from apps.notifications.services import push
from logitrack.bus import subscriber


@subscriber(UserErasedV1, name="notifications.forget_erased_users_devices")
def forget_erased_users_devices(event: UserErasedV1) -> None:
    push.push_subscriptions_forget(user_id=event.user_id)


@subscriber(UserDeactivatedV1, name="notifications.forget_deactivated_users_devices")
def forget_deactivated_users_devices(event: UserDeactivatedV1) -> None:
    push.push_subscriptions_forget(user_id=event.user_id)
