"""KYC documents as managers see them: the review queue."""

from __future__ import annotations

import uuid

from django.db.models import Min, Q, QuerySet

from apps.partner.contracts import KycDocumentType, KycPending, KycQueue, KycStatus
from apps.partner.models import KYC_MODELS, KycDocument
from apps.partner.selectors import visibility
from logitrack.principal import Principal


def documents_for_review(*, principal: Principal) -> QuerySet:
    """The documents of the fleets the principal manages, oldest submission first (filters come from the
    list's FilterSet: `status=submitted` unless asked otherwise)."""
    return visibility.documents_managed(principal=principal).select_related("driver").order_by("submitted_at")


def review_queue_summary(*, fleet_ids: list[uuid.UUID], limit: int) -> KycQueue:
    """Submitted documents of these fleets' drivers, oldest first (the overview's queue)."""
    waiting = KycDocument.objects.non_polymorphic().filter(status=KycStatus.SUBMITTED, driver__fleet_id__in=fleet_ids)
    summary = waiting.aggregate(at=Min("submitted_at"))
    types = {m._meta.model_name: t for t, m in KYC_MODELS.items()}
    oldest = waiting.order_by("submitted_at", "id").values_list(
        "id", "driver_id", "driver__display_name", "driver__fleet_id", "polymorphic_ctype__model", "submitted_at"
    )[:limit]
    return KycQueue(
        count=waiting.count(),
        oldest_at=summary["at"],
        oldest=tuple(
            KycPending(
                id=doc_id,
                driver_id=driver_id,
                driver_name=name,
                fleet_id=fleet_id,
                document_type=KycDocumentType(types[model]),
                submitted_at=submitted_at,
            )
            for doc_id, driver_id, name, fleet_id, model, submitted_at in oldest
        ),
    )


def review_queue(*, principal: Principal) -> QuerySet:
    """Documents waiting for the principal's review (submitted, of the fleets they manage), oldest first."""
    return (
        visibility.documents_managed(principal=principal)
        .filter(status=KycStatus.SUBMITTED)
        .order_by("submitted_at", "id")
    )


def review_next(*, principal: Principal, after: KycDocument) -> KycDocument | None:
    """The document to review after `after`: the oldest waiting one submitted after it, else (the queue wrapped
    round) the oldest waiting one that is not `after` itself; None when nothing else waits."""
    queue = review_queue(principal=principal).exclude(id=after.id)
    later = queue.filter(
        Q(submitted_at__gt=after.submitted_at) | Q(submitted_at=after.submitted_at, id__gt=after.id)
    ).first()
    return later or queue.first()
