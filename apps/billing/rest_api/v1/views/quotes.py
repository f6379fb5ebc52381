"""Billing REST views — Quotes: the fare breakdown and the request for a quote."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing.contracts import QuoteNotFound, TripFacts
from apps.billing.models import Quote
from apps.billing.rest_api.v1.serializers.quotes import QuoteCreateApiInput, QuoteOutput
from apps.billing.services import fares, quotes
from logitrack.exceptions import NotFound
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import problems
from logitrack.principal import Role


class QuoteCreateApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER, Role.DISPATCHER, Role.FLEET_MANAGER)]

    @extend_schema(
        tags=["billing"],
        request=QuoteCreateApiInput,
        responses={201: QuoteOutput, **problems(**{"404": "no such fleet, or no tariff for that trip"})},
        operation_id="billing_quotes_create",
    )
    def post(self, request):
        principal = require_principal(request)
        data = QuoteCreateApiInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if not principal.has_role(Role.CUSTOMER) and not principal.may_act_on_fleet(
            v["fleet_id"], Role.DISPATCHER, Role.FLEET_MANAGER
        ):
            raise NotFound("no such fleet", code="fleet.not_found")
        at = v.get("requested_at") or timezone.now()
        if "distance_m" in v:
            facts = TripFacts(
                distance_m=v["distance_m"],
                duration_s=v["duration_s"],
                stops=len(v["points"]),
                at=at,
                points=tuple(v["points"]),
            )
        else:
            facts = fares.estimate_facts(points=v["points"], at=at, vehicle_type=v["vehicle_type"])
        quote = quotes.quote_create(
            fleet_id=v["fleet_id"],
            vehicle_type=v["vehicle_type"],
            service=v["service"],
            facts=facts,
            customer_id=principal.user_id if principal.has_role(Role.CUSTOMER) else None,
        )
        return Response(QuoteOutput(quote).data, status=201)


class QuoteDetailApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER, Role.DISPATCHER, Role.FLEET_MANAGER)]

    @extend_schema(tags=["billing"], responses={200: QuoteOutput}, operation_id="billing_quotes_get")
    def get(self, request, quote_id):
        principal = require_principal(request)
        quote = Quote.objects.filter(id=quote_id).first()
        if quote is None or not (
            quote.customer_id == principal.user_id
            or principal.may_act_on_fleet(quote.fleet_id, Role.DISPATCHER, Role.FLEET_MANAGER)
        ):
            raise QuoteNotFound("no such quote")
        return Response(QuoteOutput(quote).data)
