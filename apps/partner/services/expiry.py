"""The daily KYC expiry job (`partner_expire_documents`): lapsed approved documents expire, and a driver's document
about to run out is announced (`KycDocumentExpiringV1`) once per threshold (30, 7 and 1 days left by default);
notifications tells the driver."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps.partner.contracts import KycStatus
from apps.partner.events import KycDocumentExpiringV1
from apps.partner.models import DriverProfile, KycDocument
from apps.partner.services.compliance import compliance_recompute
from logitrack.db import contexts
from logitrack.outbox.api import publish


def documents_expire(*, today: dt.date | None = None, thresholds: Iterable[int] | None = None) -> tuple[int, int]:
    """Expire lapsed approved documents (recomputing compliance), and announce those about to expire: once per
    (document, threshold). A run missed for days announces only the smallest threshold now due."""
    today = today or timezone.localdate()
    steps = sorted({int(t) for t in (thresholds or settings.DOCUMENT_EXPIRY_WARNING_THRESHOLDS) if int(t) >= 0})
    expired = 0
    with contexts.atomic("partner"):
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
    if not steps:
        return expired, 0
    warned = 0
    expiring = KycDocument.objects.filter(
        status=KycStatus.APPROVED,
        expires_on__gte=today,
        expires_on__lte=today + dt.timedelta(days=steps[-1]),
    ).select_related("driver")
    for doc in expiring:
        assert doc.expires_on is not None
        days_left = (doc.expires_on - today).days
        due = next(t for t in steps if days_left <= t)
        with contexts.atomic("partner"):
            # the conditional update is the once-only guard: a second run (or a concurrent one) finds it done
            if (
                KycDocument.objects.filter(id=doc.id)
                .filter(Q(expiry_warned_days__isnull=True) | Q(expiry_warned_days__gt=due))
                .update(expiry_warned_days=due, expiry_warned_at=timezone.now())
            ):
                publish(
                    KycDocumentExpiringV1(
                        document_id=doc.id,
                        driver_id=doc.driver_id,
                        user_id=doc.driver.user_id,
                        fleet_id=doc.driver.fleet_id,
                        kyc_type=doc.kyc_type.value,
                        expires_on=doc.expires_on,
                        days_left=days_left,
                        threshold=due,
                    )
                )
                warned += 1
    return expired, warned
