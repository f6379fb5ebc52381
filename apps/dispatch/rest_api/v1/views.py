"""Dispatch REST API: buffered position uploads, driver trails, routing jobs and plans, the screen snapshot.

Each view parses its input, asks dispatch's selectors what the caller may see (they decide it, once), calls one
service or selector and renders the answer."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.dispatch import domain, selectors
from apps.dispatch.models import PositionPing
from apps.dispatch.rest_api.v1.filters import TrailFilter
from apps.dispatch.schemas import JobOutput, PlanOutput, SnapshotOutput
from apps.dispatch.services import plans, positions, routing_jobs
from logitrack.http.params import paginated
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.principal import Role

STAFF = selectors.STAFF
NOT_PROPOSED = problems(**{"409": "the plan is no longer proposed, or the trip cannot go in it"})


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


class TrailApi(APIView):
    """Where a driver went between two times (default: the last hour). Their fleet's staff, or the driver."""

    permission_classes = [HasRole.of(Role.DRIVER, *STAFF)]
    filter_backends = [DjangoFilterBackend]  # for the schema: the parameters are TrailFilter's
    filterset_class = TrailFilter
    queryset = PositionPing.objects.none()  # for the schema: the model TrailFilter filters; never read here

    @extend_schema(tags=["dispatch"], responses={200: TrailPointOutput(many=True)}, operation_id="driver_trail")
    def get(self, request, driver_id):
        principal = require_principal(request)
        window = TrailFilter(request.query_params)
        if not window.is_valid():
            raise translate_validation(window.errors)
        rows = window.filter_queryset(selectors.trail_visible(principal=principal, driver_id=driver_id))
        return paginated(self, request, rows, TrailPointOutput)


# ---- route optimisation ------------------------------------------------------------------------------------


class RoutingJobListApi(APIView):
    """Optimise the fleet's open trips over its open shifts (queued on the routing workers), or list the runs."""

    permission_classes = [HasRole.of(*STAFF)]

    class InputSerializer(StrictInputSerializer):
        seconds = serializers.IntegerField(min_value=1, max_value=120, default=10, help_text="solver time limit")
        from_plan_id = serializers.UUIDField(required=False, help_text="start from this plan (re-optimisation)")

    @extend_schema(tags=["dispatch"], responses={200: JobOutput(many=True)}, operation_id="routing_jobs_list")
    def get(self, request, fleet_id):
        jobs = selectors.jobs_visible(principal=require_principal(request), fleet_id=fleet_id)
        return paginated(self, request, jobs, JobOutput)

    @extend_schema(
        tags=["dispatch"], request=InputSerializer, responses={202: JobOutput}, operation_id="routing_jobs_create"
    )
    def post(self, request, fleet_id):
        principal = require_principal(request)
        fleet_id = selectors.fleet_for(principal=principal, fleet_id=fleet_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = routing_jobs.routing_job_create(
            fleet_id=fleet_id,
            seconds=data.validated_data["seconds"],
            actor_id=principal.user_id,
            from_plan_id=data.validated_data.get("from_plan_id"),
        )
        return Response(JobOutput(job).data, status=202)


class RoutingJobApi(APIView):
    permission_classes = [HasRole.of(*STAFF)]

    @extend_schema(tags=["dispatch"], responses={200: JobOutput}, operation_id="routing_job")
    def get(self, request, job_id):
        return Response(JobOutput(selectors.job_for(principal=require_principal(request), job_id=job_id)).data)


class PlanListApi(APIView):
    permission_classes = [HasRole.of(*STAFF)]

    @extend_schema(tags=["dispatch"], responses={200: PlanOutput(many=True)}, operation_id="plans_list")
    def get(self, request, fleet_id):
        plans_ = selectors.plans_visible(principal=require_principal(request), fleet_id=fleet_id)
        return paginated(self, request, plans_, PlanOutput)


class PlanApi(APIView):
    permission_classes = [HasRole.of(*STAFF)]

    @extend_schema(tags=["dispatch"], responses={200: PlanOutput}, operation_id="plan")
    def get(self, request, plan_id):
        return Response(PlanOutput(selectors.plan_for(principal=require_principal(request), plan_id=plan_id)).data)


class PlanAcceptApi(APIView):
    """Assign the plan's trips to its shifts (through trips, with its checks); trips that changed are reported."""

    permission_classes = [HasRole.of(*STAFF)]

    @extend_schema(
        tags=["dispatch"],
        request=None,
        responses={
            200: PlanOutput,
            **problems(
                **{
                    "409": "the plan is no longer proposed (`dispatch.plan_not_acceptable`), or it puts a waiting trip "
                    "on a vehicle of another type than the one booked (`dispatch.vehicle_type_mismatch`, with "
                    "`trips`: trip_id, booked_vehicle_type, vehicle_type); nothing is assigned then"
                }
            ),
        },
        operation_id="plan_accept",
        description="Assigns the plan's waiting trips to its shifts. A trip goes only on a vehicle of exactly the "
        "type it was booked for: a plan that breaks this is refused whole.",
    )
    def post(self, request, plan_id):
        principal = require_principal(request)
        plan = selectors.plan_for(principal=principal, plan_id=plan_id)
        return Response(PlanOutput(plans.plan_accept(plan_id=plan.id, actor_id=principal.user_id)).data)


class PlanInsertApi(APIView):
    """A new proposed plan with one more trip put in the cheapest feasible place; nothing else moves."""

    permission_classes = [HasRole.of(*STAFF)]

    class InputSerializer(StrictInputSerializer):
        trip_id = serializers.UUIDField()

    @extend_schema(
        tags=["dispatch"],
        request=InputSerializer,
        responses={201: PlanOutput, **NOT_PROPOSED},
        operation_id="plan_insert",
    )
    def post(self, request, plan_id):
        plan = selectors.plan_for(principal=require_principal(request), plan_id=plan_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = plans.plan_insert(plan_id=plan.id, trip_id=data.validated_data["trip_id"])
        return Response(PlanOutput(new).data, status=201)


class SnapshotApi(APIView):
    """The dispatch screen's state with the feed sequence it reflects: load it after a gap in the sequence."""

    permission_classes = [HasRole.of(*STAFF)]

    @extend_schema(tags=["dispatch"], responses={200: SnapshotOutput}, operation_id="snapshot")
    def get(self, request, fleet_id):
        snapshot = selectors.snapshot_for(principal=require_principal(request), fleet_id=fleet_id)
        return Response(SnapshotOutput(snapshot).data)
