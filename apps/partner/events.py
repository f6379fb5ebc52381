"""Integration events the partner context publishes (versioned; see logitrack.events)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from apps.partner.contracts import ComplianceStatus, DutyStatus
from logitrack.events import IntegrationEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class DriverOnboardedV1(IntegrationEvent):
    TYPE = "logitrack.partner.driver.onboarded.v1"

    driver_id: uuid.UUID
    user_id: uuid.UUID
    fleet_id: uuid.UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class ComplianceChangedV1(IntegrationEvent):
    """A driver's compliance moved; anything but `compliant` means: assign them nothing new."""

    TYPE = "logitrack.partner.compliance.changed.v1"

    driver_id: uuid.UUID
    user_id: uuid.UUID
    fleet_id: uuid.UUID
    old_status: ComplianceStatus
    new_status: ComplianceStatus
    reasons: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class DutyStatusChangedV1(IntegrationEvent):
    TYPE = "logitrack.partner.duty_status.changed.v1"

    driver_id: uuid.UUID
    user_id: uuid.UUID
    fleet_id: uuid.UUID
    duty_status: DutyStatus
    forced: bool = False  # taken off duty by the platform (non-compliance, suspension), not by the driver


@dataclasses.dataclass(frozen=True, kw_only=True)
class KycDocumentExpiringV1(IntegrationEvent):
    """A driver's approved KYC document runs out in `days_left` days; published once per warning threshold
    (`threshold`: 30, 7, 1 by default) by the daily expiry job."""

    TYPE = "logitrack.partner.kyc_document.expiring.v1"

    document_id: uuid.UUID
    driver_id: uuid.UUID
    user_id: uuid.UUID
    fleet_id: uuid.UUID
    kyc_type: str
    expires_on: dt.date
    days_left: int
    threshold: int
