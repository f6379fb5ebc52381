"""Push subscriptions: the driver app registers its browser's PushSubscription and removes it again."""

from __future__ import annotations

import uuid

from apps.notifications.channels.push import endpoint_problem, key_problems
from apps.notifications.contracts import InvalidPushSubscription, PushSubscriptionNotFound
from apps.notifications.models import PushSubscription
from logitrack.db import contexts

MAX_PER_USER = 20  # devices per person; registering one more forgets the oldest


def push_subscription_save(
    *, user_id: uuid.UUID, endpoint: str, p256dh: str, auth: str, label: str = ""
) -> tuple[PushSubscription, bool]:
    """Register (or refresh) a subscription for the user; (it, whether it is new to them). Idempotent on the
    endpoint: the endpoint is the device, so one registered by someone else (another login on the same phone)
    moves to this user, and their pushes stop reaching it."""
    problems = {}
    if why := endpoint_problem(endpoint):
        problems["endpoint"] = [why]
    for field, why in key_problems(p256dh=p256dh, auth=auth).items():
        problems[field] = [why]
    if problems:
        raise InvalidPushSubscription("this is not a subscription the server can push to", extra={"errors": problems})
    with contexts.atomic("notifications"):
        held = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
        new_to_user = held is None or held.user_id != user_id
        fields = {"user_id": user_id, "p256dh": p256dh, "auth": auth, "last_failure": ""}
        if label:  # a refresh that names no device keeps the name it had
            fields["label"] = label[:200]
        row, _ = PushSubscription.objects.update_or_create(endpoint=endpoint, defaults=fields)
        keep = PushSubscription.objects.filter(user_id=user_id).order_by("-created_at").values("id")[:MAX_PER_USER]
        PushSubscription.objects.filter(user_id=user_id).exclude(id__in=keep).delete()
    return row, new_to_user


def push_subscription_remove(*, user_id: uuid.UUID, subscription_id: uuid.UUID) -> None:
    """The user's own subscription only; anyone else's does not exist for them."""
    removed, _ = PushSubscription.objects.filter(id=subscription_id, user_id=user_id).delete()
    if not removed:
        raise PushSubscriptionNotFound("no such push subscription")


def push_subscriptions_forget(*, user_id: uuid.UUID) -> int:
    """Every device of the user (erased or deactivated): how many there were."""
    removed, _ = PushSubscription.objects.filter(user_id=user_id).delete()
    return removed
