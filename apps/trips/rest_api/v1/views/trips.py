"""Trips: book one, list (and search) those you may see, read one (its customer also gets the tracking link and PINs,
its fleet's staff the link and who is on it); the customers a dispatcher may book for."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.trips import selectors
from apps.trips.rest_api.v1.filters import TripFilter
from apps.trips.rest_api.v1.serializers.trips import (
    BookedOutput,
    BookSerializer,
    CustomerOutput,
    CustomerQuery,
    TripDetailOutput,
    TripOutput,
    page_context,
)
from apps.trips.rest_api.v1.views._common import caller, tracking_url, with_etag
from apps.trips.services import booking
from logitrack.http.filters import FilteredList
from logitrack.http.pagination import KeysetPagination
from logitrack.http.params import keyset_paginated
from logitrack.http.principal import HasRole, IsAuthenticatedPrincipal
from logitrack.http.schema import problems
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role


class TripListApi(FilteredList, APIView):
    permission_classes = [IsAuthenticatedPrincipal]
    key_scopes = {"GET": "trips:read", "POST": "trips:book"}  # what an integrator's API key needs (apps/identity)
    filterset_class = TripFilter
    pagination_class = KeysetPagination  # newest first; a customer's list grows with every trip

    @extend_schema(
        tags=["trips"],
        responses={200: TripOutput(many=True)},
        operation_id="trips_list",
        description="Newest first, by cursor (`next`, `previous`; `count` with `count=true`).",
    )
    def get(self, request):
        who = caller(request)
        visible = selectors.trip_visibility(principal=who.principal, driver_ids=who.driver_ids)
        trips = self.filter_queryset(selectors.trips_listed())
        return keyset_paginated(
            self, request, trips, TripOutput, context=page_context, branches=visible, rows_of=selectors.trips_by_ids
        )

    @extend_schema(
        tags=["trips"],
        request=BookSerializer,
        responses={201: BookedOutput, **problems(404)},
        operation_id="trips_book",
        description="A customer books for themselves; a dispatcher or manager of the fleet for nobody or for a "
        "customer account (`customer_id`; not one: `400 trips.customer_not_found`).",
    )
    @idempotent
    def post(self, request):
        who = caller(request)
        data = BookSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        role, customer_id = selectors.booking_for(caller=who, fleet_id=v["fleet_id"], customer_id=v["customer_id"])
        booked = booking.trip_book(
            fleet_id=v["fleet_id"],
            booked_by_id=who.user_id,
            customer_id=customer_id,
            vehicle_type=v["vehicle_type"],
            service=v["service"],
            stops=[booking.StopInput(**s) for s in v["stops"]],
            load=booking.Load(
                weight_kg=v["weight_kg"], volume_m3=v["volume_m3"], parcels=v["parcels"], seats=v["seats"]
            ),
            quote_id=v["quote_id"],
            requested_for=v["requested_for"],
            role=role,
            require_pin=v["require_pin"],
        )
        response = with_etag(booked.trip, status=201)
        response.data["tracking_url"] = tracking_url(request, booked.tracking_token)
        response.data["pins"] = {str(k): pin for k, pin in booked.pins.items()}
        return response


class TripDetailApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]
    key_scopes = {"GET": "trips:read"}  # what an integrator's API key needs (apps/identity)

    @extend_schema(
        tags=["trips"],
        responses={200: TripDetailOutput},
        operation_id="trips_get",
        description="The trip. Its customer also gets the tracking link and the drop-off PINs again "
        "(`tracking_url`, `pins`); its fleet's dispatchers and managers the tracking link, the customer's and "
        "driver's names, the vehicle and the stops' contact phones (`customer_name`, `driver_name`, `vehicle`, "
        "`stops[].contact_phone`). Whoever is not meant to see one of these gets null.",
    )
    def get(self, request, trip_id):
        found = selectors.trip_detail(caller=caller(request), trip_id=trip_id)
        trip, people = found.trip, found.people
        trip.tracking_url = tracking_url(request, found.tracking_token) if found.tracking_token else None
        trip.pins = {str(k): pin for k, pin in found.pins.items()} if found.pins is not None else None
        trip.customer_name = people.customer_name if people else None
        trip.driver_name = people.driver_name if people else None
        trip.vehicle = people.vehicle if people else None
        return with_etag(trip, serializer=TripDetailOutput, context={"staff": found.staff})


class CustomersToBookForApi(APIView):
    permission_classes = [HasRole.of(Role.DISPATCHER, Role.FLEET_MANAGER)]
    paginated = False  # at most 10 matches: a plain list, not a page (logitrack.http.schema)

    @extend_schema(
        tags=["trips"],
        parameters=[CustomerQuery],
        responses={200: CustomerOutput(many=True), **problems(404)},
        operation_id="trips_fleet_customers",
        description="Customers the fleet's staff may book a trip for (`customer_id` of a booking) whose name or "
        "email contains `q`: among those who already have a trip with this fleet, or anyone's account by its "
        'exact email (one new to this fleet with `name` "" and `email` as typed: its name is withheld); at most '
        "10, by name. `404 fleet.not_found` for a fleet the caller does not staff.",
    )
    def get(self, request, fleet_id):
        query = CustomerQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = selectors.customers_to_book_for(
            caller=caller(request), fleet_id=fleet_id, text=query.validated_data["q"]
        )
        return Response(CustomerOutput(found, many=True).data)
