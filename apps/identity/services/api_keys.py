"""API keys of integrators: service accounts per fleet, keys issued (shown once), rotated, revoked, and a presented
key checked on every request.

A key reads `lt_<prefix>_<secret>`: `prefix` (12 hex characters) is stored in clear, finds the row with one indexed
look-up and names the key in lists; `secret` (43 characters of [A-Za-z0-9], about 256 bits) is stored only as
HMAC-SHA256 under `API_KEY_HASH_SECRET`. A fast keyed hash is right here, unlike for passwords: a random 256-bit
secret cannot be guessed however fast each guess is, so a slow hash (Argon2) would only cost every request its
latency; the key of the HMAC means a leaked database alone does not even let anyone test a candidate secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import string
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from apps.identity import principals, selectors
from apps.identity.contracts import (
    API_KEY_PREFIX,
    ApiKeyInvalid,
    ApiKeyNotFound,
    ApiKeyRevoked,
    ApiScope,
    IssuedApiKey,
    ServiceAccountNameTaken,
    ServiceAccountNotFound,
)
from apps.identity.events import ApiKeyIssuedV1, ApiKeyRevokedV1
from apps.identity.models import ApiKey, ServiceAccount
from logitrack.db import contexts
from logitrack.exceptions import NotFound, Unauthenticated
from logitrack.outbox.api import publish
from logitrack.principal import Principal, Role

PREFIX_LENGTH = 12
SECRET_LENGTH = 43  # 43 × log2(62) ≈ 256 bits
_ALPHABET = string.ascii_letters + string.digits  # no "_" or "-": a key is one word, easy to select and to scan for
KEY_ROLES = (Role.FLEET_MANAGER, Role.DISPATCHER)  # a key sees what its fleet's staff see; its scopes say where
# who acts for `manage.py identity_api_keys`: a platform admin that is nobody's account (recorded as no one)
OPERATOR = Principal(user_id=uuid.UUID(int=0), global_roles=frozenset({Role.PLATFORM_ADMIN}))


def _by(principal: Principal) -> uuid.UUID | None:
    return None if principal is OPERATOR else principal.user_id


class KeyRejected(Unauthenticated):
    """401: the presented key is unknown, malformed, expired, revoked or rotated out."""

    code = "auth.key_invalid"
    title = "API key rejected"


def secret_hash(secret: str) -> str:
    return hmac.new(settings.API_KEY_HASH_SECRET.encode(), secret.encode(), hashlib.sha256).hexdigest()


def _new_key() -> tuple[str, str]:
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    return prefix, "".join(secrets.choice(_ALPHABET) for _ in range(SECRET_LENGTH))


def key_text(prefix: str, secret: str) -> str:
    return f"{API_KEY_PREFIX}{prefix}_{secret}"


def key_split(raw: str) -> tuple[str, str] | None:
    """(prefix, secret) of a key as presented, or None when it is not shaped like one."""
    if not raw.startswith(API_KEY_PREFIX):
        return None
    prefix, _, secret = raw[len(API_KEY_PREFIX) :].partition("_")
    if len(prefix) != PREFIX_LENGTH or len(secret) != SECRET_LENGTH:
        return None
    return prefix, secret


# ---- service accounts -------------------------------------------------------------------------------------------


def _fleet_managed(principal: Principal, fleet_id: uuid.UUID) -> None:
    # as for invitations: a fleet the caller does not manage, or one identity never saw a manager for, is absent
    if not selectors.manages(principal, fleet_id) or not selectors.fleet_known(fleet_id=fleet_id):
        raise NotFound("you manage no fleet by that id", code="fleet.not_found")


@contexts.atomic("identity")
def service_account_create(*, principal: Principal, fleet_id: uuid.UUID, name: str) -> ServiceAccount:
    _fleet_managed(principal, fleet_id)
    name = name.strip()
    if not name:
        raise ApiKeyInvalid("name the integration", extra={"errors": {"name": ["This field may not be blank."]}})
    try:
        with contexts.atomic("identity"):
            return ServiceAccount.objects.create(fleet_id=fleet_id, name=name, created_by_id=_by(principal))
    except IntegrityError:
        raise ServiceAccountNameTaken(f"the fleet already has an integration called {name!r}") from None


def _account(principal: Principal, service_account_id: uuid.UUID, *, for_update: bool = False) -> ServiceAccount:
    qs = selectors.service_accounts_visible(principal=principal)
    if for_update:
        qs = qs.select_for_update()
    found = qs.filter(id=service_account_id).first()
    if found is None:
        raise ServiceAccountNotFound("no such service account")
    return found


@contexts.atomic("identity")
def service_account_revoke(*, principal: Principal, service_account_id: uuid.UUID) -> ServiceAccount:
    """The integration is switched off: the account and every key it has stop at once."""
    account = _account(principal, service_account_id, for_update=True)
    if account.revoked_at is not None:
        raise ApiKeyRevoked("the service account is already revoked", code="identity.service_account_revoked")
    now = timezone.now()
    account.revoked_at, account.revoked_by_id = now, _by(principal)
    account.save(update_fields=["revoked_at", "revoked_by"])
    for key in account.keys.filter(revoked_at__isnull=True):
        _revoke(key, principal, now)
    return account


# ---- keys -------------------------------------------------------------------------------------------------------


def _scopes(scopes: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(scopes))
    unknown = [s for s in wanted if s not in set(ApiScope)]
    if unknown or not wanted:
        problem = f"unknown scopes: {', '.join(unknown)}" if unknown else "name at least one scope"
        raise ApiKeyInvalid(problem, extra={"errors": {"scopes": [problem]}})
    return sorted(wanted)


def expiry_for(expires_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """The expiry a new key gets: the default lifetime, or the one asked for if in (now, now + the maximum]."""
    if expires_at is None:
        return now + dt.timedelta(days=settings.API_KEY_DEFAULT_DAYS)
    if expires_at <= now or expires_at > now + dt.timedelta(days=settings.API_KEY_MAX_DAYS, minutes=5):
        problem = f"an expiry in the future, at most {settings.API_KEY_MAX_DAYS} days ahead"
        raise ApiKeyInvalid(problem, extra={"errors": {"expires_at": [problem]}})
    return expires_at


def _issue(account: ServiceAccount, *, scopes: list[str], expires_at: dt.datetime, by: uuid.UUID | None) -> tuple:
    prefix, secret = _new_key()
    key = ApiKey.objects.create(
        service_account=account,
        prefix=prefix,
        secret_hash=secret_hash(secret),
        scopes=scopes,
        expires_at=expires_at,
        created_by_id=by,
    )
    publish(ApiKeyIssuedV1(api_key_id=key.id, service_account_id=account.id, fleet_id=account.fleet_id))
    issued = IssuedApiKey(
        id=key.id,
        service_account_id=account.id,
        prefix=prefix,
        secret=key_text(prefix, secret),
        scopes=tuple(scopes),
        expires_at=expires_at,
    )
    return key, issued


@contexts.atomic("identity")
def api_key_create(
    *, principal: Principal, service_account_id: uuid.UUID, scopes: Iterable[str], expires_at: dt.datetime | None
) -> IssuedApiKey:
    """A new key for the account; the returned `secret` is the only time anyone sees it."""
    account = _account(principal, service_account_id, for_update=True)
    if account.revoked_at is not None:
        raise ApiKeyRevoked("the service account is revoked", code="identity.service_account_revoked")
    now = timezone.now()
    _, issued = _issue(account, scopes=_scopes(scopes), expires_at=expiry_for(expires_at, now), by=_by(principal))
    return issued


def _key(principal: Principal, service_account_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    account = _account(principal, service_account_id)
    key = ApiKey.objects.select_for_update().filter(id=key_id, service_account=account).first()
    if key is None:
        raise ApiKeyNotFound("no such key")
    return key


@contexts.atomic("identity")
def api_key_rotate(
    *, principal: Principal, service_account_id: uuid.UUID, key_id: uuid.UUID, expires_at: dt.datetime | None = None
) -> IssuedApiKey:
    """A successor with the same scopes; the old key keeps working for API_KEY_ROTATION_GRACE_HOURS (no sooner
    end than it had), so the integration can switch without an outage."""
    old = _key(principal, service_account_id, key_id)
    now = timezone.now()
    if old.revoked_at is not None or old.expires_at <= now:
        raise ApiKeyRevoked("a revoked or expired key cannot be rotated: create a new one")
    if old.rotated_at is not None:
        raise ApiKeyRevoked("this key was already rotated", code="identity.api_key_rotated")
    new, issued = _issue(
        old.service_account, scopes=list(old.scopes), expires_at=expiry_for(expires_at, now), by=_by(principal)
    )
    old.rotated_at, old.replaced_by = now, new
    old.expires_at = min(old.expires_at, now + dt.timedelta(hours=settings.API_KEY_ROTATION_GRACE_HOURS))
    old.save(update_fields=["rotated_at", "replaced_by", "expires_at"])
    principals.api_keys_forget(old.prefix)  # its shorter life applies at once
    return issued


def _revoke(key: ApiKey, principal: Principal | None, now: dt.datetime) -> None:
    key.revoked_at, key.revoked_by_id = now, _by(principal) if principal else None
    key.save(update_fields=["revoked_at", "revoked_by"])
    principals.api_keys_forget(key.prefix)  # refused from the next request on
    publish(ApiKeyRevokedV1(api_key_id=key.id, service_account_id=key.service_account_id))


@contexts.atomic("identity")
def api_key_revoke(*, principal: Principal, service_account_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    key = _key(principal, service_account_id, key_id)
    if key.revoked_at is not None:
        raise ApiKeyRevoked("the key is already revoked")
    _revoke(key, principal, timezone.now())
    return key


# ---- a presented key --------------------------------------------------------------------------------------------


def api_key_authenticate(*, raw: str) -> tuple[ApiKey, Principal]:
    """The key and the principal it acts as; raises KeyRejected (401) with why. No query while identity's cache
    holds the key (else one: key and account), plus an UPDATE of `last_used_at` at most once per
    API_KEY_LAST_USED_SECONDS per key."""
    parts = key_split(raw.strip())
    if parts is None:
        raise KeyRejected("this is not a LogiTrack API key", code="auth.key_invalid")
    prefix, secret = parts
    key = principals.api_key_get(prefix)
    # compare digests in constant time; an unknown prefix still costs one HMAC, so timing tells nothing
    presented = secret_hash(secret)
    if key is None or not hmac.compare_digest(presented, key.secret_hash):
        raise KeyRejected("unknown API key", code="auth.key_invalid")
    now = timezone.now()
    account = key.service_account
    if key.revoked_at is not None or account.revoked_at is not None:
        raise KeyRejected("this API key was revoked", code="auth.key_revoked")
    if key.expires_at <= now:
        if key.rotated_at is not None:
            raise KeyRejected("this API key was rotated and its grace period is over", code="auth.key_rotated")
        raise KeyRejected("this API key has expired", code="auth.key_expired")
    _touch(key, now)
    return key, key_principal(key)


def key_principal(key: ApiKey) -> Principal:
    """A service account acting in exactly its one fleet, as its staff would, limited to the key's scopes."""
    fleet_id = key.service_account.fleet_id
    return Principal.build(
        user_id=key.service_account_id,
        global_roles=(),
        memberships=[(role, fleet_id) for role in KEY_ROLES],
        scopes=key.scopes,
    )


def _touch(key: ApiKey, now: dt.datetime) -> None:
    """Record the use unless it was recorded within the interval; the conditional UPDATE keeps concurrent
    requests from writing it twice."""
    cutoff = now - dt.timedelta(seconds=settings.API_KEY_LAST_USED_SECONDS)
    if key.last_used_at is not None and key.last_used_at > cutoff:
        return
    ApiKey.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=cutoff), id=key.id).update(
        last_used_at=now
    )
    key.last_used_at = now
    principals.api_key_store(key, replace=True)  # the cached copy knows it was recorded
