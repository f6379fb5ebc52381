"""Billing REST views — Drivers' payouts: requests, decisions, transfers."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing import selectors
from apps.billing.rest_api.v1.filters import PayoutFilter
from apps.billing.rest_api.v1.serializers.common import FLEET_PARAM
from apps.billing.rest_api.v1.serializers.payouts import (
    PayoutDecideApiInput,
    PayoutListApiInput,
    PayoutOutput,
    PayoutPaidApiInput,
)
from apps.billing.services import payouts
from logitrack.exceptions import NotFound
from logitrack.http.filters import FilteredList
from logitrack.http.pagination import KeysetPagination
from logitrack.http.params import keyset_paginated, query_uuid
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import problems
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role


class PayoutListApi(FilteredList, APIView):
    permission_classes = [HasRole.of(Role.DRIVER, Role.FLEET_MANAGER)]
    filterset_class = PayoutFilter
    pagination_class = KeysetPagination  # newest first, by cursor

    @extend_schema(
        tags=["billing"],
        responses={
            200: PayoutOutput(many=True),
            **problems(**{"404": "a driver who drives for no fleet by that `fleet_id` (`partner.driver_not_found`)"}),
        },
        operation_id="billing_payouts_list",
    )
    def get(self, request):
        params = self.query_filters()  # fleet_id is validated for everyone, used for drivers
        visible = selectors.payouts_visible(
            principal=require_principal(request), fleet_id=params.form.cleaned_data["fleet_id"]
        )
        return keyset_paginated(self, request, params.filter_queryset(visible), PayoutOutput)

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        request=PayoutListApiInput,
        responses={
            201: PayoutOutput,
            **problems(
                **{
                    "404": "you are not a driver (in that fleet)",
                    "409": "the wallet holds less (`billing.insufficient_funds`), or request_id was used for "
                    "another amount",
                }
            ),
        },
        operation_id="billing_payouts_request",
    )
    def post(self, request):
        principal = require_principal(request)
        if not principal.has_role(Role.DRIVER):
            raise NotFound("only drivers request payouts", code="billing.not_a_driver")
        data = PayoutListApiInput(data=request.data)
        data.is_valid(raise_exception=True)
        payout = payouts.payout_request_as_driver(
            principal=principal,
            fleet_id=query_uuid(request, "fleet_id"),
            amount_minor=data.validated_data["amount_minor"],
            idempotency_key=str(data.validated_data["request_id"]),
        )
        return Response(PayoutOutput(payout).data, status=201)


class PayoutDecideApi(APIView):
    permission_classes = [HasRole.of(Role.FLEET_MANAGER)]

    @extend_schema(
        tags=["billing"],
        request=PayoutDecideApiInput,
        responses={200: PayoutOutput},
        operation_id="billing_payouts_decide",
    )
    @idempotent
    def post(self, request, payout_id):
        principal = require_principal(request)
        payout = selectors.payout_managed(principal=principal, payout_id=payout_id)
        data = PayoutDecideApiInput(data=request.data)
        data.is_valid(raise_exception=True)
        decided = payouts.payout_decide(
            payout_id=payout.id,
            approve=data.validated_data["decision"] == "approve",
            actor_id=principal.user_id,
            reason=data.validated_data["reason"],
        )
        return Response(PayoutOutput(decided).data)


class PayoutPaidApi(APIView):
    permission_classes = [HasRole.of(Role.FLEET_MANAGER)]

    @extend_schema(
        tags=["billing"], request=PayoutPaidApiInput, responses={200: PayoutOutput}, operation_id="billing_payouts_paid"
    )
    @idempotent
    def post(self, request, payout_id):
        payout = selectors.payout_managed(principal=require_principal(request), payout_id=payout_id)
        data = PayoutPaidApiInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(PayoutOutput(payouts.payout_mark_paid(payout_id=payout.id, **data.validated_data)).data)
