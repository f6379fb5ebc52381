"""Billing REST views — Drivers' payouts: requests, decisions, transfers."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing import integrations, selectors
from apps.billing.models import Payout
from apps.billing.rest_api.v1.serializers.common import FLEET_PARAM
from apps.billing.rest_api.v1.serializers.payouts import (
    PayoutDecideApiInput,
    PayoutListApiInput,
    PayoutOutput,
    PayoutPaidApiInput,
)
from apps.billing.services import payouts
from logitrack.exceptions import NotFound
from logitrack.http.params import paginated, query_uuid
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import problems
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role
from logitrack.types import Money


class PayoutListApi(APIView):
    permission_classes = [HasRole.of(Role.DRIVER, Role.FLEET_MANAGER)]

    @extend_schema(
        tags=["billing"],
        parameters=[FLEET_PARAM, OpenApiParameter("status", str, enum=Payout.Status.values)],
        responses={200: PayoutOutput(many=True)},
        operation_id="billing_payouts_list",
    )
    def get(self, request):
        principal = require_principal(request)
        status = request.query_params.get("status")
        if status is not None and status not in Payout.Status.values:
            raise serializers.ValidationError({"status": [f"must be one of {', '.join(Payout.Status.values)}"]})
        fleet_id = query_uuid(request, "fleet_id")  # a driver's choice of fleet; validated for everyone
        if principal.has_role(Role.FLEET_MANAGER) or principal.is_platform_admin:
            fleets = None if principal.is_platform_admin else principal.fleets(Role.FLEET_MANAGER)
            qs = selectors.payouts_visible(driver_ids=None, fleet_ids=fleets, status=status)
        else:
            driver_id, _ = integrations.driver_of(user_id=principal.user_id, fleet_id=fleet_id)
            qs = selectors.payouts_visible(driver_ids=[driver_id], fleet_ids=None, status=status)
        return paginated(self, request, qs, PayoutOutput)

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
        driver_id, fleet_id = integrations.driver_of(
            user_id=principal.user_id, fleet_id=query_uuid(request, "fleet_id")
        )
        currency = integrations.fleet_terms(fleet_id=fleet_id).currency
        payout = payouts.payout_request(
            driver_id=driver_id,
            fleet_id=fleet_id,
            amount=Money(data.validated_data["amount_minor"], currency),
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
        payout = Payout.objects.filter(id=payout_id).first()
        if payout is None or not principal.may_act_on_fleet(payout.fleet_id, Role.FLEET_MANAGER):
            raise NotFound("no such payout", code="billing.payout_not_found")
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
        principal = require_principal(request)
        payout = Payout.objects.filter(id=payout_id).first()
        if payout is None or not principal.may_act_on_fleet(payout.fleet_id, Role.FLEET_MANAGER):
            raise NotFound("no such payout", code="billing.payout_not_found")
        data = PayoutPaidApiInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(PayoutOutput(payouts.payout_mark_paid(payout_id=payout.id, **data.validated_data)).data)
