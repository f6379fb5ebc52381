"""Billing REST views — Refunds of a settled trip."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing.models import FareRecord
from apps.billing.rest_api.v1.serializers.refunds import RefundApiInput, RefundApiRefundOutput
from apps.billing.services import settlement
from logitrack.exceptions import NotFound
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
        principal = require_principal(request)
        record = FareRecord.objects.filter(trip_id=trip_id).first()
        if record is None or not principal.may_act_on_fleet(record.fleet_id, Role.FLEET_MANAGER):
            raise NotFound("nothing was charged for this trip", code="billing.nothing_to_refund")
        data = RefundApiInput(data=request.data)
        data.is_valid(raise_exception=True)
        txn = settlement.trip_refund(trip_id=trip_id, reason=data.validated_data["reason"])
        return Response(RefundApiRefundOutput(txn).data, status=201)
