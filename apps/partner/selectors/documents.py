"""KYC documents as managers see them: the review queue."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from apps.partner.contracts import KycStatus
from apps.partner.models import KycDocument
from apps.partner.selectors import visibility
from logitrack.principal import Principal


def documents_for_review(*, principal: Principal) -> QuerySet:
    """The documents of the fleets the principal manages, oldest submission first (filters come from the
    list's FilterSet: `status=submitted` unless asked otherwise)."""
    return visibility.documents_managed(principal=principal).select_related("driver").order_by("submitted_at")


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
