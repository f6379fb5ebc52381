"""Invitations to a fleet role: a fleet manager invites an email (a link valid for some days), may revoke it, and
the invitee accepts by choosing a password (a new account) or proving the existing account's."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.utils import timezone

from apps.identity import links, selectors
from apps.identity.contracts import FleetRole, InvitationInvalid
from apps.identity.events import InvitationCreatedV1, UserRegisteredV1
from apps.identity.models import Invitation, Membership, User, UserManager, token_digest
from apps.identity.services import memberships, passwords
from apps.identity.services.logins import InvalidCredentials, user_authenticate
from logitrack.db import contexts
from logitrack.exceptions import NotFound
from logitrack.outbox.api import publish
from logitrack.principal import Principal


@contexts.atomic("identity")
def invitation_create(
    *, principal: Principal, email: str, fleet_id: uuid.UUID, role: FleetRole
) -> tuple[Invitation, str]:
    if not selectors.manages(principal, fleet_id):
        # only the fleet's managers; to anyone else another fleet looks like no fleet at all (404, never 403)
        raise NotFound("no such fleet", code="fleet.not_found")
    if not selectors.fleet_known(fleet_id=fleet_id):  # only a platform admin gets here with such an id
        raise NotFound("no such fleet", code="fleet.not_found")
    invitation_id = uuid.uuid4()
    token = links.link_token("invitation", invitation_id)
    invitation = Invitation.objects.create(
        id=invitation_id,
        email=UserManager.normalize(email),
        fleet_id=fleet_id,
        role=role,
        token_hash=token_digest(token),
        invited_by_id=principal.user_id,
        expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    # the mail is the notifications context's; it asks identity.api.account_link for the link when sending
    publish(
        InvitationCreatedV1(invitation_id=invitation.id, fleet_id=fleet_id, role=role, invited_by_id=principal.user_id)
    )
    return invitation, token


@contexts.atomic("identity")
def invitation_revoke(*, principal: Principal, invitation_id: uuid.UUID) -> Invitation:
    invitation = selectors.invitations_visible(principal=principal).select_for_update().filter(id=invitation_id).first()
    if invitation is None:  # another fleet's looks like none at all
        raise NotFound("no such invitation", code="identity.invitation_not_found")
    if invitation.revoked_at is None and invitation.accepted_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def _invitation_open(invitation: Invitation | None) -> Invitation:
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= timezone.now()
    ):
        raise InvitationInvalid("this invitation is invalid or has expired; ask for a new one")
    return invitation


def invitation_accept(
    *, request, password: str, display_name: str = "", token: str | None = None, token_hash: str | None = None
) -> Membership:
    """Accept by setting a password (new account) or proving the existing account's password. That proof is a
    login: checked under the login guard (counted, refused while the account is locked), before the transaction
    that accepts, so a wrong password stays counted."""
    digest = selectors.link_digest(token=token, token_hash=token_hash)
    invitation = _invitation_open(Invitation.objects.filter(token_hash=digest).first() if digest else None)
    proven = None
    if User.objects.filter(email=invitation.email).exists():
        try:
            proven = user_authenticate(request=request, email=invitation.email, password=password)
        except InvalidCredentials:
            raise InvalidCredentials("this email already has an account: enter its password to accept") from None
    return _invitation_accept(digest=digest, password=password, display_name=display_name, proven=proven)


@contexts.atomic("identity")
def _invitation_accept(*, digest: str, password: str, display_name: str, proven: User | None) -> Membership:
    invitation = _invitation_open(Invitation.objects.select_for_update().filter(token_hash=digest).first())
    user = User.objects.select_for_update().filter(email=invitation.email).first()
    if user is None:
        user = User(email=invitation.email, display_name=display_name)
        passwords.password_check(password, user)
        user.set_password(password)
        user.save()
        publish(UserRegisteredV1(user_id=user.id, is_customer=False))
    elif proven is None or proven.id != user.id:  # the account appeared a moment ago: its password is unproven
        raise InvalidCredentials("this email already has an account: enter its password to accept")
    membership = memberships.membership_grant(
        user_id=user.id,
        fleet_id=invitation.fleet_id,
        role=FleetRole(invitation.role),
        granted_by_id=invitation.invited_by_id,
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership
