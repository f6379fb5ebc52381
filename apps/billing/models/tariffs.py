"""Price lists: taxes, tariff versions and their components (one model per component type)."""

from __future__ import annotations

import functools
import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from polymorphic.models import PolymorphicModel

from apps.billing import pricing
from apps.billing.contracts import ComponentKind, Service
from apps.billing.models.common import CURRENCY, choices_of
from logitrack.db.models import BaseModel
from logitrack.types import GeoPoint


class TaxRate(BaseModel):
    """A tax of a fleet's jurisdiction (e.g. "VAT 19%"). Several may apply on one invoice."""

    fleet_id = models.UUIDField(db_index=True)
    name = models.CharField(max_length=60)
    rate_bps = models.PositiveIntegerField(validators=[MaxValueValidator(10_000)], help_text="basis points: 1900 = 19%")

    def __str__(self) -> str:
        return f"{self.name} ({self.rate_bps / 100:g}%)"

    def as_tax(self) -> pricing.Tax:
        return pricing.Tax(self.name, self.rate_bps)


class Tariff(BaseModel):
    """A fleet's prices for one vehicle type and service, valid from/until given times (versions)."""

    fleet_id = models.UUIDField(db_index=True)
    name = models.CharField(max_length=100)
    service = models.CharField(max_length=20, choices=choices_of(Service), default=Service.DELIVERY)
    vehicle_type = models.CharField(max_length=20, blank=True, default="", help_text="empty: any vehicle type")
    currency = models.CharField(max_length=3, validators=[CURRENCY])
    default_tax = models.ForeignKey(TaxRate, on_delete=models.PROTECT, related_name="+")
    prices_include_tax = models.BooleanField(default=True, help_text="consumer prices usually include VAT")
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    quote_valid_minutes = models.PositiveSmallIntegerField(default=15, validators=[MinValueValidator(1)])
    final_cap_bps = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="the final fare may exceed the quote by at most this (basis points); empty: no cap",
    )

    class Meta(BaseModel.Meta):
        ordering = ("fleet_id", "service", "vehicle_type", "-valid_from")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=models.F("valid_from")),
                name="tariff_valid_until_after_from",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.service}, {self.vehicle_type or 'any'}) from {self.valid_from:%Y-%m-%d}"

    def pricing_components(self) -> list[pricing.Component]:
        """The components as the pricing engine sees them, cached per tariff version: fetching
        polymorphic rows costs one query per component type, on every fare otherwise. The admin
        saves the tariff itself with its inline components, which moves `updated_at` on."""
        return list(_components(self.id, self.updated_at))


@functools.lru_cache(maxsize=512)
def _components(tariff_id: uuid.UUID, version: object) -> tuple[pricing.Component, ...]:
    return tuple(c.as_component() for c in TariffComponent.objects.filter(tariff_id=tariff_id).order_by("position"))


class TariffComponent(PolymorphicModel):
    """One priced element; each subclass knows how to describe itself to the pricing engine."""

    KIND: ComponentKind  # each component model is one kind
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="components")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=60, blank=True, default="")
    tax = models.ForeignKey(
        TaxRate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="empty: the tariff's default tax",
    )

    class Meta:
        ordering = ("position",)

    def __str__(self) -> str:
        # the admin titles each inline "<kind>: <this>", so the kind is not repeated here
        return self.label or f"#{self.position}"

    def _base(self, **fields) -> pricing.Component:
        return pricing.Component(
            kind=self.KIND, label=self.label, tax=self.tax.as_tax() if self.tax is not None else None, **fields
        )

    def as_component(self) -> pricing.Component:
        return self.get_real_instance().as_component()


class BaseFare(TariffComponent):
    KIND = ComponentKind.BASE_FARE
    amount_minor = models.PositiveIntegerField()

    def as_component(self):
        return self._base(amount_minor=self.amount_minor)


class PerKm(TariffComponent):
    KIND = ComponentKind.PER_KM
    amount_minor_per_km = models.PositiveIntegerField()
    free_km = models.PositiveSmallIntegerField(default=0)

    def as_component(self):
        return self._base(amount_minor=self.amount_minor_per_km, free_units=self.free_km)


class PerMinute(TariffComponent):
    KIND = ComponentKind.PER_MINUTE
    amount_minor_per_minute = models.PositiveIntegerField()
    free_minutes = models.PositiveSmallIntegerField(default=0)

    def as_component(self):
        return self._base(amount_minor=self.amount_minor_per_minute, free_units=self.free_minutes)


class PerStop(TariffComponent):
    KIND = ComponentKind.PER_STOP
    amount_minor_per_stop = models.PositiveIntegerField()
    free_stops = models.PositiveSmallIntegerField(default=2, help_text="a pickup and a drop-off are included")

    def as_component(self):
        return self._base(amount_minor=self.amount_minor_per_stop, free_units=self.free_stops)


class WaitingTime(TariffComponent):
    KIND = ComponentKind.WAITING_TIME
    amount_minor_per_minute = models.PositiveIntegerField()
    grace_minutes = models.PositiveSmallIntegerField(default=5)

    def as_component(self):
        return self._base(amount_minor=self.amount_minor_per_minute, free_units=self.grace_minutes)


class MinimumFare(TariffComponent):
    KIND = ComponentKind.MINIMUM_FARE
    amount_minor = models.PositiveIntegerField()

    def as_component(self):
        return self._base(amount_minor=self.amount_minor)


class TimeSurcharge(TariffComponent):
    """A percentage on top during a daily window (e.g. nights 22:00–06:00) on given weekdays."""

    KIND = ComponentKind.TIME_SURCHARGE
    percent_bps = models.PositiveIntegerField(help_text="2500 = +25%")
    starts = models.TimeField(null=True, blank=True)
    ends = models.TimeField(null=True, blank=True)
    weekdays = models.JSONField(default=list, blank=True, help_text="0 = Monday; empty: every day")

    def as_component(self):
        return self._base(
            percent_bps=self.percent_bps, starts=self.starts, ends=self.ends, weekdays=tuple(self.weekdays)
        )


class ZoneSurcharge(TariffComponent):
    """A flat amount when any stop lies within a circle (an airport, a toll zone)."""

    KIND = ComponentKind.ZONE_SURCHARGE
    amount_minor = models.PositiveIntegerField()
    center_lat = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    center_lng = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    radius_m = models.PositiveIntegerField()

    def as_component(self):
        return self._base(
            amount_minor=self.amount_minor,
            zone_center=GeoPoint(self.center_lat, self.center_lng),
            zone_radius_m=self.radius_m,
        )


class CancellationFee(TariffComponent):
    KIND = ComponentKind.CANCELLATION_FEE
    amount_minor = models.PositiveIntegerField()
    free_minutes = models.PositiveSmallIntegerField(
        default=5, help_text="free to cancel within this many minutes of booking"
    )

    def as_component(self):
        return self._base(amount_minor=self.amount_minor, free_units=self.free_minutes)


# One model per component kind: what tariff_create builds from an operator's list and the admin's inlines offer.
COMPONENT_MODELS: dict[ComponentKind, type[TariffComponent]] = {
    model.KIND: model
    for model in (
        BaseFare,
        PerKm,
        PerMinute,
        PerStop,
        WaitingTime,
        MinimumFare,
        TimeSurcharge,
        ZoneSurcharge,
        CancellationFee,
    )
}
