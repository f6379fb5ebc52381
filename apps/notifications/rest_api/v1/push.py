"""The driver app's Web Push set-up: the server's key, and registering or removing this device's subscription."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.notifications import selectors
from apps.notifications.services import push as push_services
from logitrack.http.params import paginated
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role

DRIVERS = HasRole.of(Role.DRIVER)  # push reaches the driver app (offers while its socket is closed)
TAGS = ["driver app"]


class KeyOutput(serializers.Serializer):
    public_key = serializers.CharField(help_text="VAPID application server key (URL-safe base64, 65-byte point)")


class SubscriptionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    endpoint = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # our field, not DRF's Field.label
    created_at = serializers.DateTimeField()
    last_success_at = serializers.DateTimeField(allow_null=True)


class KeysInput(StrictInputSerializer):
    p256dh = serializers.CharField(max_length=200, trim_whitespace=False)
    auth = serializers.CharField(max_length=100, trim_whitespace=False)


class PushKeyApi(APIView):
    permission_classes = [DRIVERS]

    @extend_schema(
        tags=TAGS,
        responses={200: KeyOutput, **problems(**{"404": "no push here: `notifications.push_not_configured`"})},
        operation_id="notifications_push_key",
    )
    def get(self, request):
        return Response({"public_key": selectors.push_public_key()})


class PushSubscriptionsApi(APIView):
    permission_classes = [DRIVERS]

    class InputSerializer(StrictInputSerializer):
        """The browser's `PushSubscription.toJSON()`, plus an optional label for the device."""

        endpoint = serializers.CharField(max_length=2048, trim_whitespace=False)
        expirationTime = serializers.IntegerField(required=False, allow_null=True, min_value=0)  # the browser's; unused
        keys = KeysInput()
        label = serializers.CharField(max_length=200, required=False, allow_blank=True)  # type: ignore[assignment]

    @extend_schema(tags=TAGS, responses={200: SubscriptionOutput(many=True)}, operation_id="notifications_push_list")
    def get(self, request):
        mine = selectors.push_subscriptions_of(user_id=require_principal(request).user_id)
        return paginated(self, request, mine, SubscriptionOutput)

    @extend_schema(
        tags=TAGS,
        request=InputSerializer,
        responses={201: SubscriptionOutput, 200: SubscriptionOutput, **problems(400)},
        operation_id="notifications_push_subscribe",
        description="201 when the device is new to you, 200 when it was already registered (idempotent on endpoint).",
    )
    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        row, new = push_services.push_subscription_save(
            user_id=require_principal(request).user_id,
            endpoint=given["endpoint"],
            p256dh=given["keys"]["p256dh"],
            auth=given["keys"]["auth"],
            label=given.get("label") or request.headers.get("User-Agent", "")[:200],
        )
        return Response(SubscriptionOutput(row).data, status=201 if new else 200)


class PushSubscriptionApi(APIView):
    permission_classes = [DRIVERS]

    @extend_schema(
        tags=TAGS,
        responses={204: None, **problems(**{"404": "not one of your subscriptions"})},
        operation_id="notifications_push_unsubscribe",
    )
    def delete(self, request, subscription_id):
        push_services.push_subscription_remove(
            user_id=require_principal(request).user_id, subscription_id=subscription_id
        )
        return Response(status=204)
