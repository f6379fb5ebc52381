"""The operator's re-check of stored driver photos and KYC scans (`partner_sanitize_uploads`)."""

from __future__ import annotations

import uuid

from apps.partner.contracts import KycStatus
from apps.partner.models import DriverProfile, KycDocument
from apps.partner.services._shared import driver_locked
from apps.partner.services.kyc import kyc_document_review
from logitrack import files, images
from logitrack.db import contexts

UNREADABLE_SCAN = "the scan could not be read safely; upload it again"


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


@contexts.atomic("partner")
def _photo_recheck(driver_id: uuid.UUID, report: files.RecheckReport, dry_run: bool) -> None:
    driver = driver_locked(driver_id)
    if not driver.photo_path:
        return
    label = f"photo of driver {driver.id}"
    result = files.recheck_and_tally(driver.photo_path, image=images.PHOTO, label=label, report=report, dry_run=dry_run)
    if dry_run or result.outcome not in ("rewritten", "quarantined"):
        return
    driver.photo_path = result.stored.path if result.stored else ""
    driver.save(update_fields=["photo_path", "updated_at"])


@contexts.atomic("partner")
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
