"""`@idempotent` for DRF view methods that change state."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from django.db import transaction
from rest_framework.request import Request
from rest_framework.response import Response

from logitrack.db import contexts
from logitrack.exceptions import ValidationFailed
from logitrack.idempotency import services

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as Stripe accepts


def _body_for_fingerprint(request: Request) -> Any:
    data: Any = request.data
    files: Any = getattr(request, "FILES", None) or {}
    if hasattr(data, "lists"):  # QueryDict from form/multipart bodies; DRF merges the files into it
        body: Any = {k: v for k, v in data.lists() if k not in files}
    else:
        body = data
    if files:
        body = {"data": body, "files": sorted((name, f.name, f.size) for name, fs in files.lists() for f in fs)}
    return body


def idempotent(view_method: Callable[..., Response]) -> Callable[..., Response]:
    """Honour `Idempotency-Key` on this method (after authentication, permissions and throttling ran).

    Anonymous calls are not deduplicated: without a caller to scope the key to, replaying could leak
    one client's response to another.

    The key is kept in the database of the context whose view this is (`apps.<context>.…`) and the view runs in
    that context's transaction, so outcome and writes commit together there.
    """
    context = contexts.context_of_module(view_method.__module__)

    @functools.wraps(view_method)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return view_method(self, request, *args, **kwargs)
        if not _KEY.match(key):
            raise ValidationFailed(f"{HEADER} must be 1 to 255 visible ASCII characters", code="idempotency.bad_key")
        method = request.method or ""
        using = contexts.alias_of(context)  # settings decide at run time
        outcome = services.idempotency_claim(
            using=using,
            scope=str(request.user.pk),
            key=key,
            method=method,
            path=request.get_full_path(),
            fingerprint=services.fingerprint(
                method=method, path=request.get_full_path(), body=_body_for_fingerprint(request)
            ),
        )
        if isinstance(outcome, services.Replay):
            return Response(
                outcome.body, status=outcome.status, headers={**outcome.headers, "Idempotent-Replayed": "true"}
            )
        try:
            with transaction.atomic(using=using):
                response = view_method(self, request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    services.idempotency_complete(
                        claim=outcome,
                        status=response.status_code,
                        body=response.data,
                        headers=dict(response.items()),
                        using=using,
                    )
                    return response
        except BaseException:
            services.idempotency_release(claim=outcome, using=using)
            raise
        services.idempotency_release(claim=outcome, using=using)
        return response

    wrapper.idempotent = True  # type: ignore[attr-defined]  # the OpenAPI schema documents the header
    return wrapper
