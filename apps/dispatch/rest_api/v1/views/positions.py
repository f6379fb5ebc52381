"""Positions over REST: a driver app's buffered uploads, and a driver's trail."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.dispatch import domain, selectors
from apps.dispatch.rest_api.v1.filters import TrailFilter
from apps.dispatch.services import positions
from logitrack.http.filters import FilteredList
from logitrack.http.pagination import KeysetPagination
from logitrack.http.params import keyset_paginated
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.principal import Role

STAFF = selectors.STAFF


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
        """What the schema documents; the pings themselves are checked once, by dispatch's own rules (a DRF
        field-by-field pass over 500 pings cost more than storing them)."""

        fleet_id = serializers.UUIDField(required=False, help_text="needed only if you drive for several fleets")
        pings = serializers.ListField(child=PingInput(), min_length=1, max_length=domain.MAX_BATCH)

    class EnvelopeSerializer(StrictInputSerializer):
        fleet_id = serializers.UUIDField(required=False)
        pings = serializers.ListField(allow_empty=False)  # items: dispatch's own rules, once

    class OutputSerializer(serializers.Serializer):
        stored = serializers.ListField(child=serializers.UUIDField(), help_text="ping ids stored now")
        duplicates = serializers.ListField(child=serializers.UUIDField(), help_text="ping ids already stored before")
        live = serializers.BooleanField(help_text="whether the newest ping moved you on the live map")

    @extend_schema(
        tags=["driver app"],
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **problems(
                **{
                    "404": "you drive for no fleet by that id",
                    "409": "you are not on duty (`dispatch.not_on_duty`)",
                }
            ),
        },
        operation_id="positions_upload",
    )
    def post(self, request):
        principal = require_principal(request)
        data = self.EnvelopeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = positions.positions_upload(
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


class TrailApi(FilteredList, APIView):
    """Where a driver went between two times (default: the last hour). Their fleet's staff, or the driver."""

    permission_classes = [HasRole.of(Role.DRIVER, *STAFF)]
    filterset_class = TrailFilter
    # oldest first, by cursor: a day of pings at one every few seconds is tens of thousands of rows, and a page
    # after a cursor is a range of the ping_trail index (driver_id, recorded_at), not an offset into it
    pagination_class = KeysetPagination.ordered_by("recorded_at", "id")

    @extend_schema(tags=["dispatch"], responses={200: TrailPointOutput(many=True)}, operation_id="driver_trail")
    def get(self, request, driver_id):
        principal = require_principal(request)
        window = self.query_filters()  # the window is checked before the driver is looked up
        rows = window.filter_queryset(selectors.trail_visible(principal=principal, driver_id=driver_id))
        return keyset_paginated(self, request, rows, TrailPointOutput)
