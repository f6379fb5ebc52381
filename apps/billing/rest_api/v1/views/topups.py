"""Billing REST views — Top-ups of a customer's prepaid balance, and payment providers' webhook bodies."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing import payments, selectors
from apps.billing.models import TopUp
from apps.billing.rest_api.v1.filters import TopUpFilter
from apps.billing.rest_api.v1.serializers.topups import (
    PaymentEventInput,
    PaymentWebhookApiWebhookOutput,
    TopUpConfirmApiInput,
    TopUpListApiInput,
    TopUpOutput,
)
from apps.billing.services import topups
from logitrack.http.filters import FilteredList
from logitrack.http.pagination import KeysetPagination
from logitrack.http.params import keyset_paginated
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import problems
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role
from logitrack.types import Money


class TopUpListApi(FilteredList, APIView):
    """A customer asks to top up their prepaid balance, and follows the request. Asking credits nothing: the
    money counts once a payment provider's signed notification, or a platform admin, confirms it arrived."""

    permission_classes = [HasRole.of(Role.CUSTOMER)]
    filterset_class = TopUpFilter
    pagination_class = KeysetPagination  # newest first, by cursor

    @extend_schema(
        tags=["customer app"],
        responses={200: TopUpOutput(many=True)},
        operation_id="billing_topups_list",
        description="Your top-up requests, newest first (platform admins: everyone's).",
    )
    def get(self, request):
        params = self.query_filters()
        visible = selectors.topups_visible(principal=require_principal(request))
        return keyset_paginated(self, request, params.filter_queryset(visible), TopUpOutput)

    @extend_schema(
        tags=["customer app"],
        request=TopUpListApiInput,
        responses={201: TopUpOutput, **problems(**{"409": "request_id was used for another top-up"})},
        operation_id="billing_topups_create",
        description="Request a top-up: it is `pending` and the balance is unchanged until the payment is confirmed. "
        "Pay with the provider giving the top-up's `id` as the reference; a retry with the same request_id "
        "answers the same top-up.",
    )
    def post(self, request):
        data = TopUpListApiInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        topup = topups.topup_request(
            customer_id=require_principal(request).user_id,
            amount=Money(v["amount_minor"], v["currency"]),
            idempotency_key=str(v["request_id"]),
        )
        return Response(TopUpOutput(topup).data, status=201)


class TopUpDetailApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER)]

    @extend_schema(tags=["customer app"], responses={200: TopUpOutput}, operation_id="billing_topups_get")
    def get(self, request, topup_id):
        return Response(
            TopUpOutput(selectors.topup_visible(principal=require_principal(request), topup_id=topup_id)).data
        )


class TopUpCancelApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER)]

    @extend_schema(
        tags=["customer app"],
        request=None,
        responses={200: TopUpOutput, **problems(**{"409": "the top-up is no longer pending"})},
        operation_id="billing_topups_cancel",
    )
    @idempotent
    def post(self, request, topup_id):
        topup = topups.topup_cancel(topup_id=topup_id, principal=require_principal(request))
        return Response(TopUpOutput(topup).data)


class TopUpConfirmApi(APIView):
    """Platform admins record money received outside a payment provider (cash, a bank transfer). Prepaid
    balances are the platform's, not a fleet's (one balance pays fares in every fleet), so fleet managers
    cannot confirm: a fleet could otherwise create money spent in other fleets."""

    permission_classes = [HasRole.of(Role.PLATFORM_ADMIN)]

    @extend_schema(
        tags=["billing"],
        request=TopUpConfirmApiInput,
        responses={
            200: TopUpOutput,
            **problems(
                **{
                    "400": "another amount or currency than requested (`billing.topup_amount_differs`: nothing "
                    "changes, the reference stays usable)",
                    "403": "not a platform admin, or your own top-up (`billing.self_confirmation`)",
                    "409": "the top-up is not pending (`billing.topup_not_pending`), or the reference confirmed "
                    "another top-up (`billing.confirmation_reused`)",
                }
            ),
        },
        operation_id="billing_topups_confirm",
        description="Record the money as received: the prepaid balance is credited once; the same reference again "
        "answers the same.",
    )
    def post(self, request, topup_id):
        principal = require_principal(request)
        data = TopUpConfirmApiInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        topup = topups.topup_confirm(
            topup_id=topup_id,
            amount=Money(v["amount_minor"], v["currency"]),
            via=TopUp.STAFF,
            reference=v["reference"],
            actor_id=principal.user_id,
        )
        return Response(TopUpOutput(topup).data)


class PaymentWebhookApi(APIView):
    """A payment provider tells us a payment succeeded or failed. No user: the provider's signature over the raw
    body and a timestamp authenticates the call (apps/billing/payments)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []  # providers send bursts from shared addresses; the signature is the gate

    @extend_schema(
        tags=["payment providers"],
        request=PaymentEventInput,
        parameters=[
            OpenApiParameter(
                "Payment-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<raw body>' with the shared secret>",
            )
        ],
        responses={
            200: PaymentWebhookApiWebhookOutput,
            **problems(
                **{
                    "400": "malformed signature header or body",
                    "401": "the signature does not match, or its timestamp is outside the tolerance (a replay)",
                    "404": "no such provider configured, or no such top-up",
                    "409": "the payment or event already confirmed another top-up",
                }
            ),
        },
        operation_id="billing_payments_webhook",
    )
    def post(self, request, provider):
        notification = payments.provider(provider).parse(headers=request.headers, body=request.body)
        applied = topups.payment_notification_apply(notification=notification)
        return Response(
            {
                "event_id": notification.event_id,
                "outcome": applied.outcome,
                "topup": TopUpOutput(applied.topup).data if applied.topup else None,
            }
        )
