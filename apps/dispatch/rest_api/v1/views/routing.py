"""Route optimisation over REST: routing jobs, route plans, accepting a plan and inserting a trip into one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.dispatch import selectors
from apps.dispatch.schemas import JobOutput, PlanOutput
from apps.dispatch.services import plans, routing_jobs
from logitrack.http.pagination import KeysetPagination
from logitrack.http.params import keyset_paginated
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import problems
from logitrack.http.serializers import StrictInputSerializer

STAFF = selectors.STAFF
NOT_PROPOSED = problems(**{"409": "the plan is no longer proposed, or the trip cannot go in it"})


class RoutingJobListApi(APIView):
    """Optimise the fleet's open trips over its open shifts (queued on the routing workers), or list the runs."""

    permission_classes = [HasRole.of(*STAFF)]
    pagination_class = KeysetPagination  # newest first, by cursor

    class InputSerializer(StrictInputSerializer):
        seconds = serializers.IntegerField(min_value=1, max_value=120, default=10, help_text="solver time limit")
        from_plan_id = serializers.UUIDField(required=False, help_text="start from this plan (re-optimisation)")

    @extend_schema(tags=["dispatch"], responses={200: JobOutput(many=True)}, operation_id="routing_jobs_list")
    def get(self, request, fleet_id):
        jobs = selectors.jobs_visible(principal=require_principal(request), fleet_id=fleet_id)
        return keyset_paginated(self, request, jobs, JobOutput)

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
    pagination_class = KeysetPagination  # newest first, by cursor

    @extend_schema(tags=["dispatch"], responses={200: PlanOutput(many=True)}, operation_id="plans_list")
    def get(self, request, fleet_id):
        found = selectors.plans_visible(principal=require_principal(request), fleet_id=fleet_id)
        return keyset_paginated(self, request, found, PlanOutput)


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
