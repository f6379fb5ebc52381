"""Trips: book one, list those you may see, read one (its customer also gets the tracking link and PINs)."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.views import APIView

from apps.trips import selectors
from apps.trips.contracts import ActorRole, TripStatus
from apps.trips.rest_api.v1.serializers.trips import (
    BookedOutput,
    BookSerializer,
    TripDetailOutput,
    TripOutput,
    fares_context,
)
from apps.trips.rest_api.v1.views._common import driver_ids, tracking_url, trip_of, with_etag
from apps.trips.services import booking
from logitrack.exceptions import NotFound
from logitrack.http.params import paginated, query_choice, query_uuid
from logitrack.http.principal import IsAuthenticatedPrincipal, require_principal
from logitrack.http.schema import problems
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role


class TripListApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    @extend_schema(
        tags=["trips"],
        parameters=[
            OpenApiParameter("status", str, enum=[s.value for s in TripStatus]),
            OpenApiParameter("fleet_id", uuid.UUID),
        ],
        responses={200: TripOutput(many=True)},
        operation_id="trips_list",
    )
    def get(self, request):
        principal = require_principal(request)
        qs = selectors.trips_visible(principal=principal, driver_ids=driver_ids(principal))
        status = query_choice(request, "status", [s.value for s in TripStatus])
        fleet_id = query_uuid(request, "fleet_id")
        if status:
            qs = qs.filter(status=status)
        if fleet_id:
            qs = qs.filter(fleet_id=fleet_id)
        return paginated(self, request, qs, TripOutput, context=fares_context)

    @extend_schema(
        tags=["trips"],
        request=BookSerializer,
        responses={201: BookedOutput, **problems(404)},
        operation_id="trips_book",
    )
    @idempotent
    def post(self, request):
        principal = require_principal(request)
        data = BookSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        staff = principal.may_act_on_fleet(v["fleet_id"], Role.DISPATCHER, Role.FLEET_MANAGER)
        if not staff and not principal.has_role(Role.CUSTOMER):
            raise NotFound("no such fleet", code="fleet.not_found")
        booked = booking.trip_book(
            fleet_id=v["fleet_id"],
            booked_by_id=principal.user_id,
            customer_id=(v["customer_id"] if staff else principal.user_id),
            vehicle_type=v["vehicle_type"],
            service=v["service"],
            stops=[booking.StopInput(**s) for s in v["stops"]],
            load=booking.Load(
                weight_kg=v["weight_kg"], volume_m3=v["volume_m3"], parcels=v["parcels"], seats=v["seats"]
            ),
            quote_id=v["quote_id"],
            requested_for=v["requested_for"],
            role=ActorRole.DISPATCHER if staff else ActorRole.CUSTOMER,
            require_pin=v["require_pin"],
        )
        response = with_etag(booked.trip, status=201)
        response.data["tracking_url"] = tracking_url(request, booked.tracking_token)
        response.data["pins"] = {str(k): pin for k, pin in booked.pins.items()}
        return response


class TripDetailApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    @extend_schema(
        tags=["trips"],
        responses={200: TripDetailOutput},
        operation_id="trips_get",
        description="The trip. Its customer also gets the tracking link and the drop-off PINs again "
        "(`tracking_url`, `pins`); everyone else sees them as null.",
    )
    def get(self, request, trip_id):
        principal = require_principal(request)
        trip = trip_of(request, trip_id)
        trip.tracking_url, trip.pins = None, None
        if trip.customer_id is not None and trip.customer_id == principal.user_id:
            token, pins = selectors.owner_secrets(trip=trip)
            trip.tracking_url = tracking_url(request, token) if token else None
            trip.pins = {str(k): pin for k, pin in pins.items()}
        return with_etag(trip, serializer=TripDetailOutput)
