"""Tables owned by the dispatch context. Foreign identities are UUIDs, never relations."""

from __future__ import annotations

from django.db import models

from apps.dispatch.contracts import JobStatus, PlanStatus
from logitrack.db.models import BaseModel


class PositionPing(models.Model):
    """Durable GPS history: each ping stored once (its app-chosen id is unique), written in bulk."""

    id = models.BigAutoField(primary_key=True)
    ping_id = models.UUIDField(unique=True)
    driver_id = models.UUIDField()
    fleet_id = models.UUIDField()
    recorded_at = models.DateTimeField()
    received_at = models.DateTimeField()
    lat = models.FloatField()
    lng = models.FloatField()
    accuracy_m = models.FloatField(null=True, blank=True)
    heading = models.FloatField(null=True, blank=True)
    speed_mps = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["driver_id", "recorded_at"], name="ping_trail"),  # trail of X between t1 and t2
            models.Index(fields=["recorded_at"], name="ping_retention"),
        ]

    def __str__(self) -> str:
        return f"{self.driver_id} at {self.recorded_at:%Y-%m-%d %H:%M:%S}"


class DispatchAttempt(BaseModel):
    """Auto-dispatch's progress on one trip: who was offered it, and whether a dispatcher must step in."""

    class Status(models.TextChoices):
        SEARCHING = "searching"
        OFFERED = "offered"
        ASSIGNED = "assigned"
        FLAGGED = "flagged"  # no candidate left, or too many refusals: a dispatcher decides
        CLOSED = "closed"  # the trip ended or was cancelled before anyone took it

    trip_id = models.UUIDField(unique=True)
    fleet_id = models.UUIDField(db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SEARCHING)
    offers_made = models.PositiveSmallIntegerField(default=0)
    tried_driver_ids = models.JSONField(default=list, blank=True)
    offered_driver_id = models.UUIDField(null=True, blank=True)
    flag_reason = models.CharField(max_length=300, blank=True, default="")

    def __str__(self) -> str:
        return f"dispatch of {self.trip_id} ({self.status})"


class RoutingJob(BaseModel):
    """One optimisation run for a fleet, on the `routing` Celery queue. Always ends succeeded or failed."""

    fleet_id = models.UUIDField()
    status = models.CharField(max_length=20, choices=[(s.value, s.value) for s in JobStatus], default=JobStatus.QUEUED)
    requested_by_id = models.UUIDField(null=True, blank=True)
    seconds = models.PositiveSmallIntegerField(help_text="the solver's own time limit")
    from_plan = models.ForeignKey(
        "RoutePlan",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="re-optimise this plan",
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True, default="")
    worker_pid = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    stats = models.JSONField(default=dict, blank=True)

    class Meta(BaseModel.Meta):
        # the fleet's runs newest first, by cursor (a fleet optimising every few minutes has 100k a year)
        indexes = [models.Index(fields=["fleet_id", "-created_at", "-id"], name="routingjob_fleet_recent")]

    def __str__(self) -> str:
        return f"routing job {self.id} ({self.status})"


class RoutePlan(BaseModel):
    """Ordered stops per shift with ETAs, and the trips it could not serve with the reason. Accepting it assigns
    its trips through trips' api; a newer accepted plan supersedes it."""

    fleet_id = models.UUIDField()
    job = models.ForeignKey(RoutingJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="plans")
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(
        max_length=20, choices=[(s.value, s.value) for s in PlanStatus], default=PlanStatus.PROPOSED
    )
    origin = models.DateTimeField(help_text="the moment the plan's times start from")
    routes = models.JSONField(default=list)
    unserved = models.JSONField(default=list)
    distance_m = models.PositiveIntegerField(default=0)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by_id = models.UUIDField(null=True, blank=True)
    outcome = models.JSONField(default=dict, blank=True, help_text="what accepting it did, trip by trip")

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=["fleet_id", "-created_at", "-id"], name="routeplan_fleet_recent")]

    def __str__(self) -> str:
        return f"route plan {self.id} ({self.status})"
