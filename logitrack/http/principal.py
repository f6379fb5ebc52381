"""The request's principal, built once per request by the loader identity provides (via settings)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, cast

from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework.permissions import BasePermission

from logitrack.exceptions import NotFound
from logitrack.principal import Principal, Role


@cache
def _loader() -> Callable[..., Principal | None]:
    # settings name the function (identity's api), so the kernel never imports an app
    loader: Callable[..., Principal | None] = import_string(settings.LOGITRACK_PRINCIPAL_LOADER)
    return loader


def principal_for_user(user: Any) -> Principal | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    # an API key's caller (identity's service account) arrives with its principal already built: no user to load
    carried = getattr(user, "logitrack_principal", None)
    if isinstance(carried, Principal):
        return carried
    return _loader()(user_id=user.pk)


def principal(request: Any) -> Principal | None:
    """The caller of this request, or None when anonymous. Cached on the request."""
    cached = getattr(request, "_logitrack_principal", False)
    if cached is not False:
        return cast(Principal | None, cached)
    found = principal_for_user(getattr(request, "user", None))
    request._logitrack_principal = found
    return found


def require_principal(request: Any) -> Principal:
    found = principal(request)
    if found is None:
        from rest_framework.exceptions import NotAuthenticated

        raise NotAuthenticated()
    return found


def require_fleet(request: Any, fleet_id: Any, *roles: Role) -> Principal:
    """The caller may act on `fleet_id` in one of `roles`; otherwise the fleet does not exist for them (404)."""
    found = require_principal(request)
    if not found.may_act_on_fleet(fleet_id, *roles):
        raise NotFound("no such fleet", code="fleet.not_found")
    return found


def required_scope(view: Any, method: str) -> str | None:
    """The scope an API key needs to call `method` on `view`, from the view's `key_scopes` ({"GET": "trips:read"};
    "*" for every method not named); None: keys may not call it at all (deny by default). HEAD and OPTIONS read."""
    declared = getattr(view, "key_scopes", None) or {}
    method = "GET" if method.upper() in ("HEAD", "OPTIONS") else method.upper()
    found = declared.get(method) or declared.get("*")
    return str(found) if found else None


class HasRole(BasePermission):
    """`permission_classes = [HasRole.of(Role.FLEET_MANAGER, Role.DISPATCHER)]` — any one of the roles.

    Platform admins pass every role check.
    """

    roles: tuple[Role, ...] = ()
    message = "your role does not allow this"

    @classmethod
    def of(cls, *roles: Role) -> type[HasRole]:
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"roles": roles})

    def has_permission(self, request: Any, view: Any) -> bool:
        found = principal(request)
        return found is not None and (found.is_platform_admin or found.has_role(*self.roles))


class IsAuthenticatedPrincipal(BasePermission):
    """Any logged-in, active user."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return principal(request) is not None
