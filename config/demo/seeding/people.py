"""The demo's people and their fleet roles: customers (shared by both fleets), each fleet's manager, two
dispatchers and its drivers' accounts. Every account logs in with the run's password."""

from __future__ import annotations

import uuid

from apps.identity.contracts import FleetRole
from apps.identity.services import memberships as identity_memberships
from config.demo.plans import DOMAIN, FleetPlan, email
from config.demo.seeding.context import Seeding

CUSTOMERS = 12


def customers(seeding: Seeding) -> list:
    """customer01 … customer12, customers of the apps (not of one fleet)."""
    found = [
        seeding.user(f"customer{n:02d}@{DOMAIN}", seeding.person(), is_customer=True) for n in range(1, CUSTOMERS + 1)
    ]
    seeding.report.logins.append((f"customer (01–{CUSTOMERS})", f"customer01@{DOMAIN}"))
    return found


def manager(seeding: Seeding, plan: FleetPlan):
    """The fleet's manager: the applicant, who becomes its fleet manager when the fleet is activated."""
    return seeding.user(email(plan.slug, "manager"), seeding.person())


def dispatchers(seeding: Seeding, plan: FleetPlan, fleet_id: uuid.UUID, manager_id: uuid.UUID) -> None:
    for who in ("dispatcher", "dispatcher2"):
        user = seeding.user(email(plan.slug, who), seeding.person())
        identity_memberships.membership_grant(
            user_id=user.id, fleet_id=fleet_id, role=FleetRole.DISPATCHER, granted_by_id=manager_id
        )


def driver_accounts(seeding: Seeding, plan: FleetPlan, fleet_id: uuid.UUID, manager_id: uuid.UUID, count: int) -> list:
    """driver01 … of the fleet, each granted the driver role (partner makes their profiles from the events)."""
    users = []
    for n in range(1, count + 1):
        user = seeding.user(email(plan.slug, f"driver{n:02d}"), seeding.person())
        identity_memberships.membership_grant(
            user_id=user.id, fleet_id=fleet_id, role=FleetRole.DRIVER, granted_by_id=manager_id
        )
        users.append(user)
    return users
