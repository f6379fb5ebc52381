"""Shapes of what dispatch sends out: the REST responses, the screen snapshot and the feed messages share them,
so a screen reads a plan the same way whether it came over REST or the websocket."""

from __future__ import annotations

import uuid

from rest_framework import serializers

from apps.dispatch.contracts import JobStatus, PlanStatus


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


class JobOutput(serializers.Serializer):
    id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=[s.value for s in JobStatus])
    seconds = serializers.IntegerField(help_text="the solver's time limit")
    from_plan_id = serializers.UUIDField(allow_null=True)
    attempts = serializers.IntegerField()
    worker = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField()
    plan_id = serializers.SerializerMethodField()

    def get_plan_id(self, job) -> uuid.UUID | None:
        return job.stats.get("plan_id")


class PlanStopOutput(serializers.Serializer):
    trip_id = serializers.UUIDField()
    sequence = serializers.IntegerField()
    kind = serializers.CharField()
    address = serializers.CharField()
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    eta = serializers.DateTimeField(help_text="planned start of service")
    window_end = serializers.DateTimeField(allow_null=True)


class PlanRouteOutput(serializers.Serializer):
    shift_id = serializers.UUIDField()
    driver_id = serializers.UUIDField()
    vehicle_id = serializers.UUIDField()
    registration = serializers.CharField()
    distance_m = serializers.IntegerField()
    ends_at = serializers.DateTimeField()
    stops = PlanStopOutput(many=True)


class UnservedOutput(serializers.Serializer):
    trip_id = serializers.UUIDField()
    reason = serializers.CharField()


class OutcomeOutput(serializers.Serializer):
    result = serializers.ChoiceField(choices=["assigned", "unchanged", "skipped"])
    reason = serializers.CharField(required=False)
    shift_id = serializers.UUIDField(required=False)


class PlanOutput(serializers.Serializer):
    id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=[s.value for s in PlanStatus])
    job_id = serializers.UUIDField(allow_null=True)
    based_on_id = serializers.UUIDField(allow_null=True)
    origin = serializers.DateTimeField()
    distance_m = serializers.IntegerField()
    routes = PlanRouteOutput(many=True)
    unserved = UnservedOutput(many=True)
    created_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.DictField(child=OutcomeOutput(), help_text="per trip id: what accepting did")


class SnapshotOutput(serializers.Serializer):
    fleet_id = serializers.UUIDField()
    seq = serializers.IntegerField(help_text="feed messages numbered up to this are reflected here")
    generated_at = serializers.DateTimeField()
    drivers = SnapshotDriver(many=True)
    shifts = SnapshotShift(many=True)
    trips = SnapshotTrip(many=True)
    plan = PlanOutput(allow_null=True, help_text="the newest proposed or accepted route plan")
    jobs = JobOutput(many=True, help_text="the latest routing jobs")
