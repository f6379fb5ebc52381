"""The daily KYC expiry job (`partner_expire_documents`): lapsed approved documents expire, and drivers are
warned by email once, N days ahead."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from apps.partner import integrations
from apps.partner.contracts import KycStatus
from apps.partner.models import DriverProfile, KycDocument
from apps.partner.services.compliance import compliance_recompute


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
    kind = doc.kyc_type.value.replace("_", " ")
    assert doc.expires_on is not None  # only documents that expire soon are warned about
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
