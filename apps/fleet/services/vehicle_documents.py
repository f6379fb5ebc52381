"""Vehicle documents (registration, insurance, inspection): added with their scan, and the daily check
(`fleet_check_documents`) that says once when one is about to expire and once when it has."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.utils import timezone

from apps.fleet.contracts import InvalidFleetData, VehicleDocumentKind
from apps.fleet.events import VehicleDocumentExpiredV1, VehicleDocumentExpiringV1
from apps.fleet.models import Vehicle, VehicleDocument
from apps.fleet.services._shared import validate
from logitrack import files, images
from logitrack.db import contexts
from logitrack.outbox.api import publish

DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


@contexts.atomic("fleet")
def vehicle_document_add(
    *,
    vehicle_id: uuid.UUID,
    kind: VehicleDocumentKind,
    expires_on: dt.date,
    number: str = "",
    issued_on: dt.date | None = None,
    upload=None,
) -> VehicleDocument:
    vehicle = Vehicle.objects.select_for_update().get(id=vehicle_id)
    document = VehicleDocument(vehicle=vehicle, kind=kind, expires_on=expires_on, number=number, issued_on=issued_on)
    if issued_on and issued_on > expires_on:
        raise InvalidFleetData(
            "a document cannot expire before it was issued", extra={"errors": {"expires_on": ["Before issued_on."]}}
        )
    if upload is not None:
        stored = files.store_private(
            upload,
            folder="vehicle-documents",
            allowed=("pdf", "jpeg", "png"),
            max_bytes=DOCUMENT_MAX_BYTES,
            image=images.SCAN,
        )
        document.file_path, document.content_type = stored.path, stored.content_type
    validate(document, exclude=["vehicle"])
    try:
        document.save()
    except Exception:
        files.delete_private(document.file_path)
        raise
    return document


@contexts.atomic("fleet")
def vehicle_documents_check(*, today: dt.date | None = None, warn_days: int | None = None) -> tuple[int, int]:
    """Publish 'expiring' once per document and threshold (DOCUMENT_EXPIRY_WARNING_THRESHOLDS: 30, 7 and 1 days
    left; `warn_days` given: that one threshold only), and 'expired' once when it lapses. A run missed for days
    announces only the smallest threshold now due."""
    today = today or timezone.localdate()
    thresholds = [warn_days] if warn_days is not None else settings.DOCUMENT_EXPIRY_WARNING_THRESHOLDS
    steps = sorted({int(t) for t in thresholds if int(t) >= 0})
    now = timezone.now()
    warned = expired = 0
    expiring = (
        VehicleDocument.objects.select_for_update(skip_locked=True)
        .select_related("vehicle")
        .filter(expires_on__gte=today, expires_on__lte=today + dt.timedelta(days=steps[-1] if steps else -1))
    )
    for doc in expiring:
        days_left = (doc.expires_on - today).days
        due = next(t for t in steps if days_left <= t)
        if doc.expiry_warned_days is not None and doc.expiry_warned_days <= due:
            continue  # announced at this threshold (or a nearer one) already
        if warn_days is not None and doc.expiry_warned_at is not None:
            continue
        publish(
            VehicleDocumentExpiringV1(
                document_id=doc.id,
                vehicle_id=doc.vehicle_id,
                fleet_id=doc.vehicle.fleet_id,
                kind=VehicleDocumentKind(doc.kind),
                expires_on=doc.expires_on,
                days_left=days_left,
            )
        )
        doc.expiry_warned_at, doc.expiry_warned_days = now, due
        doc.save(update_fields=["expiry_warned_at", "expiry_warned_days"])
        warned += 1
    lapsed = (
        VehicleDocument.objects.select_for_update(skip_locked=True)
        .select_related("vehicle")
        .filter(expired_notified_at__isnull=True, expires_on__lt=today)
    )
    for doc in lapsed:
        publish(
            VehicleDocumentExpiredV1(
                document_id=doc.id,
                vehicle_id=doc.vehicle_id,
                fleet_id=doc.vehicle.fleet_id,
                kind=VehicleDocumentKind(doc.kind),
                expires_on=doc.expires_on,
            )
        )
        doc.expired_notified_at = now
        doc.save(update_fields=["expired_notified_at"])
        expired += 1
    return warned, expired
