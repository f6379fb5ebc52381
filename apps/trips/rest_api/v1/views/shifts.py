"""Shifts: planned and listed by staff, started and ended by their driver, cancelled while planned."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.trips import selectors
from apps.trips.rest_api.v1.filters import ShiftFilter
from apps.trips.rest_api.v1.serializers.shifts import OdometerInput, PlanSerializer, ShiftOutput
from apps.trips.rest_api.v1.views._common import caller
from apps.trips.services import shifts
from logitrack.http.filters import FilteredList
from logitrack.http.pagination import KeysetPagination
from logitrack.http.params import keyset_paginated
from logitrack.http.principal import HasRole
from logitrack.http.schema import problems
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role


class ShiftListApi(FilteredList, APIView):
    permission_classes = [HasRole.of(Role.DISPATCHER, Role.FLEET_MANAGER, Role.DRIVER)]
    filterset_class = ShiftFilter
    pagination_class = KeysetPagination.ordered_by("-starts_at", "-id")  # a fleet's shifts pile up day after day

    @extend_schema(
        tags=["trips"],
        responses={200: ShiftOutput(many=True)},
        operation_id="trips_shifts_list",
        description="Latest start first (planned shifts ahead of the running and past ones), by cursor (`next`, "
        "`previous`; `count` with `count=true`).",
    )
    def get(self, request):
        who = caller(request)
        visible = selectors.shift_visibility(principal=who.principal, driver_ids=who.driver_ids)
        shifts_seen = self.filter_queryset(selectors.shifts_listed())
        return keyset_paginated(self, request, shifts_seen, ShiftOutput, branches=visible)

    @extend_schema(
        tags=["trips"],
        request=PlanSerializer,
        responses={201: ShiftOutput, **problems(404, 409)},
        operation_id="trips_shifts_plan",
    )
    @idempotent
    def post(self, request):
        who = caller(request)
        data = PlanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        selectors.fleet_staffed(caller=who, fleet_id=data.validated_data["fleet_id"])
        shift = shifts.shift_plan(planned_by_id=who.user_id, **data.validated_data)
        return Response(ShiftOutput(shift).data, status=201)


class ShiftStartEndApi(APIView):
    """The driver starts and ends their shift from the app, with odometer readings."""

    permission_classes = [HasRole.of(Role.DRIVER)]
    end = False

    @extend_schema(tags=["driver app"], request=OdometerInput, responses={200: ShiftOutput, **problems(409)})
    @idempotent
    def post(self, request, shift_id):
        shift = selectors.shift_seen(caller=caller(request), shift_id=shift_id, as_driver=True)
        data = OdometerInput(data=request.data)
        data.is_valid(raise_exception=True)
        action = shifts.shift_end if self.end else shifts.shift_start
        return Response(ShiftOutput(action(shift_id=shift.id, odometer_km=data.validated_data["odometer_km"])).data)


class ShiftCancelApi(APIView):
    permission_classes = [HasRole.of(Role.DISPATCHER, Role.FLEET_MANAGER)]

    @extend_schema(
        tags=["trips"],
        request=None,
        responses={200: ShiftOutput, **problems(409)},
        operation_id="trips_shifts_cancel",
    )
    @idempotent
    def post(self, request, shift_id):
        shift = selectors.shift_seen(caller=caller(request), shift_id=shift_id, as_staff=True)
        return Response(ShiftOutput(shifts.shift_cancel(shift_id=shift.id)).data)
