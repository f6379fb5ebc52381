"""Reads of the webhooks feature, scoped to what the caller may see: a fleet's managers see their fleets'
endpoints and deliveries, platform admins every fleet's; anything else does not exist for them."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, Q, QuerySet

from apps.notifications.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from logitrack.exceptions import NotFound
from logitrack.principal import Principal, Role


class EndpointNotFound(NotFound):
    code = "webhooks.endpoint_not_found"


class DeliveryNotFound(NotFound):
    code = "webhooks.delivery_not_found"


def managed_fleets(principal: Principal | None) -> frozenset[uuid.UUID] | None:
    """None: every fleet (platform admins)."""
    if principal is None:
        return frozenset()
    return None if principal.is_platform_admin else principal.fleets(Role.FLEET_MANAGER)


def endpoints_visible(*, principal: Principal | None) -> QuerySet[WebhookEndpoint]:
    fleets = managed_fleets(principal)
    qs = WebhookEndpoint.objects.order_by("-created_at", "id")
    return qs if fleets is None else qs.filter(fleet_id__in=fleets)


def endpoint_get(*, principal: Principal | None, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    found = endpoints_visible(principal=principal).filter(id=endpoint_id).first()
    if found is None:
        raise EndpointNotFound("no such webhook endpoint")
    return found


def deliveries_listed() -> QuerySet[WebhookDelivery]:
    """Deliveries as the list shows them, newest first, before narrowing to what the caller sees."""
    return WebhookDelivery.objects.select_related("endpoint").order_by("-created_at", "-id")


def delivery_visibility(*, principal: Principal | None) -> list[Q] | None:
    """One condition per fleet whose deliveries the caller sees (None: every fleet's): the list pages each through
    notif_webhook_fleet_recent (logitrack.http.pagination.KeysetPagination)."""
    fleets = managed_fleets(principal)
    return None if fleets is None else [Q(fleet_id=fleet_id) for fleet_id in sorted(fleets)]


def deliveries_visible(*, principal: Principal | None) -> QuerySet[WebhookDelivery]:
    fleets = managed_fleets(principal)
    qs = deliveries_listed()
    return qs if fleets is None else qs.filter(fleet_id__in=fleets)


def delivery_get(*, principal: Principal | None, delivery_id: uuid.UUID) -> WebhookDelivery:
    found = (
        deliveries_visible(principal=principal)
        .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number")))
        .filter(id=delivery_id)
        .first()
    )
    if found is None:
        raise DeliveryNotFound("no such webhook delivery")
    return found
