"""Framework-free types the identity context shares: frozen dataclasses, enums, error types."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid

from logitrack.exceptions import Conflict, NotFound, ValidationFailed


class FleetRole(enum.StrEnum):
    FLEET_MANAGER = "fleet_manager"
    DISPATCHER = "dispatcher"
    DRIVER = "driver"


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserRef:
    """What other contexts may know of a user: no email or phone (ask identity when truly needed)."""

    id: uuid.UUID
    display_name: str
    is_active: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class CustomerRef:
    """A customer account as the staff booking for them pick it: who (name, email), to tell namesakes apart."""

    id: uuid.UUID
    display_name: str
    email: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserContact:
    """How to reach a user, for contexts that must notify them (documents expiring, invoices)."""

    id: uuid.UUID
    email: str
    display_name: str
    phone: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class MembershipRef:
    id: uuid.UUID
    user_id: uuid.UUID
    fleet_id: uuid.UUID
    role: FleetRole
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class InvitationRef:
    id: uuid.UUID
    email: str
    fleet_id: uuid.UUID
    role: FleetRole
    expires_at: dt.datetime


class UserNotFound(NotFound):
    code = "identity.user_not_found"


class EmailTaken(Conflict):
    code = "identity.email_taken"


class WeakPassword(ValidationFailed):
    code = "identity.weak_password"


class InvitationInvalid(ValidationFailed):
    """Unknown, expired, revoked or already used: one code, so tokens cannot be probed."""

    code = "identity.invitation_invalid"


class ResetTokenInvalid(ValidationFailed):
    code = "identity.reset_token_invalid"


class MembershipExists(Conflict):
    code = "identity.membership_exists"
