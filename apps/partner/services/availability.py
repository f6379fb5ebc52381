"""A driver's weekly availability windows and their one-off exceptions (fleet local time)."""

from __future__ import annotations

import datetime as dt
import uuid

from apps.partner.contracts import DocumentNotFound, InvalidPartnerData
from apps.partner.models import AvailabilityException, AvailabilityWindow
from apps.partner.services._shared import driver_locked
from logitrack.db import contexts


@contexts.atomic("partner")
def availability_replace(
    *, driver_id: uuid.UUID, windows: list[tuple[int, dt.time, dt.time]]
) -> list[AvailabilityWindow]:
    driver = driver_locked(driver_id)
    for weekday, starts, ends in windows:
        if not 0 <= weekday <= 6 or ends <= starts:
            raise InvalidPartnerData(
                "each window needs a weekday 0-6 and an end after its start",
                extra={"errors": {"windows": [f"{weekday} {starts}-{ends}"]}},
            )
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, starts, ends in sorted(windows):
        previous = by_day.setdefault(weekday, [])
        if previous and starts < previous[-1][1]:
            raise InvalidPartnerData(
                "windows on the same day overlap", extra={"errors": {"windows": [f"weekday {weekday}"]}}
            )
        previous.append((starts, ends))
    driver.availability.all().delete()
    return AvailabilityWindow.objects.bulk_create(
        [AvailabilityWindow(driver=driver, weekday=d, starts=s, ends=e) for d, s, e in sorted(windows)]
    )


@contexts.atomic("partner")
def availability_exception_add(
    *,
    driver_id: uuid.UUID,
    date: dt.date,
    available: bool,
    starts: dt.time | None,
    ends: dt.time | None,
    reason: str = "",
) -> AvailabilityException:
    driver = driver_locked(driver_id)
    if (starts is None) != (ends is None) or (starts and ends and ends <= starts):
        raise InvalidPartnerData(
            "give both times with the end after the start, or neither", extra={"errors": {"ends": ["Invalid."]}}
        )
    if available and starts is None:
        raise InvalidPartnerData("an extra availability needs its hours", extra={"errors": {"starts": ["Required."]}})
    return AvailabilityException.objects.create(
        driver=driver, date=date, available=available, starts=starts, ends=ends, reason=reason
    )


@contexts.atomic("partner")
def availability_exception_remove(*, driver_id: uuid.UUID, exception_id: uuid.UUID) -> None:
    deleted, _ = AvailabilityException.objects.filter(id=exception_id, driver_id=driver_id).delete()
    if not deleted:
        raise DocumentNotFound("no such exception", code="partner.exception_not_found")
