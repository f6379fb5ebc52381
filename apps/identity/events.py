"""Integration events the identity context publishes. Ids only: no personal data travels in events."""

from __future__ import annotations

import dataclasses
import uuid

from apps.identity.contracts import FleetRole
from logitrack.events import IntegrationEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserRegisteredV1(IntegrationEvent):
    TYPE = "logitrack.identity.user.registered.v1"

    user_id: uuid.UUID
    is_customer: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class MembershipGrantedV1(IntegrationEvent):
    TYPE = "logitrack.identity.membership.granted.v1"

    membership_id: uuid.UUID
    user_id: uuid.UUID
    fleet_id: uuid.UUID
    role: FleetRole


@dataclasses.dataclass(frozen=True, kw_only=True)
class MembershipRevokedV1(IntegrationEvent):
    TYPE = "logitrack.identity.membership.revoked.v1"

    membership_id: uuid.UUID
    user_id: uuid.UUID
    fleet_id: uuid.UUID
    role: FleetRole


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserDeactivatedV1(IntegrationEvent):
    TYPE = "logitrack.identity.user.deactivated.v1"

    user_id: uuid.UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserErasedV1(IntegrationEvent):
    """The user's personal data is gone from identity; every context anonymises what it holds."""

    TYPE = "logitrack.identity.user.erased.v1"

    user_id: uuid.UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class ApiKeyIssuedV1(IntegrationEvent):
    """An API key was created or issued by rotation (for audit trails; the secret never travels)."""

    TYPE = "logitrack.identity.api_key.issued.v1"

    api_key_id: uuid.UUID
    service_account_id: uuid.UUID
    fleet_id: uuid.UUID


@dataclasses.dataclass(frozen=True, kw_only=True)
class ApiKeyRevokedV1(IntegrationEvent):
    """An API key stops working now (revoked alone, or with its service account)."""

    TYPE = "logitrack.identity.api_key.revoked.v1"

    api_key_id: uuid.UUID
    service_account_id: uuid.UUID
