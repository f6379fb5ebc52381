"""Tables owned by the dispatch context. Foreign identities are UUIDs, never relations."""

from __future__ import annotations

from django.db import models

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
