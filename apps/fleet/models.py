"""Tables owned by the fleet context. Users are referenced by UUID (identity owns them)."""

from __future__ import annotations

import uuid
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from polymorphic.models import PolymorphicModel

from apps.fleet.contracts import Capacity, FleetStatus, VehicleDocumentKind, VehicleStatus, VehicleType
from logitrack.db.models import BaseModel

COUNTRY = RegexValidator(r"^[A-Z]{2}$", "Use an ISO 3166-1 alpha-2 country code, e.g. DE.")
CURRENCY = RegexValidator(r"^[A-Z]{3}$", "Use an ISO 4217 currency code, e.g. EUR.")
COLOUR = RegexValidator(r"^#[0-9a-f]{6}$", "Use a colour as #rrggbb in lower case, e.g. #0b7a75.")
# The languages LogiTrack writes to people in (messages, the tracking page); blank follows the fleet's country.
LANGUAGES = [("", "From the country"), ("en", "English"), ("de", "Deutsch")]


POD_KINDS = {"recipient", "signature", "photo", "pin"}


def _choices(enum_cls):
    return [(m.value, m.value.replace("_", " ").capitalize()) for m in enum_cls]


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder: IsADirectoryError
        raise ValidationError(f"{value!r} is not an IANA time zone, e.g. Europe/Berlin.") from None


class Fleet(BaseModel):
    """A tenant: one operator's company, its onboarding state and the settings other contexts read."""

    name = models.CharField(max_length=120, help_text="shown to drivers and customers")
    legal_name = models.CharField(max_length=200)
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True, default="")
    postal_code = models.CharField(max_length=20)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2, validators=[COUNTRY])
    currency = models.CharField(max_length=3, validators=[CURRENCY])
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    tax_id = models.CharField(max_length=40, blank=True, default="")
    status = models.CharField(max_length=20, choices=_choices(FleetStatus), default=FleetStatus.APPLIED)
    applicant_id = models.UUIDField(help_text="identity user who applied; becomes the first fleet manager")
    # settings used by other contexts
    auto_dispatch = models.BooleanField(default=False)
    default_service_minutes = models.PositiveSmallIntegerField(default=5, validators=[MaxValueValidator(240)])
    commission_bps = models.PositiveSmallIntegerField(
        default=1500, validators=[MaxValueValidator(10_000)], help_text="platform commission in basis points"
    )
    service_center_lat = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    service_center_lng = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    service_radius_m = models.PositiveIntegerField(null=True, blank=True)
    service_polygon = models.JSONField(default=list, blank=True, help_text="[[lat, lng], ...] vertices")
    proof_of_delivery = models.JSONField(
        default=list, blank=True, help_text='what a drop-off needs: any of "recipient", "signature", "photo", "pin"'
    )
    # Branding: what customers see on the tracking page and in the messages sent in the fleet's name.
    language = models.CharField(
        max_length=5, choices=LANGUAGES, blank=True, default="", help_text="language of messages and pages"
    )
    brand_colour = models.CharField(max_length=7, validators=[COLOUR], default="#0b7a75")
    logo_path = models.CharField(max_length=300, blank=True, default="", help_text="private storage path (PNG)")

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(commission_bps__lte=10_000), name="fleet_commission_at_most_100pct"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        proofs = self.proof_of_delivery or []
        if not isinstance(proofs, list) or not set(proofs) <= POD_KINDS:
            raise ValidationError({"proof_of_delivery": f"a list of: {', '.join(sorted(POD_KINDS))}"})
        polygon = self.service_polygon or []
        if polygon:
            if not isinstance(polygon, list) or len(polygon) < 3:
                raise ValidationError({"service_polygon": "a polygon needs at least three [lat, lng] vertices"})
            for vertex in polygon:
                if (
                    not isinstance(vertex, list | tuple)
                    or len(vertex) != 2
                    or not all(isinstance(v, int | float) for v in vertex)
                    or not (-90 <= vertex[0] <= 90 and -180 <= vertex[1] <= 180)
                ):
                    raise ValidationError({"service_polygon": f"{vertex!r} is not a [lat, lng] pair in range"})
        circle = [self.service_center_lat, self.service_center_lng, self.service_radius_m]
        if any(v is not None for v in circle) and not all(v is not None for v in circle):
            raise ValidationError({"service_radius_m": "a service circle needs centre latitude, longitude and radius"})


class FleetStatusChange(BaseModel):
    """Who moved a fleet through onboarding, when and why."""

    fleet = models.ForeignKey(Fleet, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=_choices(FleetStatus))
    to_status = models.CharField(max_length=20, choices=_choices(FleetStatus))
    actor_id = models.UUIDField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True, default="")

    class Meta(BaseModel.Meta):
        ordering = ("created_at",)

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class Vehicle(PolymorphicModel):
    """Every vehicle of a fleet; the subclasses carry what is particular to each type."""

    TYPE: VehicleType

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    fleet = models.ForeignKey(Fleet, on_delete=models.PROTECT, related_name="vehicles")
    registration = models.CharField(max_length=20, help_text="as on the plate; stored upper-case without spaces")
    registration_country = models.CharField(max_length=2, validators=[COUNTRY])
    make = models.CharField(max_length=60)
    model = models.CharField(max_length=60)
    year = models.PositiveSmallIntegerField(validators=[MinValueValidator(1950), MaxValueValidator(2100)])
    status = models.CharField(max_length=20, choices=_choices(VehicleStatus), default=VehicleStatus.ACTIVE)
    capacity_kg = models.PositiveIntegerField(default=0)
    capacity_volume_m3 = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    seats = models.PositiveSmallIntegerField(default=0, help_text="passenger seats (not counting the driver)")
    parcels = models.PositiveSmallIntegerField(default=0, help_text="parcel slots, 0 when not counted")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registration_country", "registration"], name="vehicle_registration_per_country"
            )
        ]
        ordering = ("registration",)

    def __str__(self) -> str:
        return f"{self.registration} ({self.make} {self.model})"

    @property
    def vehicle_type(self) -> VehicleType:
        real = self.get_real_instance_class()
        if real is None:
            raise LookupError(f"vehicle {self.pk}: its content type names a model that is gone")
        return real.TYPE

    def capacity(self) -> Capacity:
        return Capacity(
            weight_kg=self.capacity_kg, volume_m3=float(self.capacity_volume_m3), seats=self.seats, parcels=self.parcels
        )

    def required_licence_class(self) -> str:
        return "B"


class Bike(Vehicle):
    TYPE = VehicleType.BIKE

    electric = models.BooleanField(default=False)
    cargo_box = models.BooleanField(default=False)

    def required_licence_class(self) -> str:
        return ""


class Car(Vehicle):
    TYPE = VehicleType.CAR

    body = models.CharField(
        max_length=20,
        choices=[("sedan", "Sedan"), ("estate", "Estate"), ("suv", "SUV"), ("mpv", "MPV")],
        default="sedan",
    )
    wheelchair_accessible = models.BooleanField(default=False)


class Van(Vehicle):
    TYPE = VehicleType.VAN

    tail_lift = models.BooleanField(default=False)
    refrigerated = models.BooleanField(default=False)


class Truck(Vehicle):
    TYPE = VehicleType.TRUCK

    axles = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(2), MaxValueValidator(9)])
    gross_weight_kg = models.PositiveIntegerField()
    licence_class = models.CharField(max_length=5, default="C", help_text="driving licence class needed, e.g. C1, C")

    def required_licence_class(self) -> str:
        return self.licence_class


VEHICLE_MODELS: dict[VehicleType, type[Vehicle]] = {m.TYPE: m for m in (Bike, Car, Van, Truck)}


class VehicleDocument(BaseModel):
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=_choices(VehicleDocumentKind))
    number = models.CharField(max_length=60, blank=True, default="")
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField()
    file_path = models.CharField(max_length=300, blank=True, default="", help_text="private storage path")
    content_type = models.CharField(max_length=50, blank=True, default="")
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    # the smallest warning threshold (days left) already published: one 'expiring' per threshold
    expiry_warned_days = models.PositiveSmallIntegerField(null=True, blank=True)
    expired_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ("expires_on",)

    def __str__(self) -> str:
        return f"{self.kind} of {self.vehicle_id} until {self.expires_on}"


class MaintenanceWindow(BaseModel):
    """A vehicle is unavailable from `starts_at` to `ends_at`."""

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="maintenance_windows")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True, default="")

    class Meta(BaseModel.Meta):
        ordering = ("starts_at",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="maintenance_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_id} {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%H:%M}"
