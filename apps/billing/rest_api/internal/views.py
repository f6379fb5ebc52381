"""Billing's internal HTTP API: every function of `api.py` for other contexts' processes when billing runs as its own
service (`BILLING_API_MODE=remote` on their side). POST `/internal/billing/<call>/` with the keyword arguments as a
JSON object; 200 `{"result": ...}` (logitrack.wire's JSON of the contract), or the contract error as problem+json
with its code (404 `billing.quote_not_found`, 409 `billing.quote_expired`, ...).

Service to service only: `Authorization: Bearer <token>` must be one of BILLING_SERVICE_TOKENS (several during a
rotation; compared in constant time): missing 401 `billing.internal.unauthenticated`, not accepted 403
`billing.internal.forbidden`. With no token configured the endpoints do not exist (404), as in the default
single-process deployment. Bad arguments are 400 `billing.internal.invalid` naming each; an unknown call 404. No
user, session, CSRF or throttle: the caller is a trusted process; not in the public OpenAPI schema."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing import api
from apps.billing.contracts import REMOTE
from logitrack import remote


@extend_schema(exclude=True)
class InternalCallApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]  # the service credential is checked below, before the body is read
    throttle_classes: list = []

    def post(self, request: Request, call: str) -> Response:
        tokens = [t for t in settings.BILLING_SERVICE_TOKENS if t]
        if not tokens:
            raise Http404
        remote.check_credential(request.headers.get("Authorization", ""), accepted=tokens, service="billing")
        return Response({"result": remote.serve_call(REMOTE, api, call, request.data)})
