"""Who is calling: the only view of a user other contexts get. Framework-free; identity fills it.

A principal carries the user's id, global roles, and for each fleet-scoped role the fleets it holds
that role in. Permission checks everywhere ask it questions instead of reading identity's tables.

An integrator's API key acts as a principal too: its service account's id in `user_id`, staff roles in exactly
its one fleet, and the key's `scopes` (None for people: scopes never restrict a person).
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import Iterable, Mapping


class Role(enum.StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    FLEET_MANAGER = "fleet_manager"
    DISPATCHER = "dispatcher"
    DRIVER = "driver"
    CUSTOMER = "customer"


FLEET_ROLES = frozenset({Role.FLEET_MANAGER, Role.DISPATCHER, Role.DRIVER})
GLOBAL_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.CUSTOMER})


@dataclasses.dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    global_roles: frozenset[Role] = frozenset()
    fleets_by_role: Mapping[Role, frozenset[uuid.UUID]] = dataclasses.field(default_factory=dict)
    scopes: frozenset[str] | None = None  # an API key's scopes; None: a person, whom no scope restricts

    @property
    def is_api_key(self) -> bool:
        return self.scopes is not None

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    @property
    def roles(self) -> frozenset[Role]:
        return self.global_roles | frozenset(r for r, fleets in self.fleets_by_role.items() if fleets)

    @property
    def is_platform_admin(self) -> bool:
        return Role.PLATFORM_ADMIN in self.global_roles

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))

    def fleets(self, *roles: Role) -> frozenset[uuid.UUID]:
        """Fleets where the principal holds any of `roles` (every fleet role when none are named)."""
        wanted = roles or tuple(FLEET_ROLES)
        found: set[uuid.UUID] = set()
        for role in wanted:
            found |= self.fleets_by_role.get(Role(role), frozenset())
        return frozenset(found)

    def may_act_on_fleet(self, fleet_id: uuid.UUID, *roles: Role) -> bool:
        """Platform admins may act on every fleet; others only where they hold one of `roles`."""
        return self.is_platform_admin or fleet_id in self.fleets(*roles)

    @classmethod
    def build(
        cls,
        *,
        user_id: uuid.UUID,
        global_roles: Iterable[Role],
        memberships: Iterable[tuple[Role, uuid.UUID]],
        scopes: Iterable[str] | None = None,
    ) -> Principal:
        by_role: dict[Role, set[uuid.UUID]] = {}
        for role, fleet_id in memberships:
            by_role.setdefault(Role(role), set()).add(fleet_id)
        return cls(
            user_id=user_id,
            global_roles=frozenset(Role(r) for r in global_roles),
            fleets_by_role={r: frozenset(f) for r, f in by_role.items()},
            scopes=None if scopes is None else frozenset(scopes),
        )

    def to_claims(self) -> dict[str, object]:
        """What an access token carries of a person's principal, so a service that verifies tokens with identity's
        public keys alone knows the caller's roles (as they were when the token was issued)."""
        fleets = {role.value: sorted(str(f) for f in ids) for role, ids in self.fleets_by_role.items() if ids}
        return {CLAIM_ROLES: sorted(r.value for r in self.global_roles), CLAIM_FLEETS: dict(sorted(fleets.items()))}

    @classmethod
    def from_claims(cls, *, user_id: uuid.UUID, claims: Mapping[str, object]) -> Principal:
        """The principal `to_claims` wrote. Raises ValueError on a claim of the wrong shape or an unknown role."""
        roles, fleets = claims.get(CLAIM_ROLES, []), claims.get(CLAIM_FLEETS, {})
        if not isinstance(roles, list) or not isinstance(fleets, dict):
            raise ValueError("the token's roles or fleets are malformed")
        global_roles = [Role(r) for r in roles]
        if not set(global_roles) <= GLOBAL_ROLES:
            raise ValueError("the token names a fleet role as global")
        memberships: list[tuple[Role, uuid.UUID]] = []
        for role, ids in fleets.items():
            if Role(role) not in FLEET_ROLES or not isinstance(ids, list):
                raise ValueError("the token's fleets are malformed")
            memberships += [(Role(role), uuid.UUID(str(i))) for i in ids]
        return cls.build(user_id=user_id, global_roles=global_roles, memberships=memberships)


CLAIM_ROLES = "roles"  # global roles: platform_admin, customer
CLAIM_FLEETS = "fleets"  # {fleet role: [fleet ids]}
