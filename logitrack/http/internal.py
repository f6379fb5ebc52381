"""The contexts' internal HTTP API: one view serves every context's published calls (its contracts' `REMOTE`) to
callers in other processes (logitrack.remote.ContextApi in remote mode on their side). POST
`/internal/<service>/<call>/` with the keyword arguments as a JSON object; 200 `{"result": ...}` (logitrack.wire's
JSON of the contract), or the contract error as problem+json with its code (404 `fleet.not_found`, 409
`billing.quote_expired`, ...).

Service to service only: `Authorization: Bearer <token>` must be one of `<SERVICE>_SERVICE_TOKENS` (several during a
rotation; compared in constant time): missing 401 `<service>.internal.unauthenticated`, not accepted 403
`<service>.internal.forbidden`. A service this process does not serve answers 404: no token configured for it (the
single-process default), not one of the served contexts, one this process itself calls remotely, or one it does
not run (LOGITRACK_CONTEXTS): its data is not here. Bad arguments are 400 `<service>.internal.invalid` naming each;
an unknown call 404. No user, session, CSRF or throttle: the caller is a trusted process; not in the public OpenAPI
schema.

Which contexts are served, with their api modules, is the composition root's choice (config/internal.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from logitrack import hosting, remote


@extend_schema(exclude=True)
class InternalCallApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]  # the service credential is checked below, before the body is read
    throttle_classes: list[Any] = []
    served: Mapping[str, remote.ContextApi] = {}  # by service name; given to as_view()

    def post(self, request: Request, service: str, call: str) -> Response:
        context = self.served.get(service)
        tokens = [t for t in getattr(settings, f"{service.upper()}_SERVICE_TOKENS", ()) if t] if context else []
        if context is None or not tokens or context.mode == remote.REMOTE or not hosting.hosted(service):
            raise Http404
        remote.check_credential(request.headers.get("Authorization", ""), accepted=tokens, service=service)
        module = context.inprocess_module()
        return Response({"result": remote.serve_call(context.interface, module, call, request.data)})
