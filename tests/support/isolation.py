"""Tenant-isolation test kit: two fleets with a user of every role in each, and assertions that an
endpoint neither reveals (404, not 403) nor lists another fleet's rows. Every context's tests reuse it."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from typing import Any

from rest_framework.test import APIClient

from apps.identity import api as identity_api
from apps.identity.contracts import FleetRole
from apps.identity.models import User
from apps.identity.services import memberships as identity_memberships
from apps.identity.tests.factories import PlatformAdminFactory, UserFactory
from logitrack.principal import Principal

FLEET_ROLES = (FleetRole.FLEET_MANAGER, FleetRole.DISPATCHER, FleetRole.DRIVER)


@dataclasses.dataclass
class Tenant:
    name: str
    fleet_id: uuid.UUID
    users: dict[FleetRole, User]

    def client(self, role: FleetRole) -> APIClient:
        return client_for(self.users[role])

    def principal(self, role: FleetRole) -> Principal:
        found = identity_api.principal_get(user_id=self.users[role].id)
        assert found is not None
        return found


@dataclasses.dataclass
class TwoFleets:
    a: Tenant
    b: Tenant
    customer: User
    platform_admin: User

    def clients(self) -> Iterable[tuple[str, APIClient]]:
        """Every role of fleet A, each of which must be blind to fleet B."""
        for role in FLEET_ROLES:
            yield f"a.{role}", self.a.client(role)


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _user(email: str, **fields: Any) -> User:
    return UserFactory(email=email, **fields)  # password: "correct horse battery staple"


def _tenant(name: str) -> Tenant:
    fleet_id = uuid.uuid4()
    users = {}
    for role in FLEET_ROLES:
        user = _user(f"{role}.{name}.{fleet_id.hex[:6]}@example.test", display_name=f"{role} of {name}")
        identity_memberships.membership_grant(user_id=user.id, fleet_id=fleet_id, role=role, granted_by_id=None)
        users[role] = user
    return Tenant(name=name, fleet_id=fleet_id, users=users)


def build_two_fleets() -> TwoFleets:
    suffix = uuid.uuid4().hex[:6]
    return TwoFleets(
        a=_tenant("alpha"),
        b=_tenant("bravo"),
        customer=_user(f"customer.{suffix}@example.test", display_name="A customer", is_customer=True),
        platform_admin=PlatformAdminFactory(email=f"admin.{suffix}@example.test"),
    )


def assert_hidden(client: APIClient, method: str, url: str, **kwargs: Any) -> dict:
    """Another fleet's object must look absent: 404 with a problem body, never 403 or 200."""
    response = getattr(client, method.lower())(url, format="json", **kwargs)
    assert response.status_code == 404, f"{method} {url} -> {response.status_code}: {response.content[:300]!r}"
    body = response.json()
    assert body["status"] == 404 and body["code"], body
    return body


def listed_ids(client: APIClient, url: str, *, id_field: str = "id", params: dict | None = None) -> set[str]:
    """Every id a paginated list returns, following `next` links."""
    seen: set[str] = set()
    response = client.get(url, params or {}, format="json")
    while True:
        assert response.status_code == 200, f"GET {url} -> {response.status_code}: {response.content[:300]!r}"
        body = response.json()
        for row in body["results"]:
            seen.add(str(row[id_field]))
        if not body.get("next"):
            return seen
        response = client.get(body["next"], format="json")


def assert_never_lists(
    client: APIClient, url: str, foreign_ids: Iterable[Any], *, id_field: str = "id", params=None
) -> set[str]:
    seen = listed_ids(client, url, id_field=id_field, params=params)
    leaked = seen & {str(i) for i in foreign_ids}
    assert not leaked, f"{url} leaks another fleet's rows: {sorted(leaked)}"
    return seen
