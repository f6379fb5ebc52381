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


@dataclasses.dataclass(frozen=True, kw_only=True)
class PasswordResetRequestedV1(IntegrationEvent):
    """A password link is to be mailed: one asked for, or a new account's first (`welcome`: an account made for
    someone, e.g. an imported driver, who chooses their password with it). The token never travels: whoever mails
    it asks `identity.api.account_link` for the link, which is None once it was used or has expired."""

    TYPE = "logitrack.identity.password_reset.requested.v1"

    reset_id: int
    user_id: uuid.UUID
    welcome: bool = False
    fleet_id: uuid.UUID | None = None  # the fleet a welcomed account was made for (its name and language)


@dataclasses.dataclass(frozen=True, kw_only=True)
class InvitationCreatedV1(IntegrationEvent):
    """An invitation to a fleet role is to be mailed; its link comes from `identity.api.account_link`."""

    TYPE = "logitrack.identity.invitation.created.v1"

    invitation_id: uuid.UUID
    fleet_id: uuid.UUID
    role: FleetRole
    invited_by_id: uuid.UUID | None
