"""Tables owned by the trips context. Fleets, customers, drivers, vehicles and quotes are UUIDs."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.trips.contracts import StopKind, StopLoad, StopStatus, TripStatus
from logitrack.db.models import BaseModel


def _choices(enum_cls):
    return [(m.value, m.value.replace("_", " ").capitalize()) for m in enum_cls]


class Trip(BaseModel):
    fleet_id = models.UUIDField()  # indexed first in the composite indexes below, as are customer and driver
    customer_id = models.UUIDField(null=True, blank=True)
    booked_by_id = models.UUIDField()
    service = models.CharField(max_length=20, default="delivery")
    vehicle_type = models.CharField(max_length=20)
    status = models.CharField(max_length=20, choices=_choices(TripStatus), default=TripStatus.REQUESTED, db_index=True)
    version = models.PositiveIntegerField(
        default=1, help_text="bumped on every change; clients send it back (If-Match)"
    )
    quote_id = models.UUIDField(null=True, blank=True)
    requested_for = models.DateTimeField(null=True, blank=True, help_text="empty: as soon as possible")
    requested_at = models.DateTimeField(
        default=timezone.now, help_text="when it last began waiting for a driver: booked, or unassigned since"
    )
    weight_kg = models.PositiveIntegerField(default=0)
    volume_m3 = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    parcels = models.PositiveSmallIntegerField(default=0)
    seats = models.PositiveSmallIntegerField(default=0)
    driver_id = models.UUIDField(null=True, blank=True)
    vehicle_id = models.UUIDField(null=True, blank=True)
    shift = models.ForeignKey("Shift", null=True, blank=True, on_delete=models.PROTECT, related_name="trips")
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=300, blank=True, default="")
    # the live estimate dispatch keeps up to date for the tracking page (not part of the versioned state)
    eta_at = models.DateTimeField(null=True, blank=True)
    tracking_lat = models.FloatField(null=True, blank=True)
    tracking_lng = models.FloatField(null=True, blank=True)
    tracking_at = models.DateTimeField(null=True, blank=True)
    # the last stop whose "arriving soon" was announced (TripArrivingV1 once per stop)
    arriving_sequence = models.PositiveSmallIntegerField(null=True, blank=True)
    erase_when_ended = models.BooleanField(
        default=False, help_text="its customer was erased while it was under way: scrubbed as it ends"
    )

    class Meta(BaseModel.Meta):
        indexes = [
            # the trips list, one per way of seeing a trip (selectors.trip_visibility), in its keyset order: a page
            # is a short range scan of one of these however many trips came before
            models.Index(fields=["customer_id", "-created_at", "-id"], name="trip_customer_recent"),
            models.Index(fields=["booked_by_id", "-created_at", "-id"], name="trip_booker_recent"),
            models.Index(fields=["driver_id", "-created_at", "-id"], name="trip_driver_recent"),
            models.Index(fields=["fleet_id", "-created_at", "-id"], name="trip_fleet_recent"),
            models.Index(fields=["fleet_id", "status", "-created_at", "-id"], name="trip_fleet_status_recent"),
            # the overview's "today by status": a fleet's trips by when they were wanted (WANTED_AT)
            models.Index(F("fleet_id"), Coalesce("requested_for", "created_at"), name="trip_fleet_wanted"),
            # the overview's recent cancelled and failed trips: few rows, newest first
            models.Index(
                fields=["fleet_id", "-ended_at"],
                name="trip_fleet_ended_badly",
                condition=models.Q(status__in=["cancelled", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"trip {self.id.hex[:8].upper()} ({self.status})"  # its reference: admin titles and messages


WANTED_AT = Coalesce("requested_for", "created_at")
"""When a trip was wanted: its requested time, else when it was booked. Its local date is the trip's day."""


class Stop(models.Model):
    id = models.BigAutoField(primary_key=True)
    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="stops")
    sequence = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=_choices(StopKind))
    address = models.CharField(max_length=300)
    lat = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    lng = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    contact_name = models.CharField(max_length=150, blank=True, default="")
    contact_phone = models.CharField(max_length=16, blank=True, default="")
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    service_minutes = models.PositiveSmallIntegerField(default=0)
    notes = models.CharField(max_length=500, blank=True, default="")
    status = models.CharField(max_length=10, choices=_choices(StopStatus), default=StopStatus.PENDING)
    pin_hash = models.CharField(
        max_length=64, blank=True, default="", help_text="drop-off PIN the customer tells the driver"
    )
    arrived_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True, default="")
    # a drop-off's declared share of the trip's load (booking.trip_book checks them): all four or none (not declared)
    unload_weight_kg = models.PositiveIntegerField(null=True, blank=True)
    unload_volume_m3 = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    unload_parcels = models.PositiveSmallIntegerField(null=True, blank=True)
    unload_seats = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("sequence",)
        constraints = [models.UniqueConstraint(fields=["trip", "sequence"], name="stop_sequence_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.sequence}: {self.address}"

    @property
    def unload(self) -> StopLoad | None:
        """What comes off here, when the booking declared it."""
        if self.unload_weight_kg is None:
            return None
        return StopLoad(
            weight_kg=self.unload_weight_kg,
            volume_m3=float(self.unload_volume_m3 or 0),
            parcels=self.unload_parcels or 0,
            seats=self.unload_seats or 0,
        )


class TripLogEntry(models.Model):
    """One entry of a trip's timeline (its audit log): every step with who, when, where and why. Not an
    integration event: those are in events.py and go through the outbox."""

    id = models.BigAutoField(primary_key=True)
    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="timeline")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True, default="")
    to_status = models.CharField(max_length=20)
    actor_id = models.UUIDField(null=True, blank=True)
    actor_role = models.CharField(max_length=20)
    at = models.DateTimeField(auto_now_add=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}->{self.to_status}"


class Shift(BaseModel):
    """A driver with a vehicle for a time window. Neither may be in two overlapping shifts: a PostgreSQL
    exclusion constraint enforces it (migration 0002), the service checks first for a clear message."""

    class Status(models.TextChoices):
        PLANNED = "planned"
        STARTED = "started"
        ENDED = "ended"
        CANCELLED = "cancelled"

    fleet_id = models.UUIDField()
    driver_id = models.UUIDField()
    vehicle_id = models.UUIDField(db_index=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    pooling = models.BooleanField(default=False, help_text="may carry several trips in progress at once")
    planned_by_id = models.UUIDField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    odometer_start_km = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)
    odometer_end_km = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ("starts_at",)
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start")
        ]
        indexes = [
            # the overview's live utilisation: the few shifts running now, never the whole history
            models.Index(fields=["fleet_id"], name="shift_fleet_running", condition=models.Q(status="started")),
            # the shifts list, one per way of seeing a shift (selectors.shift_visibility), in its keyset order
            models.Index(fields=["fleet_id", "-starts_at", "-id"], name="shift_fleet_recent"),
            models.Index(fields=["driver_id", "-starts_at", "-id"], name="shift_driver_recent"),
        ]

    def __str__(self) -> str:
        return f"shift {self.driver_id} {self.starts_at:%Y-%m-%d %H:%M}"


class ProofOfDelivery(models.Model):
    """What the driver captured at a drop-off. Files are private; fleet staff and the customer may see them."""

    id = models.BigAutoField(primary_key=True)
    stop = models.OneToOneField(Stop, on_delete=models.CASCADE, related_name="proof")
    recipient_name = models.CharField(max_length=150, blank=True, default="")
    signature_path = models.CharField(max_length=300, blank=True, default="")
    photo_path = models.CharField(max_length=300, blank=True, default="")
    pin_verified = models.BooleanField(default=False)
    captured_at = models.DateTimeField(auto_now_add=True)
    captured_by_id = models.UUIDField(null=True, blank=True)

    def __str__(self) -> str:
        return f"proof for stop {self.stop_id}"


class TrackingLink(models.Model):
    """An unguessable, expiring link a customer can share: status and vehicle, no personal data."""

    id = models.BigAutoField(primary_key=True)
    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="tracking_links")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"tracking for {self.trip_id}"


class Offer(BaseModel):
    """A trip offered to a shift's driver, who accepts or rejects it before `expires_at`."""

    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REJECTED = "rejected"
        EXPIRED = "expired"
        WITHDRAWN = "withdrawn"

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="offers")
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="offers")
    driver_id = models.UUIDField(db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True, default="")

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["trip"], condition=models.Q(status="pending"), name="one_pending_offer_per_trip"
            )
        ]

    def __str__(self) -> str:
        return f"offer of {self.trip_id} to {self.driver_id} ({self.status})"


class TripDay(models.Model):
    """A fleet's ended trips of one local day (the day each was wanted), kept by services/figures.py in the
    transaction that ends a trip, so the overview reads a row per day whatever the history. `trips_figures_rebuild`
    recomputes them from trips and stops."""

    id = models.BigAutoField(primary_key=True)
    fleet_id = models.UUIDField()
    day = models.DateField()
    completed = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    stops_windowed = models.PositiveIntegerField(default=0, help_text="stops with a window end counted for on-time")
    stops_on_time = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["fleet_id", "day"], name="trip_day_once")]

    def __str__(self) -> str:
        return f"{self.fleet_id} {self.day}"


class DriverDay(models.Model):
    """One driver with one vehicle on one local day of a fleet: trips completed (by the trips' days, counted as
    each completes) and seconds on shift and on trips (by the day the shift began, counted as it ends)."""

    id = models.BigAutoField(primary_key=True)
    fleet_id = models.UUIDField()
    day = models.DateField()
    driver_id = models.UUIDField()
    vehicle_id = models.UUIDField()
    trips_completed = models.PositiveIntegerField(default=0)
    on_trip_s = models.PositiveBigIntegerField(default=0)
    on_shift_s = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fleet_id", "day", "driver_id", "vehicle_id"], name="driver_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.driver_id} {self.day}"
