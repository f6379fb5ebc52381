"""Stops: the driver arrives at, finishes (with proof for drop-offs) or fails a stop; the proof is shown to the
fleet's staff and the trip's customer."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.trips import selectors
from apps.trips.rest_api.v1.serializers.stops import DoneSerializer, FailSerializer, ProofOutput
from apps.trips.rest_api.v1.serializers.trips import TripOutput
from apps.trips.rest_api.v1.views._common import IF_MATCH, VERSIONED, caller, expected_version, with_etag
from apps.trips.services import stops
from logitrack.http import downloads
from logitrack.http.parsers import JSONParser
from logitrack.http.principal import HasRole, IsAuthenticatedPrincipal
from logitrack.http.schema import file_download
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role


class StopActionApi(APIView):
    """The driver arrives at, finishes (with proof for drop-offs) or fails a stop; the fleet's staff may fail one."""

    permission_classes = [HasRole.of(Role.DRIVER)]
    parser_classes = [MultiPartParser, JSONParser]

    def act(self, request, trip_id, sequence, action):
        who = caller(request)
        trip, role = selectors.stop_handler(caller=who, trip_id=trip_id, action=action)
        version = expected_version(request)
        common = {"trip_id": trip.id, "sequence": sequence, "actor_id": who.user_id, "expected_version": version}
        if action == "arrive":
            stops.stop_arrive(**common)
        elif action == "done":
            data = DoneSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            stops.stop_done(**common, **data.validated_data)
        else:
            data = FailSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            stops.stop_fail(**common, reason=data.validated_data["reason"], role=role)
        return with_etag(selectors.trip_seen(caller=who, trip_id=trip.id))


class StopArriveApi(StopActionApi):
    @extend_schema(
        tags=["driver app"],
        parameters=[IF_MATCH],
        request=None,
        responses={200: TripOutput, **VERSIONED},
        operation_id="trips_stops_arrive",
    )
    @idempotent
    def post(self, request, trip_id, sequence):
        return self.act(request, trip_id, sequence, "arrive")


class StopDoneApi(StopActionApi):
    @extend_schema(
        tags=["driver app"],
        parameters=[IF_MATCH],
        request={"multipart/form-data": DoneSerializer},
        responses={200: TripOutput, **VERSIONED},
        operation_id="trips_stops_done",
    )
    @idempotent
    def post(self, request, trip_id, sequence):
        return self.act(request, trip_id, sequence, "done")


class StopFailApi(StopActionApi):
    permission_classes = [HasRole.of(Role.DRIVER, Role.DISPATCHER, Role.FLEET_MANAGER)]

    @extend_schema(
        tags=["driver app"],
        parameters=[IF_MATCH],
        request=FailSerializer,
        responses={200: TripOutput, **VERSIONED},
        operation_id="trips_stops_fail",
        description="The trip's driver, or a dispatcher or manager of its fleet, marks the stop failed with a reason "
        "(a pickup while at the pickup or in progress, a drop-off while in progress); the timeline says who.",
    )
    @idempotent
    def post(self, request, trip_id, sequence):
        return self.act(request, trip_id, sequence, "fail")


class ProofApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    @extend_schema(tags=["trips"], responses={200: ProofOutput}, operation_id="trips_stops_proof")
    def get(self, request, trip_id, sequence):
        return Response(
            ProofOutput(selectors.proof_seen(caller=caller(request), trip_id=trip_id, sequence=sequence)).data
        )


class ProofFileApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]
    renderer_classes = downloads.renderers("image/png", "image/jpeg")

    @extend_schema(
        tags=["trips"],
        responses=file_download("image/png", "image/jpeg", description="the signature (PNG) or photo (JPEG, PNG)"),
        operation_id="trips_stops_proof_file",
    )
    def get(self, request, trip_id, sequence, which):
        found, content_type = selectors.proof_file(
            caller=caller(request), trip_id=trip_id, sequence=sequence, which=which
        )
        return downloads.file_response(request, found, content_type=content_type)
