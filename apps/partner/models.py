"""Tables owned by the partner context. Users and fleets are referenced by UUID, never by relation."""

from __future__ import annotations

import uuid

from django.db import models
from polymorphic.models import PolymorphicModel

from apps.partner.contracts import ComplianceStatus, DutyStatus, KycDocumentType, KycStatus
from logitrack.db.models import BaseModel


def _choices(enum_cls):
    return [(m.value, m.value.replace("_", " ").capitalize()) for m in enum_cls]


class DriverProfile(BaseModel):
    """A driver of one fleet: an identity user with the driver role there."""

    user_id = models.UUIDField(db_index=True)
    fleet_id = models.UUIDField(db_index=True)
    display_name = models.CharField(max_length=150, blank=True, default="", help_text="copied from identity for lists")
    phone = models.CharField(max_length=16, blank=True, default="")
    licence_classes = models.CharField(max_length=60, blank=True, default="", help_text="comma-separated, e.g. B,C1")
    photo_path = models.CharField(max_length=300, blank=True, default="")
    emergency_contact_name = models.CharField(max_length=150, blank=True, default="")
    emergency_contact_phone = models.CharField(max_length=16, blank=True, default="")
    active = models.BooleanField(default=True, help_text="false once the driver role is revoked")
    compliance_status = models.CharField(
        max_length=20, choices=_choices(ComplianceStatus), default=ComplianceStatus.PENDING, db_index=True
    )
    compliance_reasons = models.JSONField(default=list, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=300, blank=True, default="")
    duty_status = models.CharField(max_length=10, choices=_choices(DutyStatus), default=DutyStatus.OFF_DUTY)
    duty_changed_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        constraints = [models.UniqueConstraint(fields=["user_id", "fleet_id"], name="partner_one_profile_per_fleet")]

    def __str__(self) -> str:
        return self.display_name or str(self.user_id)

    def licence_class_list(self) -> tuple[str, ...]:
        return tuple(c.strip().upper() for c in self.licence_classes.split(",") if c.strip())


class KycDocument(PolymorphicModel):
    """A document a driver submits for review. Subclasses carry each type's own fields."""

    TYPE: KycDocumentType

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    driver = models.ForeignKey(DriverProfile, on_delete=models.CASCADE, related_name="documents")
    status = models.CharField(max_length=20, choices=_choices(KycStatus), default=KycStatus.SUBMITTED, db_index=True)
    expires_on = models.DateField(null=True, blank=True, db_index=True)
    file_path = models.CharField(max_length=300, blank=True, default="")
    content_type = models.CharField(max_length=50, blank=True, default="")
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    submitted_at = models.DateTimeField(auto_now_add=True)
    reviewed_by_id = models.UUIDField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=300, blank=True, default="")
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    # the smallest warning threshold (days left) already published: one warning per threshold
    expiry_warned_days = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("-submitted_at",)
        verbose_name = "KYC document"  # not Django's "Kyc document" in the admin's lists and titles

    def __str__(self) -> str:
        real = self.get_real_instance_class()  # None: its content type names a model that is gone
        kind = real.TYPE.replace("_", " ") if real is not None else "document"
        return f"{kind.capitalize()} ({self.status})"  # no ids: admins show it beside the driver's name

    @property
    def kyc_type(self) -> KycDocumentType:
        """Its type: that of its own model (the row's polymorphic content type)."""
        real = self.get_real_instance_class()
        if real is None:
            raise LookupError(f"KYC document {self.pk}: its content type names a model that is gone")
        return real.TYPE


class DrivingLicence(KycDocument):
    TYPE = KycDocumentType.DRIVING_LICENCE

    number = models.CharField(max_length=40)
    classes = models.CharField(max_length=60, help_text="comma-separated, e.g. B,C1")
    issued_on = models.DateField()


class IdentityDocument(KycDocument):
    TYPE = KycDocumentType.IDENTITY_DOCUMENT

    document_type = models.CharField(
        max_length=20,
        choices=[("passport", "Passport"), ("id_card", "ID card"), ("residence_permit", "Residence permit")],
    )
    number = models.CharField(max_length=40)


class BackgroundCheck(KycDocument):
    TYPE = KycDocumentType.BACKGROUND_CHECK

    provider = models.CharField(max_length=100)
    reference = models.CharField(max_length=100)
    checked_on = models.DateField()


KYC_MODELS: dict[KycDocumentType, type[KycDocument]] = {
    m.TYPE: m for m in (DrivingLicence, IdentityDocument, BackgroundCheck)
}
KYC_FIELDS: dict[KycDocumentType, tuple[str, ...]] = {
    KycDocumentType.DRIVING_LICENCE: ("number", "classes", "issued_on", "expires_on"),
    KycDocumentType.IDENTITY_DOCUMENT: ("document_type", "number", "expires_on"),
    KycDocumentType.BACKGROUND_CHECK: ("provider", "reference", "checked_on", "expires_on"),
}


class AvailabilityWindow(BaseModel):
    """Every week on `weekday` (0 = Monday) from `starts` to `ends`, in the fleet's time zone."""

    driver = models.ForeignKey(DriverProfile, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField()
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta(BaseModel.Meta):
        ordering = ("weekday", "starts")
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="availability_weekday_0_to_6"),
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")), name="availability_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.starts}-{self.ends}"


class AvailabilityException(BaseModel):
    """A one-off change on `date`: unavailable (all day, or between the times) or available at other hours."""

    driver = models.ForeignKey(DriverProfile, on_delete=models.CASCADE, related_name="availability_exceptions")
    date = models.DateField()
    available = models.BooleanField(default=False)
    starts = models.TimeField(null=True, blank=True)
    ends = models.TimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True, default="")

    class Meta(BaseModel.Meta):
        ordering = ("date", "starts")

    def __str__(self) -> str:
        return f"{self.date} {'on' if self.available else 'off'}"
