"""Framework-free types the identity context shares: frozen dataclasses, enums, error types."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid

from logitrack.exceptions import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from logitrack.wire import RemoteCall, RemoteInterface, contract_errors


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


@dataclasses.dataclass(frozen=True, kw_only=True)
class AccountLink:
    """An emailed account link that still opens something: a password reset or an invitation. `url` carries the
    secret token; it is made when asked for and never stored, so only the mail that is sent holds it."""

    kind: str  # "password_reset" | "invitation"
    email: str
    user_id: uuid.UUID | None  # the account, for a reset; an invitee may have none yet
    display_name: str
    url: str
    expires_at: dt.datetime
    fleet_id: uuid.UUID | None = None  # the fleet an invitation is into
    role: FleetRole | None = None
    invited_by: str = ""  # the inviting manager's name


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


# ---- API keys for integrators -------------------------------------------------------------------------------------


class ApiScope(enum.StrEnum):
    """What an integrator's API key may do. A view names the scope each HTTP method needs (`key_scopes`); a key
    reaches nothing else (deny by default: `auth.scope_missing`)."""

    TRIPS_READ = "trips:read"
    TRIPS_BOOK = "trips:book"
    TRIPS_CANCEL = "trips:cancel"
    FLEET_READ = "fleet:read"
    PARTNER_READ = "partner:read"
    BILLING_READ = "billing:read"
    WEBHOOKS_READ = "webhooks:read"
    WEBHOOKS_MANAGE = "webhooks:manage"


API_SCOPE_DESCRIPTIONS: dict[ApiScope, str] = {
    ApiScope.TRIPS_READ: "list and read the fleet's trips, their timelines",
    ApiScope.TRIPS_BOOK: "quote and book trips in the fleet",
    ApiScope.TRIPS_CANCEL: "cancel the fleet's trips (POST …/transitions/ with the action cancel, and a reason)",
    ApiScope.FLEET_READ: "list and read the fleet's vehicles",
    ApiScope.PARTNER_READ: "list and read the fleet's drivers",
    ApiScope.BILLING_READ: "list the fleet's invoices and receipts, download their PDFs",
    ApiScope.WEBHOOKS_READ: "list the fleet's webhook endpoints and their deliveries",
    ApiScope.WEBHOOKS_MANAGE: "register, change, remove webhook endpoints and replay deliveries",
}
API_KEY_PREFIX = "lt_"  # every key starts so: a JWT never does ("eyJ…"), and secret scanners can match it


@dataclasses.dataclass(frozen=True, kw_only=True)
class IssuedApiKey:
    """A key just created or rotated: `secret` is the whole key, shown this once and stored nowhere."""

    id: uuid.UUID
    service_account_id: uuid.UUID
    prefix: str
    secret: str
    scopes: tuple[str, ...]
    expires_at: dt.datetime


class ServiceAccountNotFound(NotFound):
    code = "identity.service_account_not_found"


class ApiKeyNotFound(NotFound):
    code = "identity.api_key_not_found"


class ServiceAccountNameTaken(Conflict):
    code = "identity.service_account_exists"


class ApiKeyInvalid(ValidationFailed):
    """Bad scopes or expiry asked for a new key (`extra["errors"]` names the field)."""

    code = "identity.api_key_invalid"


class ApiKeyRevoked(Conflict):
    """Rotating or revoking what is already revoked."""

    code = "identity.api_key_revoked"


# ---- identity as another process sees it (billing run as its own service; logitrack.remote) ---------------------


class IdentityUnavailable(ServiceUnavailable):
    """Identity is called over HTTP (from a context run as its own service) and cannot be reached: 503 with
    Retry-After. Nothing was changed; the same call may be made again later."""

    code = "identity.unavailable"
    title = "Identity is temporarily unavailable"


# The calls of api.py a context in another process needs (billing's own: a receipt's buyer, people's names), served
# at /internal/identity/<name>/ (logitrack.http.internal) and called through logitrack.remote.ContextApi. Reads only,
# so all may be retried; identity's writes (accounts, memberships) are never served. A call joins when such a
# caller needs it.
REMOTE = RemoteInterface(
    service="identity",
    calls={
        "user_contact_get": RemoteCall(returns=UserContact),
        "users_get": RemoteCall(returns=list[UserRef]),
    },
    errors=contract_errors(globals()),
    unavailable=IdentityUnavailable,
)
