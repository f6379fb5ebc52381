"""The operator's re-check of stored vehicle document scans (`fleet_sanitize_uploads`)."""

from __future__ import annotations

import uuid

from apps.fleet.models import VehicleDocument
from logitrack import files, images
from logitrack.db import contexts


def uploads_sanitize(*, dry_run: bool = False) -> files.RecheckReport:
    """Operator's re-check of stored vehicle document files (`fleet_sanitize_uploads`): images stored before
    uploads were re-encoded are re-encoded now, those that cannot be made safe are quarantined, PDFs refused
    today are flagged for a person. One transaction per file; a second run finds nothing to do."""
    report = files.RecheckReport()
    for document_id in VehicleDocument.objects.exclude(file_path="").order_by("id").values_list("id", flat=True):
        _document_file_recheck(document_id, report, dry_run)
    return report


@contexts.atomic("fleet")
def _document_file_recheck(document_id: uuid.UUID, report: files.RecheckReport, dry_run: bool) -> None:
    document = VehicleDocument.objects.select_for_update().filter(id=document_id).exclude(file_path="").first()
    if document is None:
        return
    label = f"vehicle document {document.id}"
    result = files.recheck_and_tally(document.file_path, image=images.SCAN, label=label, report=report, dry_run=dry_run)
    if dry_run or result.outcome not in ("rewritten", "quarantined"):
        return
    document.file_path = result.stored.path if result.stored else ""
    document.content_type = result.stored.content_type if result.stored else ""
    document.save(update_fields=["file_path", "content_type"])
