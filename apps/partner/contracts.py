"""Framework-free types the partner context shares: frozen dataclasses, enums, error types."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid

from logitrack.exceptions import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from logitrack.wire import RemoteCall, RemoteInterface, contract_errors


class ComplianceStatus(enum.StrEnum):
    PENDING = "pending"  # onboarding: documents missing or awaiting review
    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"  # a required document expired or was rejected
    SUSPENDED = "suspended"  # by a fleet manager


class DutyStatus(enum.StrEnum):
    ON_DUTY = "on_duty"
    OFF_DUTY = "off_duty"


class KycDocumentType(enum.StrEnum):
    DRIVING_LICENCE = "driving_licence"
    IDENTITY_DOCUMENT = "identity_document"
    BACKGROUND_CHECK = "background_check"


class KycStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


REQUIRED_DOCUMENTS = (
    KycDocumentType.DRIVING_LICENCE,
    KycDocumentType.IDENTITY_DOCUMENT,
    KycDocumentType.BACKGROUND_CHECK,
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class DriverRef:
    id: uuid.UUID
    user_id: uuid.UUID
    fleet_id: uuid.UUID
    display_name: str
    licence_classes: tuple[str, ...]
    compliance_status: ComplianceStatus
    duty_status: DutyStatus
    active: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class KycExpiry:
    """When a driver's current (approved) document of one type runs out."""

    driver_id: uuid.UUID
    document_type: KycDocumentType
    expires_on: dt.date
    document_id: uuid.UUID | None = None  # the document itself (the overview links to its review page)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Eligibility:
    """Whether a driver may be given work now, and if not, every reason why."""

    driver_id: uuid.UUID
    eligible: bool
    reasons: tuple[str, ...] = ()


class DriverNotFound(NotFound):
    code = "partner.driver_not_found"


class DocumentNotFound(NotFound):
    code = "partner.document_not_found"


class NotCompliant(Conflict):
    code = "partner.not_compliant"


class IllegalReview(Conflict):
    code = "partner.illegal_review"


class IllegalSuspension(Conflict):
    code = "partner.illegal_suspension"


class InvalidPartnerData(ValidationFailed):
    code = "partner.invalid"


class AmbiguousDriver(ValidationFailed):
    """The user drives for several fleets: say which one (`fleet_id`)."""

    code = "partner.fleet_required"


@dataclasses.dataclass(frozen=True, kw_only=True)
class AvailabilitySlot:
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class KycPending:
    """A document handed in and waiting for a manager's review."""

    id: uuid.UUID
    driver_id: uuid.UUID
    driver_name: str
    fleet_id: uuid.UUID
    document_type: KycDocumentType
    submitted_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class KycQueue:
    """The review queue of some fleets: how many documents wait, since when, and the oldest few."""

    count: int
    oldest_at: dt.datetime | None
    oldest: tuple[KycPending, ...]


# ---- partner as another process sees it (billing run as its own service; logitrack.remote) ----------------------


class PartnerUnavailable(ServiceUnavailable):
    """Partner is called over HTTP (from a context run as its own service) and cannot be reached: 503 with
    Retry-After. Nothing was changed; the same call may be made again later."""

    code = "partner.unavailable"
    title = "Partner is temporarily unavailable"


# The calls of api.py a context in another process needs (billing's own: the calling driver's profile for the
# wallet, drivers' names), served at /internal/partner/<name>/ (logitrack.http.internal) and called through
# logitrack.remote.ContextApi. Reads only, so all may be retried. A call joins when such a caller needs it.
REMOTE = RemoteInterface(
    service="partner",
    calls={
        "driver_for_user": RemoteCall(returns=DriverRef),
        "drivers_get": RemoteCall(returns=list[DriverRef]),
    },
    errors=contract_errors(globals()),
    unavailable=PartnerUnavailable,
)
