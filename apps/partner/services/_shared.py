"""What every partner service needs: the driver row locked for the transaction, and a model's field errors as
the context's 400."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError

from apps.partner.contracts import DriverNotFound, InvalidPartnerData
from apps.partner.models import DriverProfile


def driver_locked(driver_id: uuid.UUID) -> DriverProfile:
    driver = DriverProfile.objects.select_for_update().filter(id=driver_id).first()
    if driver is None:
        raise DriverNotFound(f"driver {driver_id} does not exist")
    return driver


def invalid(exc: ValidationError) -> InvalidPartnerData:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return InvalidPartnerData("some values are not valid", extra={"errors": errors})
