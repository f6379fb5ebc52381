"""Billing REST views — Quotes: the fare breakdown and the request for a quote."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing import selectors
from apps.billing.rest_api.v1.serializers.quotes import QuoteCreateApiInput, QuoteOutput
from apps.billing.services import quotes
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import problems
from logitrack.principal import Role


class QuoteCreateApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER, Role.DISPATCHER, Role.FLEET_MANAGER)]
    key_scopes = {"POST": "trips:book"}  # what an integrator's API key needs (apps/identity)

    @extend_schema(
        tags=["billing"],
        request=QuoteCreateApiInput,
        responses={201: QuoteOutput, **problems(**{"404": "no such fleet, or no tariff for that trip"})},
        operation_id="billing_quotes_create",
    )
    def post(self, request):
        data = QuoteCreateApiInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        quote = quotes.quote_request(
            principal=require_principal(request),
            fleet_id=v["fleet_id"],
            vehicle_type=v["vehicle_type"],
            service=v["service"],
            points=v["points"],
            at=v.get("requested_at"),
            distance_m=v.get("distance_m"),
            duration_s=v.get("duration_s"),
        )
        return Response(QuoteOutput(quote).data, status=201)


class QuoteDetailApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER, Role.DISPATCHER, Role.FLEET_MANAGER)]
    key_scopes = {"GET": "trips:book"}  # what an integrator's API key needs (apps/identity)

    @extend_schema(tags=["billing"], responses={200: QuoteOutput}, operation_id="billing_quotes_get")
    def get(self, request, quote_id):
        quote = selectors.quote_visible(principal=require_principal(request), quote_id=quote_id)
        return Response(QuoteOutput(quote).data)
