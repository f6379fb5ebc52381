"""Dispatch REST API: buffered position uploads, driver trails, and the screen snapshot."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.dispatch import domain, selectors, services
from logitrack.exceptions import NotFound
from logitrack.http.params import paginated
from logitrack.http.principal import HasRole, require_fleet, require_principal
from logitrack.http.serializers import StrictInputSerializer
from logitrack.principal import Role

STAFF = (Role.DISPATCHER, Role.FLEET_MANAGER)


class PingInput(StrictInputSerializer):
    ping_id = serializers.UUIDField(help_text="chosen by the app; resending the same id stores nothing new")
    lat = serializers.FloatField(min_value=-domain.LAT_LIMIT, max_value=domain.LAT_LIMIT)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    recorded_at = serializers.DateTimeField(help_text="when the device took the fix, with its UTC offset")
    accuracy_m = serializers.FloatField(min_value=0, max_value=domain.MAX_ACCURACY_M, required=False, allow_null=True)
    heading = serializers.FloatField(min_value=0, max_value=360, required=False, allow_null=True)
    speed_mps = serializers.FloatField(min_value=0, max_value=domain.MAX_SPEED_MPS, required=False, allow_null=True)
    driver_id = serializers.UUIDField(required=False, help_text="optional; must be your own driver id")


class PositionUploadApi(APIView):
    """A driver app's buffered positions (sent when it was offline). All valid or none stored."""

    permission_classes = [HasRole.of(Role.DRIVER)]

    class InputSerializer(StrictInputSerializer):
        fleet_id = serializers.UUIDField(required=False, help_text="needed only if you drive for several fleets")
        pings = serializers.ListField(child=PingInput(), min_length=1, max_length=domain.MAX_BATCH)

    class OutputSerializer(serializers.Serializer):
        stored = serializers.ListField(child=serializers.UUIDField(), help_text="ping ids stored now")
        duplicates = serializers.ListField(child=serializers.UUIDField(), help_text="ping ids already stored before")
        live = serializers.BooleanField(help_text="whether the newest ping moved you on the live map")

    @extend_schema(
        tags=["driver app"], request=InputSerializer, responses={200: OutputSerializer}, operation_id="positions_upload"
    )
    def post(self, request):
        principal = require_principal(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = services.positions_upload(
            user_id=principal.user_id, fleet_id=data.validated_data.get("fleet_id"), raw_pings=request.data["pings"]
        )
        return Response(
            self.OutputSerializer(
                {"stored": outcome.stored, "duplicates": outcome.duplicates, "live": bool(outcome.moved)}
            ).data
        )


class TrailPointOutput(serializers.Serializer):
    ping_id = serializers.UUIDField()
    recorded_at = serializers.DateTimeField()
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    accuracy_m = serializers.FloatField(allow_null=True)
    heading = serializers.FloatField(allow_null=True)
    speed_mps = serializers.FloatField(allow_null=True)


MAX_TRAIL = dt.timedelta(days=7)


class TrailApi(APIView):
    """Where a driver went between two times (default: the last hour). Their fleet's staff, or the driver."""

    permission_classes = [HasRole.of(Role.DRIVER, *STAFF)]

    class QuerySerializer(serializers.Serializer):
        start = serializers.DateTimeField(required=False)
        end = serializers.DateTimeField(required=False)

    @extend_schema(
        tags=["dispatch"],
        parameters=[
            OpenApiParameter("start", dt.datetime, description="from (inclusive); default: an hour before `end`"),
            OpenApiParameter("end", dt.datetime, description="until (exclusive); default: now"),
        ],
        responses={200: TrailPointOutput(many=True)},
        operation_id="driver_trail",
    )
    def get(self, request, driver_id):
        principal = require_principal(request)
        params = self.QuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        end = params.validated_data.get("end") or timezone.now()
        start = params.validated_data.get("start") or end - dt.timedelta(hours=1)
        if not start < end or end - start > MAX_TRAIL:
            raise serializers.ValidationError({"start": [f"start must be before end, at most {MAX_TRAIL.days} days"]})
        if not selectors.trail_visible_to(principal=principal, driver_id=driver_id):
            raise NotFound("no such driver", code="dispatch.driver_not_found")
        return paginated(self, request, selectors.trail(driver_id=driver_id, start=start, end=end), TrailPointOutput)


class SnapshotStop(serializers.Serializer):
    sequence = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    address = serializers.CharField()
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    window_start = serializers.DateTimeField(allow_null=True)
    window_end = serializers.DateTimeField(allow_null=True)


class SnapshotDispatch(serializers.Serializer):
    status = serializers.CharField(help_text="auto-dispatch: searching, offered, assigned, flagged or closed")
    offers_made = serializers.IntegerField()
    flag_reason = serializers.CharField()


class SnapshotTrip(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    vehicle_type = serializers.CharField()
    weight_kg = serializers.IntegerField()
    seats = serializers.IntegerField()
    driver_id = serializers.UUIDField(allow_null=True)
    shift_id = serializers.UUIDField(allow_null=True)
    requested_for = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    stops = SnapshotStop(many=True)
    dispatch = SnapshotDispatch(allow_null=True)


class SnapshotDriver(serializers.Serializer):
    driver_id = serializers.UUIDField()
    name = serializers.CharField()
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    heading = serializers.FloatField(allow_null=True)
    speed_mps = serializers.FloatField(allow_null=True)
    recorded_at = serializers.DateTimeField()
    shift_id = serializers.UUIDField(allow_null=True)


class SnapshotShift(serializers.Serializer):
    id = serializers.UUIDField()
    driver_id = serializers.UUIDField()
    driver_name = serializers.CharField()
    vehicle_id = serializers.UUIDField()
    vehicle_type = serializers.CharField()
    registration = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.CharField()
    load_weight_kg = serializers.IntegerField()


class SnapshotOutput(serializers.Serializer):
    fleet_id = serializers.UUIDField()
    seq = serializers.IntegerField(help_text="feed messages numbered up to this are reflected here")
    generated_at = serializers.DateTimeField()
    drivers = SnapshotDriver(many=True)
    shifts = SnapshotShift(many=True)
    trips = SnapshotTrip(many=True)


class SnapshotApi(APIView):
    """The dispatch screen's state with the feed sequence it reflects: load it after a gap in the sequence."""

    permission_classes = [HasRole.of(*STAFF)]

    @extend_schema(tags=["dispatch"], responses={200: SnapshotOutput}, operation_id="snapshot")
    def get(self, request, fleet_id):
        require_fleet(request, fleet_id, *STAFF)
        return Response(SnapshotOutput(selectors.fleet_snapshot(fleet_id=fleet_id)).data)
