"""Write use cases of the partner context. One transaction each."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from apps.partner import domain, integrations
from apps.partner.contracts import (
    ComplianceStatus,
    DocumentNotFound,
    DriverNotFound,
    DutyStatus,
    IllegalReview,
    IllegalSuspension,
    InvalidPartnerData,
    KycDocumentType,
    KycStatus,
    NotCompliant,
)
from apps.partner.events import ComplianceChangedV1, DriverOnboardedV1, DutyStatusChangedV1
from apps.partner.models import (
    KYC_FIELDS,
    KYC_MODELS,
    AvailabilityException,
    AvailabilityWindow,
    DriverProfile,
    KycDocument,
)
from logitrack import files, images
from logitrack.outbox.api import publish

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PROFILE_FIELDS = ("phone", "licence_classes", "emergency_contact_name", "emergency_contact_phone")


def _locked(driver_id: uuid.UUID) -> DriverProfile:
    driver = DriverProfile.objects.select_for_update().filter(id=driver_id).first()
    if driver is None:
        raise DriverNotFound(f"driver {driver_id} does not exist")
    return driver


def _invalid(exc: ValidationError) -> InvalidPartnerData:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return InvalidPartnerData("some values are not valid", extra={"errors": errors})


# ---- onboarding (from identity's events, and bulk import) ---------------------------------------


@transaction.atomic
def driver_onboard(*, user_id: uuid.UUID, fleet_id: uuid.UUID, display_name: str = "", **profile: Any) -> DriverProfile:
    """The driver profile for a user who holds the driver role in a fleet (idempotent)."""
    driver, created = DriverProfile.objects.select_for_update().get_or_create(
        user_id=user_id, fleet_id=fleet_id, defaults={"display_name": display_name, **profile}
    )
    if not created and not driver.active:
        driver.active = True
        driver.save(update_fields=["active", "updated_at"])
    if created:
        publish(DriverOnboardedV1(driver_id=driver.id, user_id=user_id, fleet_id=fleet_id))
        compliance_recompute(driver=driver)
    return driver


@transaction.atomic
def driver_import(
    *,
    fleet_id: uuid.UUID,
    email: str,
    display_name: str,
    phone: str = "",
    licence_classes: str = "",
    emergency_contact_name: str = "",
    emergency_contact_phone: str = "",
) -> DriverProfile:
    """One row of a bulk import: the account, the driver role and the profile, all or nothing."""
    user_id = integrations.driver_account_provision(
        email=email, display_name=display_name, phone=phone, fleet_id=fleet_id
    )
    driver = driver_onboard(user_id=user_id, fleet_id=fleet_id, display_name=display_name)
    return driver_profile_update(
        driver_id=driver.id,
        data={
            "phone": phone,
            "licence_classes": licence_classes,
            "emergency_contact_name": emergency_contact_name,
            "emergency_contact_phone": emergency_contact_phone,
        },
    )


@transaction.atomic
def driver_offboard(*, user_id: uuid.UUID, fleet_id: uuid.UUID) -> None:
    """The driver role was revoked: the profile stays (history) but can take no work."""
    driver = DriverProfile.objects.select_for_update().filter(user_id=user_id, fleet_id=fleet_id).first()
    if driver is None or not driver.active:
        return
    driver.active = False
    driver.save(update_fields=["active", "updated_at"])
    _force_off_duty(driver)


@transaction.atomic
def driver_anonymise(*, user_id: uuid.UUID) -> int:
    """GDPR erasure: drop personal data from every profile and document of the user."""
    count = 0
    for driver in DriverProfile.objects.select_for_update().filter(user_id=user_id):
        files.delete_private(driver.photo_path)
        for doc in driver.documents.all():
            files.delete_private(doc.file_path)
            real = doc.get_real_instance()
            for field in ("number", "reference"):
                if hasattr(real, field):
                    setattr(real, field, "")
            real.file_path = ""
            real.save()
        driver.display_name = ""
        driver.phone = ""
        driver.photo_path = ""
        driver.emergency_contact_name = ""
        driver.emergency_contact_phone = ""
        driver.active = False
        driver.anonymised_at = timezone.now()
        driver.save()
        _force_off_duty(driver)
        count += 1
    return count


@transaction.atomic
def driver_profile_update(*, driver_id: uuid.UUID, data: dict[str, Any]) -> DriverProfile:
    driver = _locked(driver_id)
    refused = sorted(set(data) - set(PROFILE_FIELDS))
    if refused:
        raise InvalidPartnerData(
            "these fields cannot be changed here", extra={"errors": {f: ["Not editable."] for f in refused}}
        )
    changed = [f for f in PROFILE_FIELDS if f in data and getattr(driver, f) != data[f]]
    for field in changed:
        setattr(driver, field, data[field])
    if changed:
        try:
            driver.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise _invalid(exc) from None
        driver.save(update_fields=[*changed, "updated_at"])
    return driver


@transaction.atomic
def driver_photo_set(*, driver_id: uuid.UUID, upload) -> DriverProfile:
    driver = _locked(driver_id)
    stored = files.store_private(
        upload, folder="driver-photos", allowed=("jpeg", "png"), max_bytes=PHOTO_MAX_BYTES, image=images.PHOTO
    )
    previous = driver.photo_path
    driver.photo_path = stored.path
    driver.save(update_fields=["photo_path", "updated_at"])
    transaction.on_commit(lambda: files.delete_private(previous))
    return driver


def uploads_sanitize(*, dry_run: bool = False) -> files.RecheckReport:
    """Operator's re-check of stored driver photos and KYC files (`partner_sanitize_uploads`): images stored
    before uploads were re-encoded are re-encoded now, those that cannot be made safe are quarantined (a
    submitted document is then rejected so the driver uploads it again), PDFs refused today are flagged for
    a person. One transaction per file; a second run finds nothing to do."""
    report = files.RecheckReport()
    for driver_id in DriverProfile.objects.exclude(photo_path="").order_by("id").values_list("id", flat=True):
        _photo_recheck(driver_id, report, dry_run)
    for document_id in KycDocument.objects.exclude(file_path="").order_by("id").values_list("id", flat=True):
        _document_file_recheck(document_id, report, dry_run)
    return report


@transaction.atomic
def _photo_recheck(driver_id: uuid.UUID, report: files.RecheckReport, dry_run: bool) -> None:
    driver = _locked(driver_id)
    if not driver.photo_path:
        return
    label = f"photo of driver {driver.id}"
    result = files.recheck_and_tally(driver.photo_path, image=images.PHOTO, label=label, report=report, dry_run=dry_run)
    if dry_run or result.outcome not in ("rewritten", "quarantined"):
        return
    driver.photo_path = result.stored.path if result.stored else ""
    driver.save(update_fields=["photo_path", "updated_at"])


UNREADABLE_SCAN = "the scan could not be read safely; upload it again"


@transaction.atomic
def _document_file_recheck(document_id: uuid.UUID, report: files.RecheckReport, dry_run: bool) -> None:
    document = KycDocument.objects.select_for_update().filter(id=document_id).exclude(file_path="").first()
    if document is None:
        return
    label = f"KYC document {document.id}"
    result = files.recheck_and_tally(document.file_path, image=images.SCAN, label=label, report=report, dry_run=dry_run)
    if dry_run or result.outcome not in ("rewritten", "quarantined"):
        return
    stored = result.stored
    if stored is None:  # quarantined: size and sha256 still say what was submitted
        document.file_path = ""
        document.save(update_fields=["file_path"])
        if document.status == KycStatus.SUBMITTED:
            kyc_document_review(document_id=document.id, approve=False, reviewer_id=None, reason=UNREADABLE_SCAN)
        return
    document.file_path, document.content_type = stored.path, stored.content_type
    document.size, document.sha256 = stored.size, stored.sha256
    document.save(update_fields=["file_path", "content_type", "size", "sha256"])


# ---- documents and compliance --------------------------------------------------------------


@transaction.atomic
def kyc_document_submit(
    *, driver_id: uuid.UUID, doc_type: KycDocumentType, data: dict[str, Any], upload
) -> KycDocument:
    driver = _locked(driver_id)
    if not driver.active:
        raise DriverNotFound("this driver profile is no longer active")
    fields = KYC_FIELDS[doc_type]
    refused = sorted(set(data) - set(fields))
    if refused:
        raise InvalidPartnerData(
            f"not part of a {doc_type}", extra={"errors": {f: ["Unknown field."] for f in refused}}
        )
    document = KYC_MODELS[doc_type](driver=driver, **{f: data[f] for f in fields if f in data})
    if doc_type is not KycDocumentType.BACKGROUND_CHECK and not document.expires_on:
        raise InvalidPartnerData("this document needs its expiry date", extra={"errors": {"expires_on": ["Required."]}})
    if document.expires_on and document.expires_on < timezone.localdate():
        raise InvalidPartnerData(
            "this document has already expired", extra={"errors": {"expires_on": ["In the past."]}}
        )
    issued = getattr(document, "issued_on", None) or getattr(document, "checked_on", None)
    if issued and document.expires_on and issued > document.expires_on:
        raise InvalidPartnerData(
            "issued after it expires", extra={"errors": {"expires_on": ["Before the issue date."]}}
        )
    try:
        document.full_clean(exclude=["driver", "file_path"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise _invalid(exc) from None
    stored = files.store_private(
        upload, folder="kyc", allowed=("pdf", "jpeg", "png"), max_bytes=DOCUMENT_MAX_BYTES, image=images.SCAN
    )
    document.file_path, document.content_type = stored.path, stored.content_type
    document.size, document.sha256 = stored.size, stored.sha256
    document.save()
    compliance_recompute(driver=driver)
    return document


@transaction.atomic
def kyc_document_review(
    *, document_id: uuid.UUID, approve: bool, reviewer_id: uuid.UUID | None, reason: str = ""
) -> KycDocument:
    document = KycDocument.objects.select_for_update().filter(id=document_id).first()
    if document is None:
        raise DocumentNotFound("no such document")
    if document.status != KycStatus.SUBMITTED:
        raise IllegalReview(f"this document was already {document.status}; only submitted documents are reviewed")
    if not approve and not reason.strip():
        raise InvalidPartnerData(
            "say why the document is rejected", extra={"errors": {"reason": ["Required to reject."]}}
        )
    document.status = KycStatus.APPROVED if approve else KycStatus.REJECTED
    document.reviewed_by_id, document.reviewed_at = reviewer_id, timezone.now()
    document.rejection_reason = "" if approve else reason.strip()
    document.save(update_fields=["status", "reviewed_by_id", "reviewed_at", "rejection_reason"])
    driver = _locked(document.driver_id)
    real = document.get_real_instance()
    if approve and real.TYPE is KycDocumentType.DRIVING_LICENCE:
        driver.licence_classes = real.classes  # the approved licence is the source of truth
        driver.save(update_fields=["licence_classes", "updated_at"])
    compliance_recompute(driver=driver)
    return document


def _facts(driver: DriverProfile) -> list[domain.DocumentFact]:
    return [
        domain.DocumentFact(doc.get_real_instance_class().TYPE, KycStatus(doc.status), doc.expires_on, doc.submitted_at)
        for doc in driver.documents.all()
    ]


def compliance_recompute(*, driver: DriverProfile, today: dt.date | None = None) -> ComplianceStatus:
    """Derive compliance from the documents; publish and take the driver off duty when it is lost."""
    status, reasons = domain.derive_compliance(
        _facts(driver), suspended=driver.suspended_at is not None, today=today or timezone.localdate()
    )
    old = ComplianceStatus(driver.compliance_status)
    if status != old or list(reasons) != list(driver.compliance_reasons):
        driver.compliance_status, driver.compliance_reasons = status, list(reasons)
        driver.save(update_fields=["compliance_status", "compliance_reasons", "updated_at"])
    if status != old:
        publish(
            ComplianceChangedV1(
                driver_id=driver.id,
                user_id=driver.user_id,
                fleet_id=driver.fleet_id,
                old_status=old,
                new_status=status,
                reasons=reasons,
            )
        )
        if status is not ComplianceStatus.COMPLIANT:
            _force_off_duty(driver)
    return status


@transaction.atomic
def driver_suspend(*, driver_id: uuid.UUID, reason: str) -> DriverProfile:
    driver = _locked(driver_id)
    if driver.suspended_at is not None:
        raise IllegalSuspension("the driver is already suspended")
    if not reason.strip():
        raise InvalidPartnerData("say why", extra={"errors": {"reason": ["Required."]}})
    driver.suspended_at, driver.suspension_reason = timezone.now(), reason.strip()
    driver.save(update_fields=["suspended_at", "suspension_reason", "updated_at"])
    compliance_recompute(driver=driver)
    return driver


@transaction.atomic
def driver_reinstate(*, driver_id: uuid.UUID) -> DriverProfile:
    driver = _locked(driver_id)
    if driver.suspended_at is None:
        raise IllegalSuspension("the driver is not suspended")
    driver.suspended_at, driver.suspension_reason = None, ""
    driver.save(update_fields=["suspended_at", "suspension_reason", "updated_at"])
    compliance_recompute(driver=driver)
    return driver


# ---- duty and availability -----------------------------------------------------------------


def _force_off_duty(driver: DriverProfile) -> None:
    if driver.duty_status == DutyStatus.ON_DUTY:
        driver.duty_status, driver.duty_changed_at = DutyStatus.OFF_DUTY, timezone.now()
        driver.save(update_fields=["duty_status", "duty_changed_at", "updated_at"])
        publish(
            DutyStatusChangedV1(
                driver_id=driver.id,
                user_id=driver.user_id,
                fleet_id=driver.fleet_id,
                duty_status=DutyStatus.OFF_DUTY,
                forced=True,
            )
        )


@transaction.atomic
def duty_set(*, driver_id: uuid.UUID, on_duty: bool) -> DriverProfile:
    driver = _locked(driver_id)
    target = DutyStatus.ON_DUTY if on_duty else DutyStatus.OFF_DUTY
    if driver.duty_status == target:
        return driver
    if on_duty and (not driver.active or driver.compliance_status != ComplianceStatus.COMPLIANT):
        raise NotCompliant(
            "you can go on duty once your documents are approved and valid",
            extra={"compliance_status": driver.compliance_status, "reasons": driver.compliance_reasons},
        )
    driver.duty_status, driver.duty_changed_at = target, timezone.now()
    driver.save(update_fields=["duty_status", "duty_changed_at", "updated_at"])
    publish(
        DutyStatusChangedV1(driver_id=driver.id, user_id=driver.user_id, fleet_id=driver.fleet_id, duty_status=target)
    )
    return driver


@transaction.atomic
def availability_replace(
    *, driver_id: uuid.UUID, windows: list[tuple[int, dt.time, dt.time]]
) -> list[AvailabilityWindow]:
    driver = _locked(driver_id)
    for weekday, starts, ends in windows:
        if not 0 <= weekday <= 6 or ends <= starts:
            raise InvalidPartnerData(
                "each window needs a weekday 0-6 and an end after its start",
                extra={"errors": {"windows": [f"{weekday} {starts}-{ends}"]}},
            )
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, starts, ends in sorted(windows):
        previous = by_day.setdefault(weekday, [])
        if previous and starts < previous[-1][1]:
            raise InvalidPartnerData(
                "windows on the same day overlap", extra={"errors": {"windows": [f"weekday {weekday}"]}}
            )
        previous.append((starts, ends))
    driver.availability.all().delete()
    return AvailabilityWindow.objects.bulk_create(
        [AvailabilityWindow(driver=driver, weekday=d, starts=s, ends=e) for d, s, e in sorted(windows)]
    )


@transaction.atomic
def availability_exception_add(
    *,
    driver_id: uuid.UUID,
    date: dt.date,
    available: bool,
    starts: dt.time | None,
    ends: dt.time | None,
    reason: str = "",
) -> AvailabilityException:
    driver = _locked(driver_id)
    if (starts is None) != (ends is None) or (starts and ends and ends <= starts):
        raise InvalidPartnerData(
            "give both times with the end after the start, or neither", extra={"errors": {"ends": ["Invalid."]}}
        )
    if available and starts is None:
        raise InvalidPartnerData("an extra availability needs its hours", extra={"errors": {"starts": ["Required."]}})
    return AvailabilityException.objects.create(
        driver=driver, date=date, available=available, starts=starts, ends=ends, reason=reason
    )


@transaction.atomic
def availability_exception_remove(*, driver_id: uuid.UUID, exception_id: uuid.UUID) -> None:
    deleted, _ = AvailabilityException.objects.filter(id=exception_id, driver_id=driver_id).delete()
    if not deleted:
        raise DocumentNotFound("no such exception", code="partner.exception_not_found")


# ---- the daily expiry job --------------------------------------------------------------------


def documents_expire(*, today: dt.date | None = None, warn_days: int | None = None) -> tuple[int, int]:
    """Expire lapsed approved documents (recomputing compliance), and warn drivers once, N days ahead."""
    today = today or timezone.localdate()
    warn_days = settings.DOCUMENT_EXPIRY_WARNING_DAYS if warn_days is None else warn_days
    expired = 0
    with transaction.atomic():
        lapsed = list(
            KycDocument.objects.select_for_update(skip_locked=True).filter(
                status=KycStatus.APPROVED, expires_on__lt=today
            )
        )
        for doc in lapsed:
            doc.status = KycStatus.EXPIRED
            doc.save(update_fields=["status"])
        for driver in DriverProfile.objects.select_for_update().filter(id__in={d.driver_id for d in lapsed}):
            compliance_recompute(driver=driver, today=today)
        expired = len(lapsed)
    warned = 0
    expiring = KycDocument.objects.filter(
        status=KycStatus.APPROVED,
        expiry_warned_at__isnull=True,
        expires_on__gte=today,
        expires_on__lte=today + dt.timedelta(days=warn_days),
    ).select_related("driver")
    for doc in expiring:
        with transaction.atomic():
            if KycDocument.objects.filter(id=doc.id, expiry_warned_at__isnull=True).update(
                expiry_warned_at=timezone.now()
            ):
                _warn(doc)
                warned += 1
    return expired, warned


def _warn(doc: KycDocument) -> None:
    person = integrations.person_get(user_id=doc.driver.user_id)
    if person is None:
        return
    kind = doc.get_real_instance_class().TYPE.value.replace("_", " ")
    days = (doc.expires_on - timezone.localdate()).days
    transaction.on_commit(
        lambda: send_mail(
            f"Your {kind} expires in {days} days",
            f"Hello {person.display_name or 'there'},\n\nyour {kind} on file expires on {doc.expires_on:%d %B %Y}. "
            "Upload the renewed document in the driver app before then, or you cannot be assigned trips.",
            settings.DEFAULT_FROM_EMAIL,
            [person.email],
        )
    )
