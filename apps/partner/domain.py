"""Pure rules of the partner context: compliance derived from documents, availability windows."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from apps.partner.contracts import REQUIRED_DOCUMENTS, ComplianceStatus, KycDocumentType, KycStatus


@dataclasses.dataclass(frozen=True)
class DocumentFact:
    type: KycDocumentType
    status: KycStatus
    expires_on: dt.date | None
    submitted_at: dt.datetime


def _state_of(docs: list[DocumentFact], today: dt.date) -> str:
    """ok / awaiting / missing / expired / rejected for one required document type."""
    if any(d.status == KycStatus.APPROVED and (d.expires_on is None or d.expires_on >= today) for d in docs):
        return "ok"
    if any(d.status == KycStatus.SUBMITTED for d in docs):
        return "awaiting"
    if not docs:
        return "missing"
    latest = max(docs, key=lambda d: d.submitted_at)
    if latest.status == KycStatus.REJECTED:
        return "rejected"
    return "expired"


def derive_compliance(
    documents: Iterable[DocumentFact], *, suspended: bool, today: dt.date
) -> tuple[ComplianceStatus, tuple[str, ...]]:
    """Suspended beats everything; an expired or rejected document makes a driver non-compliant;
    missing or unreviewed ones keep them pending; all approved and valid is compliant."""
    by_type: dict[KycDocumentType, list[DocumentFact]] = {t: [] for t in REQUIRED_DOCUMENTS}
    for doc in documents:
        if doc.type in by_type:
            by_type[doc.type].append(doc)
    states = {t: _state_of(docs, today) for t, docs in by_type.items()}
    reasons = tuple(f"{t.value}_{s}" for t, s in states.items() if s != "ok")
    if suspended:
        return ComplianceStatus.SUSPENDED, ("suspended", *reasons)
    if any(s in ("expired", "rejected") for s in states.values()):
        return ComplianceStatus.NON_COMPLIANT, reasons
    if reasons:
        return ComplianceStatus.PENDING, reasons
    return ComplianceStatus.COMPLIANT, ()


def licence_covers(held: Iterable[str], needed: str) -> bool:
    """EU classes: C1/C/CE need exactly that class or a higher one of the same family; '' needs none."""
    if not needed:
        return True
    held = {c.strip().upper() for c in held if c.strip()}
    ladders = (("B", "BE"), ("C1", "C", "CE"), ("C1", "C1E", "CE"), ("D1", "D", "DE"))
    if needed.upper() in held:
        return True
    for ladder in ladders:
        if needed.upper() in ladder:
            higher = ladder[ladder.index(needed.upper()) + 1 :]
            if held & set(higher):
                return True
    return False


def _day_covered(weekly, exceptions, date: dt.date, start: dt.time, end: dt.time) -> bool:
    day_exceptions = exceptions.get(date)
    if day_exceptions:
        if any(not available and begins is None for available, begins, _ in day_exceptions):
            return False  # off all day
        if any(not available and b < end and start < e for available, b, e in day_exceptions if b is not None):
            return False  # off for part of it
        slots = [(b, e) for available, b, e in day_exceptions if available and b is not None]
        if slots:
            return any(b <= start and end <= _end_of(e) for b, e in slots)  # that day's own hours
    return any(day == date.weekday() and b <= start and end <= _end_of(e) for day, b, e in weekly)


def _end_of(value: dt.time) -> dt.time:
    """A window ending at 23:59 runs to midnight."""
    return dt.time.max if value >= dt.time(23, 59) else value


def window_covered(
    *,
    weekly: list[tuple[int, dt.time, dt.time]],
    exceptions: dict[dt.date, list[tuple[bool, dt.time | None, dt.time | None]]],
    starts_at: dt.datetime,
    ends_at: dt.datetime,
) -> bool:
    """True when [starts_at, ends_at) (local time) lies inside the driver's availability, day by day.

    Weekly windows are (weekday 0=Monday, start, end). A day's exceptions override them: unavailable
    without times blocks the day, unavailable with times blocks those hours, available with times
    replaces that day's weekly hours.
    """
    if ends_at <= starts_at:
        return False
    cursor = starts_at
    while cursor < ends_at:
        midnight = dt.datetime.combine(cursor.date() + dt.timedelta(days=1), dt.time.min, tzinfo=cursor.tzinfo)
        segment_end = min(ends_at, midnight)
        end = dt.time.max if segment_end == midnight else segment_end.time()
        if not _day_covered(weekly, exceptions, cursor.date(), cursor.time(), end):
            return False
        cursor = segment_end
    return True
