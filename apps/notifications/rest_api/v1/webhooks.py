"""Webhooks over REST, for a fleet's managers (and platform admins): endpoints, their secrets and test pings, the
event types on offer, the delivery log with every attempt, and replays. Another fleet's rows answer 404.

`key_scopes` (method -> scope) is what an API key must hold to call a view (identity's API keys read it)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.notifications.contracts import DeliveryStatus
from apps.notifications.models import WebhookDelivery, WebhookEndpoint
from apps.notifications.webhooks import catalogue, selectors, services
from logitrack.http.filters import ChoiceFilter, FilteredList, GivenDateTimeFilter, UUIDFilter, choices
from logitrack.http.pagination import KeysetPagination
from logitrack.http.params import keyset_paginated, paginated
from logitrack.http.principal import HasRole, require_fleet, require_principal
from logitrack.http.schema import problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.principal import Role

MANAGERS = HasRole.of(Role.FLEET_MANAGER)
READ, MANAGE = "webhooks:read", "webhooks:manage"
TAGS = ["notifications"]


class WebhookApi(APIView):
    permission_classes = [MANAGERS]


# ---- shapes -------------------------------------------------------------------------------------------------------


class EndpointOutput(serializers.Serializer):
    id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    url = serializers.URLField()
    description = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    disabled_reason = serializers.CharField(help_text='"failing" (switched off after days of failures), "manual"')
    failing_since = serializers.DateTimeField(allow_null=True)
    last_success_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="until then the previous secret signs too"
    )
    created_at = serializers.DateTimeField()


class EndpointWithSecretOutput(EndpointOutput):
    secret = serializers.CharField(help_text="shown this once: store it to verify signatures")


def _with_secret(made: services.WithSecret) -> dict:
    return {**EndpointOutput(made.endpoint).data, "secret": made.secret}


class AttemptOutput(serializers.Serializer):
    number = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    duration_ms = serializers.IntegerField()
    request_url = serializers.URLField()
    request_headers = serializers.DictField(child=serializers.CharField())
    request_body = serializers.CharField()
    response_status = serializers.IntegerField(allow_null=True)
    response_headers = serializers.DictField(child=serializers.CharField())
    response_body = serializers.CharField(help_text="at most the first NOTIFICATIONS_WEBHOOK_MAX_RESPONSE_BYTES")
    error = serializers.CharField()
    succeeded = serializers.BooleanField()


class DeliveryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    endpoint_id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    event_id = serializers.UUIDField()
    event_type = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=[s.value for s in DeliveryStatus])
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    dead_at = serializers.DateTimeField(allow_null=True)
    replays = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class DeliveryDetailOutput(DeliveryOutput):
    body = serializers.CharField(help_text="the envelope as sent")
    attempt_log = AttemptOutput(many=True, source="attempt_log.all")


class EventTypeOutput(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField()


class EndpointFields(StrictInputSerializer):
    url = serializers.URLField(max_length=2000)
    description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=list(catalogue.PUBLIC_NAMES)), allow_empty=False, max_length=50
    )
    is_active = serializers.BooleanField(required=False, default=True)


class DeliveryFilter(django_filters.FilterSet):
    fleet_id = UUIDFilter(help_text="one of your fleets")
    endpoint_id = UUIDFilter()
    type = ChoiceFilter(field_name="event_type", choices=[(n, n) for n in (*catalogue.PUBLIC_NAMES, catalogue.PING)])
    status = ChoiceFilter(choices=choices(DeliveryStatus))
    since = GivenDateTimeFilter(field_name="created_at", lookup_expr="gte", help_text="made at or after")
    until = GivenDateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="made before")

    class Meta:
        model = WebhookDelivery
        fields: list[str] = []


class EndpointFilter(django_filters.FilterSet):
    fleet_id = UUIDFilter(help_text="one of your fleets")

    class Meta:
        model = WebhookEndpoint
        fields: list[str] = []


# ---- views --------------------------------------------------------------------------------------------------------


class EventTypeListApi(WebhookApi):
    key_scopes = {"GET": READ}

    @extend_schema(tags=TAGS, responses={200: EventTypeOutput(many=True)}, operation_id="webhooks_event_types")
    def get(self, request):
        rows = [{"type": t.name, "description": t.description} for t in catalogue.PUBLIC_TYPES]
        return paginated(self, request, rows, EventTypeOutput)  # pages as documented (page numbers checked)


class EndpointListApi(FilteredList, WebhookApi):
    key_scopes = {"GET": READ, "POST": MANAGE}
    filterset_class = EndpointFilter

    class CreateSerializer(EndpointFields):
        fleet_id = serializers.UUIDField()

    @extend_schema(tags=TAGS, responses={200: EndpointOutput(many=True)}, operation_id="webhooks_endpoints_list")
    def get(self, request):
        rows = self.filter_queryset(selectors.endpoints_visible(principal=require_principal(request)))
        return paginated(self, request, rows, EndpointOutput)

    @extend_schema(
        tags=TAGS,
        request=CreateSerializer,
        responses={201: EndpointWithSecretOutput, **problems(400, 404)},
        operation_id="webhooks_endpoints_create",
    )
    def post(self, request):
        data = self.CreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        caller = require_fleet(request, values["fleet_id"], Role.FLEET_MANAGER)
        made = services.endpoint_create(**values, actor_id=caller.user_id)
        return Response(_with_secret(made), status=201)


class EndpointDetailApi(WebhookApi):
    key_scopes = {"GET": READ, "PATCH": MANAGE, "DELETE": MANAGE}

    class UpdateSerializer(EndpointFields):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for field in self.fields.values():
                field.required = False
                field.default = serializers.empty

    @extend_schema(tags=TAGS, responses={200: EndpointOutput}, operation_id="webhooks_endpoints_get")
    def get(self, request, endpoint_id):
        found = selectors.endpoint_get(principal=require_principal(request), endpoint_id=endpoint_id)
        return Response(EndpointOutput(found).data)

    @extend_schema(
        tags=TAGS,
        request=UpdateSerializer,
        responses={200: EndpointOutput, **problems(400, 404)},
        operation_id="webhooks_endpoints_update",
    )
    def patch(self, request, endpoint_id):
        found = selectors.endpoint_get(principal=require_principal(request), endpoint_id=endpoint_id)
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = services.endpoint_update(endpoint_id=found.id, changes=dict(data.validated_data))
        return Response(EndpointOutput(changed).data)

    @extend_schema(tags=TAGS, responses={204: None, **problems(404)}, operation_id="webhooks_endpoints_delete")
    def delete(self, request, endpoint_id):
        found = selectors.endpoint_get(principal=require_principal(request), endpoint_id=endpoint_id)
        services.endpoint_delete(endpoint_id=found.id)
        return Response(status=204)


class EndpointRotateSecretApi(WebhookApi):
    key_scopes = {"POST": MANAGE}

    @extend_schema(
        tags=TAGS,
        request=None,
        responses={200: EndpointWithSecretOutput, **problems(404)},
        operation_id="webhooks_endpoints_rotate_secret",
        description="A new signing secret, shown once; the previous one keeps signing too until "
        "`previous_secret_expires_at`.",
    )
    def post(self, request, endpoint_id):
        found = selectors.endpoint_get(principal=require_principal(request), endpoint_id=endpoint_id)
        return Response(_with_secret(services.endpoint_rotate_secret(endpoint_id=found.id)))


class EndpointPingApi(WebhookApi):
    key_scopes = {"POST": MANAGE}

    @extend_schema(
        tags=TAGS,
        request=None,
        responses={200: DeliveryDetailOutput, **problems(404)},
        operation_id="webhooks_endpoints_ping",
        description="Sends a signed `ping` event to the endpoint now and answers with the attempt.",
    )
    def post(self, request, endpoint_id):
        caller = require_principal(request)
        found = selectors.endpoint_get(principal=caller, endpoint_id=endpoint_id)
        delivery = services.endpoint_ping(endpoint_id=found.id)
        return Response(DeliveryDetailOutput(selectors.delivery_get(principal=caller, delivery_id=delivery.id)).data)


class DeliveryListApi(FilteredList, WebhookApi):
    key_scopes = {"GET": READ}
    filterset_class = DeliveryFilter
    pagination_class = KeysetPagination  # newest first; the log grows with every event

    @extend_schema(
        tags=TAGS,
        responses={200: DeliveryOutput(many=True)},
        operation_id="webhooks_deliveries_list",
        description="Newest first, by cursor (`next`, `previous`; `count` with `count=true`).",
    )
    def get(self, request):
        visible = selectors.delivery_visibility(principal=require_principal(request))
        rows = self.filter_queryset(selectors.deliveries_listed())
        return keyset_paginated(self, request, rows, DeliveryOutput, branches=visible)


class DeliveryDetailApi(WebhookApi):
    key_scopes = {"GET": READ}

    @extend_schema(tags=TAGS, responses={200: DeliveryDetailOutput}, operation_id="webhooks_deliveries_get")
    def get(self, request, delivery_id):
        found = selectors.delivery_get(principal=require_principal(request), delivery_id=delivery_id)
        return Response(DeliveryDetailOutput(found).data)


class DeliveryReplayApi(WebhookApi):
    key_scopes = {"POST": MANAGE}

    @extend_schema(
        tags=TAGS,
        request=None,
        responses={202: DeliveryOutput, **problems(404, 409)},
        operation_id="webhooks_deliveries_replay",
        description="Sends the delivery again (same event id and body) with a fresh retry window.",
    )
    def post(self, request, delivery_id):
        found = selectors.delivery_get(principal=require_principal(request), delivery_id=delivery_id)
        return Response(DeliveryOutput(services.delivery_replay(delivery_id=found.id)).data, status=202)


class DeliveryReplayRangeApi(WebhookApi):
    key_scopes = {"POST": MANAGE}

    class InputSerializer(StrictInputSerializer):
        since = serializers.DateTimeField()
        until = serializers.DateTimeField()
        fleet_id = serializers.UUIDField(required=False)
        endpoint_id = serializers.UUIDField(required=False)
        type = serializers.ChoiceField(choices=list(catalogue.PUBLIC_NAMES), required=False)
        status = serializers.ChoiceField(choices=[s.value for s in DeliveryStatus], required=False)

    class ReplayedOutput(serializers.Serializer):
        replayed = serializers.IntegerField()

    @extend_schema(
        tags=TAGS,
        request=InputSerializer,
        responses={202: ReplayedOutput, **problems(400, 404)},
        operation_id="webhooks_deliveries_replay_range",
        description="Sends again every delivery made in [since, until) to endpoints that are switched on "
        "(optionally of one fleet, endpoint, type or status).",
    )
    def post(self, request):
        caller = require_principal(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        rows = selectors.deliveries_visible(principal=caller)
        if values.get("fleet_id"):
            require_fleet(request, values["fleet_id"], Role.FLEET_MANAGER)
            rows = rows.filter(fleet_id=values["fleet_id"])
        endpoint_id = values.get("endpoint_id")
        if endpoint_id is not None:
            endpoint_id = selectors.endpoint_get(principal=caller, endpoint_id=endpoint_id).id
        reopened = services.deliveries_replay_range(
            deliveries=rows,
            since=values["since"],
            until=values["until"],
            endpoint_id=endpoint_id,
            event_type=values.get("type"),
            status=values.get("status"),
        )
        return Response({"replayed": len(reopened)}, status=202)
