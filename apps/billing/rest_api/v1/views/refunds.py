"""Billing REST views — Refunds of a settled trip."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing import selectors
from apps.billing.rest_api.v1.serializers.refunds import RefundApiInput, RefundApiRefundOutput
from apps.billing.services import settlement
from logitrack.http.principal import HasRole, require_principal
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role


class RefundApi(APIView):
    permission_classes = [HasRole.of(Role.FLEET_MANAGER)]

    @extend_schema(
        tags=["billing"],
        request=RefundApiInput,
        responses={201: RefundApiRefundOutput},
        operation_id="billing_trips_refund",
    )
    @idempotent
    def post(self, request, trip_id):
        selectors.fare_record_managed(principal=require_principal(request), trip_id=trip_id)  # 404 before 400
        data = RefundApiInput(data=request.data)
        data.is_valid(raise_exception=True)
        txn = settlement.trip_refund(trip_id=trip_id, reason=data.validated_data["reason"])
        return Response(RefundApiRefundOutput(txn).data, status=201)
