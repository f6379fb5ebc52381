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


class TimingOutput(serializers.Serializer):
    next_stop = serializers.IntegerField(allow_null=True, help_text="sequence of the first stop not done or failed")
    eta = serializers.DateTimeField(allow_null=True, help_text="at the next stop, from the driver's live position")
    window_start = serializers.DateTimeField(allow_null=True)
    window_end = serializers.DateTimeField(allow_null=True)
    late_by_s = serializers.IntegerField(allow_null=True, help_text="ETA − window end: positive late, negative slack")
    state = serializers.ChoiceField(choices=["on_time", "at_risk", "late", "unknown"])
    as_of = serializers.DateTimeField()
    last_stop_late_by_s = serializers.IntegerField(
        allow_null=True, help_text="the last open stop's cumulative ETA − its window end"
    )


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
    customer_name = serializers.CharField(allow_blank=True)
    driver_name = serializers.CharField(allow_blank=True)
    registration = serializers.CharField(allow_blank=True)
    timing = TimingOutput()


class SnapshotDriver(serializers.Serializer):
    driver_id = serializers.UUIDField()
    name = serializers.CharField(allow_blank=True)
    lat = serializers.FloatField(allow_null=True, help_text="null: on shift, but no live position")
    lng = serializers.FloatField(allow_null=True)
    heading = serializers.FloatField(allow_null=True)
    speed_mps = serializers.FloatField(allow_null=True)
    recorded_at = serializers.DateTimeField(allow_null=True)
    shift_id = serializers.UUIDField(allow_null=True)
    state = serializers.ChoiceField(choices=["idle", "offered", "on_trip", "stale"])
    stale = serializers.BooleanField(help_text="no ping within DISPATCH_STALE_SECONDS (also while on a trip)")
    last_ping_at = serializers.DateTimeField(allow_null=True)
    trip_ids = serializers.ListField(child=serializers.UUIDField(), help_text="open trips the driver holds")
    vehicle_type = serializers.CharField(allow_blank=True)
    registration = serializers.CharField(allow_blank=True)


class AlertOutput(serializers.Serializer):
    id = serializers.CharField(help_text="stable: kind:trip_id or kind:driver_id")
    kind = serializers.ChoiceField(
        choices=["late", "at_risk", "offer_unanswered", "unassignable", "driver_offline", "papers_expiring"]
    )
    severity = serializers.ChoiceField(choices=["high", "medium"])
    trip_id = serializers.UUIDField(allow_null=True)
    driver_id = serializers.UUIDField(allow_null=True)
    title = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)
    since = serializers.DateTimeField()


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
    solver = serializers.SerializerMethodField(
        help_text='which solver made the plan: "pyvrp" or "ortools" (null until there is one, or with no trip to plan)'
    )
    candidates = serializers.SerializerMethodField(
        help_text="each solver the portfolio ran, with its checked plan's distance_m and left_out trips (null: none "
        "found); empty when OR-Tools ran alone"
    )
    solver_note = serializers.SerializerMethodField(help_text="why OR-Tools ran alone, if it did")

    def get_plan_id(self, job) -> uuid.UUID | None:
        return job.stats.get("plan_id")

    def get_solver(self, job) -> str | None:
        return job.stats.get("solver")

    def get_candidates(self, job) -> dict[str, dict[str, int] | None]:
        return job.stats.get("candidates", {})

    def get_solver_note(self, job) -> str:
        return job.stats.get("solver_note", "")


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
    alerts = AlertOutput(many=True, help_text="what needs a person, high severity first")
    plan = PlanOutput(allow_null=True, help_text="the newest proposed or accepted route plan")
    jobs = JobOutput(many=True, help_text="the latest routing jobs")


class CandidateOutput(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True, help_text="1..n in the matcher's order; null: not eligible")
    driver_id = serializers.UUIDField()
    driver_name = serializers.CharField(allow_blank=True)
    shift_id = serializers.UUIDField()
    vehicle_id = serializers.UUIDField()
    registration = serializers.CharField(allow_blank=True)
    vehicle_type = serializers.CharField(allow_blank=True)
    eligible = serializers.BooleanField()
    assignable = serializers.BooleanField(
        help_text="may be assigned by hand: eligible, or kept off the suggestions only by the matcher's preferences "
        "(already offered it, ranked lower, not among the nearest, no live position)"
    )
    reasons = serializers.ListField(child=serializers.CharField(), help_text="why not (empty when eligible)")
    distance_m = serializers.FloatField(allow_null=True, help_text="straight line to the pickup")
    travel_s = serializers.IntegerField(allow_null=True, help_text="the matrix provider's estimate (eligible only)")
    spare_weight_kg = serializers.IntegerField(allow_null=True)
    spare_seats = serializers.IntegerField(allow_null=True)
    current = serializers.BooleanField(help_text="the trip's current shift")


class CandidatesOutput(serializers.Serializer):
    trip_id = serializers.UUIDField()
    candidates = CandidateOutput(many=True)
