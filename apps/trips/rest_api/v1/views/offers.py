"""Offers: a dispatcher offers a trip to a shift's driver; the driver lists, accepts or rejects their offers."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.trips import selectors
from apps.trips.rest_api.v1.serializers.offers import AnswerInput, OfferInput, OfferOutput
from apps.trips.rest_api.v1.views._common import VEHICLE_TYPE_RULE, caller
from apps.trips.services import offers
from logitrack.http.params import paginated
from logitrack.http.principal import HasRole
from logitrack.http.schema import problems
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role


class OfferCreateApi(APIView):
    permission_classes = [HasRole.of(Role.DISPATCHER, Role.FLEET_MANAGER)]

    @extend_schema(
        tags=["trips"],
        request=OfferInput,
        responses={
            201: OfferOutput,
            **problems(
                **{
                    "409": "the trip is not waiting or already has an open offer (`trips.offer_open`), or the shift "
                    "cannot take it (`trips.vehicle_type_mismatch`, `trips.over_capacity`, `trips.not_assignable`, "
                    "…) — the same checks as an assignment"
                }
            ),
        },
        operation_id="trips_offers_make",
        description=VEHICLE_TYPE_RULE,
    )
    @idempotent
    def post(self, request, trip_id):
        who = caller(request)
        trip = selectors.trip_staffed(caller=who, trip_id=trip_id)
        data = OfferInput(data=request.data)
        data.is_valid(raise_exception=True)
        offer = offers.offer_make(
            trip_id=trip.id,
            shift_id=data.validated_data["shift_id"],
            actor_id=who.user_id,
            timeout_s=data.validated_data.get("timeout_seconds"),
        )
        return Response(OfferOutput(offer).data, status=201)


class MyOffersApi(APIView):
    permission_classes = [HasRole.of(Role.DRIVER)]

    @extend_schema(tags=["driver app"], responses={200: OfferOutput(many=True)}, operation_id="trips_offers_mine")
    def get(self, request):
        return paginated(self, request, selectors.offers_mine(caller=caller(request)), OfferOutput)


class OfferAnswerApi(APIView):
    permission_classes = [HasRole.of(Role.DRIVER)]
    accept = True

    def answer(self, request, offer_id, accept):
        who = caller(request)
        data = AnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        offer = offers.offer_answer(
            offer_id=offer_id,
            driver_ids=who.driver_ids,
            accept=accept,
            actor_id=who.user_id,
            reason=data.validated_data["reason"],
        )
        return Response(OfferOutput(offer).data)


class OfferAcceptApi(OfferAnswerApi):
    @extend_schema(
        tags=["driver app"],
        request=AnswerInput,
        responses={200: OfferOutput, **problems(409)},
        operation_id="trips_offers_accept",
    )
    @idempotent
    def post(self, request, offer_id):
        return self.answer(request, offer_id, True)


class OfferRejectApi(OfferAnswerApi):
    @extend_schema(
        tags=["driver app"],
        request=AnswerInput,
        responses={200: OfferOutput, **problems(409)},
        operation_id="trips_offers_reject",
    )
    @idempotent
    def post(self, request, offer_id):
        return self.answer(request, offer_id, False)
