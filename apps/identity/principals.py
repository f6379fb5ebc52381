"""Who a user is, as a request needs it (active, the password digest access tokens carry, the principal), cached per
user in the shared cache for IDENTITY_PRINCIPAL_CACHE_SECONDS, so an authenticated request reads neither users nor
memberships once warm.

Everything that changes an entry forgets it (`forget`): password change or reset, deactivation, erasure, a
membership granted or revoked, an admin's edit or password page of a user (an edit elsewhere, in a shell, is seen
within the entry's lifetime). Forgetting drops the entry at once and, when the transaction commits, writes a
tombstone for a few seconds over whatever is there; entries are only ever added where nothing is (SET NX). So a
request that read the old rows before the commit cannot leave them cached: stored before the commit, the tombstone
replaces them; after it, the tombstone refuses them. While it lasts every request reads the database.

Access tokens of an ended login (logout, reuse detected) are marked per token family for the access lifetime
(`families_end`) and the check rides on the same round trip as the entry (`resolve_for_token`).

Only a shared cache (Redis) is used: with the embedded default's per-process cache another process (a command, the
admin in another worker) could not reach the entry to forget it, so the setting is 0 there and nothing is cached.
A cache that fails is read around (the database answers) and logged; it never refuses a request.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from rest_framework_simplejwt.utils import get_md5_hash_password

from apps.identity.models import ApiKey, Membership, ServiceAccount, User
from logitrack.db import contexts
from logitrack.principal import GLOBAL_ROLES, Principal, Role

log = structlog.get_logger(__name__)

VERSION = 1  # bump when the entry's shape changes: old entries are then never read
FAMILY_CLAIM = "fam"  # the login (token family) an access token belongs to; tokens.py writes it
_USER = "identity:principal:v{}:{}"
_FAMILY = "identity:family-ended:{}"


@dataclasses.dataclass(frozen=True)
class Resolved:
    """What authenticating a user needs: None as `principal` for an inactive account."""

    user_id: uuid.UUID
    principal: Principal | None
    password_digest: str  # simplejwt's revoke claim: access tokens issued before a password change differ


def _seconds() -> int:
    return int(settings.IDENTITY_PRINCIPAL_CACHE_SECONDS)


def _user_key(user_id: uuid.UUID | str) -> str:
    return _USER.format(VERSION, user_id)


def _family_key(family: str) -> str:
    return _FAMILY.format(family)


def load(user_id: uuid.UUID) -> Resolved | None:
    """From the database: the user (one query) and, if active, their current memberships (one more)."""
    row = User.objects.filter(id=user_id).values("id", "is_active", "is_superuser", "is_customer", "password").first()
    if row is None:
        return None
    principal = None
    if row["is_active"]:
        roles = set()
        if row["is_superuser"]:
            roles.add(Role.PLATFORM_ADMIN)
        if row["is_customer"]:
            roles.add(Role.CUSTOMER)
        memberships = Membership.objects.filter(user_id=user_id, revoked_at__isnull=True).values_list(
            "role", "fleet_id"
        )
        principal = Principal.build(
            user_id=row["id"],
            global_roles=roles & GLOBAL_ROLES,
            memberships=[(Role(role), fleet_id) for role, fleet_id in memberships],
        )
    return Resolved(row["id"], principal, get_md5_hash_password(row["password"]))


def _pack(found: Resolved | None) -> tuple | None:
    # plain values, not the dataclasses: an entry stays readable across deploys that change those classes
    if found is None:
        return None
    p = found.principal
    principal = (
        None if p is None else (sorted(p.global_roles), [(r, str(f)) for r, fs in p.fleets_by_role.items() for f in fs])
    )
    return (str(found.user_id), principal, found.password_digest)


def _unpack(entry: tuple[str, tuple[list[str], list[tuple[str, str]]] | None, str]) -> Resolved:
    user_id, principal, digest = entry
    built = None
    if principal is not None:
        roles, memberships = principal
        built = Principal.build(
            user_id=uuid.UUID(user_id),
            global_roles=[Role(r) for r in roles],
            memberships=[(Role(r), uuid.UUID(f)) for r, f in memberships],
        )
    return Resolved(uuid.UUID(user_id), built, digest)


_MISSING = object()
FORGOTTEN = "forgotten"  # the tombstone: read the database, store nothing
TOMBSTONE_SECONDS = 5  # longer than a request takes from its read to its store


def _store(user_id: uuid.UUID, found: Resolved | None) -> None:
    try:
        cache.add(_user_key(user_id), ("found", _pack(found)), _seconds())
    except Exception as exc:  # the cache is an optimisation: never fail a request over it
        log.warning("identity.principal_cache_unavailable", op="set", error=repr(exc))


def resolve(*, user_id: uuid.UUID) -> Resolved | None:
    """The user as authentication sees them (None: no such user): from the cache when warm."""
    if _seconds() <= 0:
        return load(user_id)
    try:
        entry = cache.get(_user_key(user_id), _MISSING)
    except Exception as exc:
        log.warning("identity.principal_cache_unavailable", op="get", error=repr(exc))
        return load(user_id)
    if entry == FORGOTTEN:
        return load(user_id)
    if entry is not _MISSING:
        return _unpack(entry[1]) if entry[1] is not None else None
    found = load(user_id)
    _store(user_id, found)
    return found


def resolve_for_token(*, user_id: uuid.UUID, family: str | None) -> tuple[Resolved | None, bool]:
    """(the user, whether the token's login was ended): one cache round trip when warm."""
    if _seconds() <= 0:
        return load(user_id), _family_ended_in_db(family)
    keys = [_user_key(user_id)] + ([_family_key(family)] if family else [])
    try:
        entries = cache.get_many(keys)
    except Exception as exc:
        log.warning("identity.principal_cache_unavailable", op="get_many", error=repr(exc))
        return load(user_id), _family_ended_in_db(family)
    ended = bool(family) and _family_key(family or "") in entries
    entry = entries.get(keys[0], _MISSING)
    if entry == FORGOTTEN:
        return load(user_id), ended
    if entry is not _MISSING:
        return (_unpack(entry[1]) if entry[1] is not None else None), ended
    found = load(user_id)
    _store(user_id, found)
    return found, ended


def token_principal(validated_token: Any) -> tuple[uuid.UUID, Principal]:
    """The caller of a validated access token, as every entry point checks it (REST, websockets): simplejwt's checks
    (a known, active user; the password unchanged since the token was issued) plus one it lacks, that the token's
    login was not ended (logout, refresh-token reuse). Raises simplejwt's InvalidToken / AuthenticationFailed."""
    from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
    from rest_framework_simplejwt.settings import api_settings as jwt_settings

    try:
        user_id = uuid.UUID(str(validated_token[jwt_settings.USER_ID_CLAIM]))
    except (KeyError, ValueError) as exc:
        raise InvalidToken("Token contained no recognizable user identification") from exc
    family = validated_token.get(FAMILY_CLAIM)
    found, ended = resolve_for_token(user_id=user_id, family=str(family) if family else None)
    if found is None:
        raise AuthenticationFailed("User not found", code="user_not_found")
    if found.principal is None:
        raise AuthenticationFailed("User is inactive", code="user_inactive")
    if (
        jwt_settings.CHECK_REVOKE_TOKEN
        and validated_token.get(jwt_settings.REVOKE_TOKEN_CLAIM) != found.password_digest
    ):
        raise AuthenticationFailed("The user's password has been changed.", code="password_changed")
    if ended:
        raise AuthenticationFailed("this session was ended; log in again", code="token_revoked")
    return user_id, found.principal


def _family_ended_in_db(family: str | None) -> bool:
    """Without a shared cache an ended login is read from its refresh tokens (the embedded default)."""
    if not family:
        return False
    from apps.identity.models import RefreshToken

    return RefreshToken.objects.filter(family=family, revoked_at__isnull=False).exists()


def _drop(keys: list[str]) -> None:
    try:
        cache.delete_many(keys)
    except Exception as exc:
        log.error("identity.principal_cache_forget_failed", keys=keys, error=repr(exc))


def _bury(keys: list[str]) -> None:
    try:
        cache.set_many(dict.fromkeys(keys, FORGOTTEN), TOMBSTONE_SECONDS)
    except Exception as exc:
        log.error("identity.principal_cache_forget_failed", keys=keys, error=repr(exc))


def forget(*user_ids: uuid.UUID) -> None:
    """The users' entries are stale: drop them now and once the current transaction commits."""
    if _seconds() <= 0 or not user_ids:
        return
    keys = [_user_key(u) for u in user_ids]
    _drop(keys)  # the next request reads the database
    contexts.on_commit(lambda: _bury(keys), "identity")  # and whatever was read before the commit is not stored


def families_end(families: Iterable[uuid.UUID | str]) -> None:
    """Access tokens of these logins stop at once (they would otherwise live out their few minutes)."""
    marks = {_family_key(str(f)): 1 for f in families}
    if _seconds() <= 0 or not marks:
        return
    from rest_framework_simplejwt.settings import api_settings as jwt_settings

    lifetime = int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds()) + 60  # and some clock skew
    try:
        cache.set_many(marks, lifetime)
    except Exception as exc:
        log.error("identity.family_end_unrecorded", error=repr(exc))


# ---- API keys ---------------------------------------------------------------------------------------------------
# A presented key's row and its service account's, by prefix. Never an unknown prefix: guesses would fill the cache.
_KEY = "identity:api-key:v{}:{}"
_KEY_FIELDS = ("id", "prefix", "secret_hash", "scopes", "expires_at", "last_used_at", "rotated_at", "revoked_at")
_ACCOUNT_FIELDS = ("id", "fleet_id", "name", "revoked_at")


def _api_key_key(prefix: str) -> str:
    return _KEY.format(VERSION, prefix)


def api_key_get(prefix: str) -> ApiKey | None:
    """The key with its service account, from the cache when warm, else from the database (one query)."""
    if _seconds() > 0:
        try:
            entry = cache.get(_api_key_key(prefix))
        except Exception as exc:
            log.warning("identity.principal_cache_unavailable", op="get", error=repr(exc))
            return ApiKey.objects.select_related("service_account").filter(prefix=prefix).first()
        if entry == FORGOTTEN:
            return ApiKey.objects.select_related("service_account").filter(prefix=prefix).first()
        if entry is not None:
            key_fields, account_fields = entry
            return ApiKey(**key_fields, service_account=ServiceAccount(**account_fields))
    key = ApiKey.objects.select_related("service_account").filter(prefix=prefix).first()
    if key is not None:
        api_key_store(key)
    return key


def api_key_store(key: ApiKey, *, replace: bool = False) -> None:
    """Add the key's entry where none is; `replace`: over a live one too (its last use was just recorded), never
    over a tombstone."""
    if _seconds() <= 0:
        return
    account = key.service_account
    entry = ({f: getattr(key, f) for f in _KEY_FIELDS}, {f: getattr(account, f) for f in _ACCOUNT_FIELDS})
    name = _api_key_key(key.prefix)
    try:
        if not cache.add(name, entry, _seconds()) and replace and cache.get(name) not in (None, FORGOTTEN):
            cache.set(name, entry, _seconds())
    except Exception as exc:
        log.warning("identity.principal_cache_unavailable", op="set", error=repr(exc))


def api_keys_forget(*prefixes: str) -> None:
    """These keys changed (revoked, rotated): drop them now and once the current transaction commits."""
    if _seconds() <= 0 or not prefixes:
        return
    keys = [_api_key_key(p) for p in prefixes]
    _drop(keys)  # the next request reads the database
    contexts.on_commit(lambda: _bury(keys), "identity")  # and whatever was read before the commit is not stored
