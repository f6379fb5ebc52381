"""KYC documents as managers see them: the review queue."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.partner.selectors import visibility
from logitrack.principal import Principal


def documents_for_review(*, principal: Principal) -> QuerySet:
    """The documents of the fleets the principal manages, oldest submission first (filters come from the
    list's FilterSet: `status=submitted` unless asked otherwise)."""
    return visibility.documents_managed(principal=principal).select_related("driver").order_by("submitted_at")
