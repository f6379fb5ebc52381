"""KYC documents: a driver submits one (validated by its type, the scan stored privately), a manager reviews it
once (`submitted -> approved | rejected`). Either recomputes the driver's compliance."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.partner.contracts import (
    DocumentNotFound,
    DriverNotFound,
    IllegalReview,
    InvalidPartnerData,
    KycDocumentType,
    KycStatus,
)
from apps.partner.models import KYC_FIELDS, KYC_MODELS, DrivingLicence, KycDocument
from apps.partner.services._shared import driver_locked, invalid
from apps.partner.services.compliance import compliance_recompute
from logitrack import files, images
from logitrack.db import contexts

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


@contexts.atomic("partner")
def kyc_document_submit(
    *, driver_id: uuid.UUID, doc_type: KycDocumentType, data: dict[str, Any], upload
) -> KycDocument:
    driver = driver_locked(driver_id)
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
        raise invalid(exc) from None
    stored = files.store_private(
        upload, folder="kyc", allowed=("pdf", "jpeg", "png"), max_bytes=DOCUMENT_MAX_BYTES, image=images.SCAN
    )
    document.file_path, document.content_type = stored.path, stored.content_type
    document.size, document.sha256 = stored.size, stored.sha256
    document.save()
    compliance_recompute(driver=driver)
    return document


@contexts.atomic("partner")
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
    driver = driver_locked(document.driver_id)
    real = document.get_real_instance()
    if approve and isinstance(real, DrivingLicence):
        driver.licence_classes = real.classes  # the approved licence is the source of truth
        driver.save(update_fields=["licence_classes", "updated_at"])
    compliance_recompute(driver=driver)
    return document
