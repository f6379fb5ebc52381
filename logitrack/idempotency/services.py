"""Stripe-style idempotency keys for mutating API calls.

- first use: the request runs; a 2xx outcome is stored with the business writes in one transaction;
- same key, same request, after completion: the stored response is replayed (no second effect);
- same key while the first is still running: 409 `idempotency.in_flight`, nothing stored, retry later;
- same key, different method/path/body: 422 `idempotency.key_reused`;
- an error outcome (4xx/5xx) releases the key, so the client may retry with the same key;
- keys are scoped per user and kept IDEMPOTENCY_RETENTION_HOURS (24 h); an older key is treated as new.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import uuid
from typing import Any, cast

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Field
from django.utils import timezone

from logitrack.db import contexts
from logitrack.exceptions import Conflict, Unprocessable
from logitrack.idempotency.models import IdempotencyKey

REPLAYED_HEADERS = ("Location", "ETag", "Content-Location")


@dataclasses.dataclass(frozen=True)
class Claim:
    key_id: int
    token: uuid.UUID


@dataclasses.dataclass(frozen=True)
class Replay:
    status: int
    body: Any
    headers: dict[str, str]


def fingerprint(*, method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()


def _retention() -> dt.timedelta:
    return dt.timedelta(hours=settings.IDEMPOTENCY_RETENTION_HOURS)


def _lock_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS)


def idempotency_claim(
    *, scope: str, key: str, method: str, path: str, fingerprint: str, using: str = DEFAULT_DB_ALIAS
) -> Claim | Replay:
    """Take the key for this request, or say why not (replay, in flight, reused). `using`: the database of the
    context whose view it is (its keys commit with its writes)."""
    now = timezone.now()
    token = uuid.uuid4()
    fresh = {
        "method": method,
        "path": path[:2000],
        "fingerprint": fingerprint,
        "state": IdempotencyKey.State.IN_FLIGHT,
        "lock_token": token,
        "locked_at": now,
        "response_status": None,
        "response_body": None,
        "response_headers": {},
        "created_at": now,
    }
    created_id = _insert_if_free(scope=scope, key=key, fresh=fresh, using=using)
    if created_id is not None:  # the common case: a key never seen, taken in one statement
        return Claim(created_id, token)
    keys = IdempotencyKey.objects.using(using)
    with transaction.atomic(using=using):
        # released between our insert and this read, it is created here after all
        row, created = keys.select_for_update().get_or_create(scope=scope, key=key, defaults=fresh)
        if created:
            return Claim(row.id, token)
        if row.created_at < now - _retention():
            keys.filter(id=row.id).update(**fresh)  # expired: a brand-new request
            return Claim(row.id, token)
        if row.fingerprint != fingerprint:
            raise Unprocessable(
                "this Idempotency-Key was already used for a different request; use a new key",
                code="idempotency.key_reused",
            )
        if row.state == IdempotencyKey.State.COMPLETED:
            return Replay(row.response_status or 200, row.response_body, dict(row.response_headers))
        if row.locked_at > now - _lock_timeout():
            raise Conflict(
                "a request with this Idempotency-Key is still being processed; retry shortly",
                code="idempotency.in_flight",
            )
        # The earlier attempt died mid-way; its writes rolled back with it, so running again is safe.
        keys.filter(id=row.id).update(lock_token=token, locked_at=now)
        return Claim(row.id, token)


def _insert_if_free(*, scope: str, key: str, fresh: dict[str, Any], using: str) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id (PostgreSQL and SQLite alike): the new row's id, or None when
    the key exists. One round trip where get_or_create under a lock took five (savepoints, SELECT, INSERT)."""
    connection = connections[using]
    meta = IdempotencyKey._meta
    values = {"scope": scope, "key": key, **fresh}
    fields = [cast("Field[Any, Any]", meta.get_field(name)) for name in values]  # concrete columns, no relations
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column or f.name) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({quote('scope')}, {quote('key')}) DO NOTHING RETURNING {quote('id')}"
    )
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def idempotency_complete(
    *, claim: Claim, status: int, body: Any, headers: dict[str, str], using: str = DEFAULT_DB_ALIAS
) -> None:
    """Store the outcome. Call inside the request's transaction so outcome and writes commit together."""
    stored = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
    updated = (
        IdempotencyKey.objects.using(using)
        .filter(id=claim.key_id, lock_token=claim.token, state=IdempotencyKey.State.IN_FLIGHT)
        .update(
            state=IdempotencyKey.State.COMPLETED,
            response_status=status,
            response_body=stored,
            response_headers={k: v for k, v in headers.items() if k in REPLAYED_HEADERS},
        )
    )
    if updated != 1:
        # Another attempt took the key over (ours looked dead): let ours roll back so only one applies.
        raise Conflict("this request lost its Idempotency-Key to a retry", code="idempotency.in_flight")


def idempotency_release(*, claim: Claim, using: str = DEFAULT_DB_ALIAS) -> None:
    IdempotencyKey.objects.using(using).filter(
        id=claim.key_id, lock_token=claim.token, state=IdempotencyKey.State.IN_FLIGHT
    ).delete()


def idempotency_purge(*, older_than: dt.timedelta | None = None) -> int:
    """Expired keys, in every context's database."""
    cutoff = timezone.now() - (older_than or _retention())
    return sum(
        IdempotencyKey.objects.using(using).filter(created_at__lt=cutoff).delete()[0] for using in contexts.aliases()
    )
