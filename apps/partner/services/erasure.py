"""GDPR erasure of a driver (`UserErasedV1`): personal data and scans of every profile of the user go."""

from __future__ import annotations

import uuid

from django.utils import timezone

from apps.partner.models import DriverProfile
from apps.partner.services.duty import duty_force_off
from logitrack import files
from logitrack.db import contexts


@contexts.atomic("partner")
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
        duty_force_off(driver)
        count += 1
    return count
