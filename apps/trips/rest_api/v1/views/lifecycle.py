"""Moving a trip: lifecycle steps (If-Match), assignment to a shift by a dispatcher, and the timeline."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from apps.trips import selectors
from apps.trips.rest_api.v1.serializers.lifecycle import (
    AssignInput,
    TimelineEntryOutput,
    TransitionInput,
    UnassignInput,
)
from apps.trips.rest_api.v1.serializers.trips import TripOutput
from apps.trips.rest_api.v1.views._common import (
    ASSIGN_PROBLEMS,
    IF_MATCH,
    UNASSIGN_PROBLEMS,
    VEHICLE_TYPE_RULE,
    VERSIONED,
    caller,
    expected_version,
    with_etag,
)
from apps.trips.services import assignment, lifecycle
from logitrack.exceptions import PermissionDenied
from logitrack.http.params import paginated
from logitrack.http.principal import HasRole, IsAuthenticatedPrincipal
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role
from logitrack.types import GeoPoint


class TransitionApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]
    # an integrator's key may only cancel (an order called off in their shop); the driving steps are people's
    key_scopes = {"POST": "trips:cancel"}

    @extend_schema(
        tags=["trips"],
        parameters=[IF_MATCH],
        request=TransitionInput,
        responses={200: TripOutput, **VERSIONED},
        operation_id="trips_transition",
    )
    @idempotent
    def post(self, request, trip_id):
        who = caller(request)
        trip = selectors.trip_seen(caller=who, trip_id=trip_id)
        data = TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if who.principal.is_api_key and v["action"] != "cancel":
            raise PermissionDenied(
                "an API key may only cancel a trip; its other steps are the driver's and the dispatcher's",
                code="auth.scope_missing",
            )
        role = selectors.actor_role(caller=who, trip=trip, action=v["action"])
        location = GeoPoint(v["lat"], v["lng"]) if "lat" in v and "lng" in v else None
        updated = lifecycle.trip_transition(
            trip_id=trip.id,
            action=v["action"],
            actor_id=who.user_id,
            role=role,
            expected_version=expected_version(request),
            reason=v["reason"],
            location=location,
            distance_m=v.get("distance_m"),
            waiting_s=v["waiting_s"],
        )
        return with_etag(updated)


class AssignApi(APIView):
    permission_classes = [HasRole.of(Role.DISPATCHER, Role.FLEET_MANAGER)]

    @extend_schema(
        tags=["trips"],
        parameters=[IF_MATCH],
        request=AssignInput,
        responses={200: TripOutput, **ASSIGN_PROBLEMS},
        operation_id="trips_assign",
        description=VEHICLE_TYPE_RULE,
    )
    @idempotent
    def post(self, request, trip_id):
        who = caller(request)
        trip = selectors.trip_staffed(caller=who, trip_id=trip_id)
        data = AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        updated = assignment.trip_assign(
            trip_id=trip.id,
            actor_id=who.user_id,
            expected_version=expected_version(request),
            **data.validated_data,
        )
        return with_etag(updated)


class UnassignApi(APIView):
    permission_classes = [HasRole.of(Role.DISPATCHER, Role.FLEET_MANAGER)]

    @extend_schema(
        tags=["trips"],
        parameters=[IF_MATCH],
        request=UnassignInput,
        responses={200: TripOutput, **UNASSIGN_PROBLEMS},
        operation_id="trips_unassign",
        description="Take the trip back from its driver before the goods are on board (assigned, en route, or at "
        "the pickup with no stop done or failed): it is `requested` again with no shift, driver or vehicle, and "
        "auto-dispatch leaves it to a dispatcher (flagged with the reason) instead of offering it again.",
    )
    @idempotent
    def post(self, request, trip_id):
        who = caller(request)
        trip = selectors.trip_staffed(caller=who, trip_id=trip_id)
        data = UnassignInput(data=request.data)
        data.is_valid(raise_exception=True)
        updated = assignment.trip_unassign(
            trip_id=trip.id,
            actor_id=who.user_id,
            reason=data.validated_data["reason"],
            expected_version=expected_version(request),
        )
        return with_etag(updated)


class TimelineApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]
    key_scopes = {"GET": "trips:read"}  # what an integrator's API key needs (apps/identity)

    @extend_schema(tags=["trips"], responses={200: TimelineEntryOutput(many=True)}, operation_id="trips_timeline")
    def get(self, request, trip_id):
        timeline = selectors.timeline_of(caller=caller(request), trip_id=trip_id)
        return paginated(self, request, timeline, TimelineEntryOutput)
