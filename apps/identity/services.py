"""Write use cases of the identity context. One transaction each."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.identity import login_guard, selectors, tokens
from apps.identity.contracts import (
    EmailTaken,
    FleetRole,
    InvitationInvalid,
    MembershipExists,
    ResetTokenInvalid,
    UserNotFound,
    WeakPassword,
)
from apps.identity.events import (
    MembershipGrantedV1,
    MembershipRevokedV1,
    UserDeactivatedV1,
    UserErasedV1,
    UserRegisteredV1,
)
from apps.identity.models import (
    FleetName,
    Invitation,
    Membership,
    PasswordReset,
    RefreshToken,
    User,
    UserManager,
    token_digest,
)
from logitrack.exceptions import NotFound, Unauthenticated, ValidationFailed
from logitrack.outbox.api import publish
from logitrack.principal import Principal, Role

FLEET_MANAGERS_GROUP = "Fleet managers"


class InvalidCredentials(Unauthenticated):
    code = "auth.invalid_credentials"
    title = "Invalid credentials"


_hash = token_digest


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise WeakPassword("the password is too weak", extra={"errors": {"password": list(exc.messages)}}) from exc


def _send_on_commit(*, to: str, subject: str, body: str) -> None:
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to]))


def _get_user(user_id: uuid.UUID, *, lock: bool = False) -> User:
    qs = User.objects.select_for_update() if lock else User.objects
    try:
        return qs.get(id=user_id)
    except User.DoesNotExist:
        raise UserNotFound(f"user {user_id} does not exist") from None


# ---- accounts ----------------------------------------------------------------------------


def _existing_with_password(*, email: str, password: str) -> User | None:
    """The account with this email, made to log in with `password` (demo set-up), or None."""
    user = User.objects.select_for_update().filter(email=UserManager.normalize(email)).first()
    if user is not None and not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password", "updated_at"])
    return user


@transaction.atomic
def platform_admin_ensure(*, email: str, password: str) -> tuple[User, bool]:
    """Make sure a platform admin with this email exists and logs in with `password` (demo set-up)."""
    user = _existing_with_password(email=email, password=password)
    if user is not None:
        return user, False
    return User.objects.create_superuser(UserManager.normalize(email), password, display_name="Platform admin"), True


@transaction.atomic
def user_ensure(*, email: str, password: str, display_name: str, is_customer: bool = False) -> tuple[User, bool]:
    """Make sure an account with this email exists and logs in with `password` (demo operators, fixtures).
    An existing account keeps its roles; only its password is reset to `password`."""
    user = _existing_with_password(email=email, password=password)
    if user is not None:
        return user, False
    user = User(email=UserManager.normalize(email), display_name=display_name, is_customer=is_customer)
    _check_password(password, user)
    user.set_password(password)
    user.save()
    publish(UserRegisteredV1(user_id=user.id, is_customer=is_customer))
    return user, True


@transaction.atomic
def user_register(*, email: str, password: str, display_name: str, phone: str = "", is_customer: bool = True) -> User:
    """Self-registration: a customer of the apps, or (`is_customer=False`) an operator who will apply for a fleet
    and should hold no role until one is granted."""
    email = UserManager.normalize(email)
    user = User(email=email, display_name=display_name, phone=phone, is_customer=is_customer)
    _check_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise EmailTaken("an account with this email already exists") from None
    publish(UserRegisteredV1(user_id=user.id, is_customer=is_customer))
    return user


@transaction.atomic
def user_provision(*, email: str, display_name: str, phone: str = "") -> User:
    email = UserManager.normalize(email)
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user
    user = User(email=email, display_name=display_name, phone=phone)
    user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except DjangoValidationError as exc:
        raise ValidationFailed("the account details are not valid", extra={"errors": exc.message_dict}) from None
    user.save()
    publish(UserRegisteredV1(user_id=user.id, is_customer=False))
    password_reset_request(email=email)  # the emailed link lets them choose a password
    return user


def user_authenticate(*, request, email: str, password: str) -> User:
    """Check credentials under the login guard every login form shares (token, /login/ and the admin's).
    django-axes needs the request: it counts failures per account and per client address."""
    email = UserManager.normalize(email)
    user = login_guard.guarded_authenticate(request, username=email, password=password)
    if user is None:
        raise InvalidCredentials("email or password is wrong")
    login_guard.account_failures_forget(email)
    User.objects.filter(id=user.id).update(last_login=timezone.now())
    return user


def user_login(*, request, email: str, password: str) -> tokens.TokenPair:
    """Check credentials under the login guard and start a new token family."""
    return tokens.token_pair_issue(user=user_authenticate(request=request, email=email, password=password))


@transaction.atomic
def user_profile_update(*, user_id: uuid.UUID, display_name: str | None = None, phone: str | None = None) -> User:
    user = _get_user(user_id, lock=True)
    changed = []
    for field, value in (("display_name", display_name), ("phone", phone)):
        if value is not None and getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if changed:
        user.full_clean(exclude=["password"])
        user.save(update_fields=[*changed, "updated_at"])
    return user


@transaction.atomic
def user_password_change(*, user_id: uuid.UUID, old_password: str, new_password: str) -> None:
    user = _get_user(user_id, lock=True)
    if not user.check_password(old_password):
        raise InvalidCredentials("the current password is wrong", code="identity.wrong_password")
    _set_password(user, new_password)


def _set_password(user: User, new_password: str) -> None:
    _check_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    tokens.user_tokens_revoke(user_id=user.id, reason="password_changed")
    PasswordReset.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())


@transaction.atomic
def password_reset_request(*, email: str) -> str | None:
    """Email a single-use reset token if an active account exists. Returns the token (for tests and tools).

    The API answers the same whether or not the account exists, so it cannot be used to probe emails.
    """
    user = User.objects.filter(email=UserManager.normalize(email), is_active=True).first()
    if user is None:
        return None
    token = secrets.token_urlsafe(32)
    PasswordReset.objects.create(
        user=user,
        token_hash=_hash(token),
        expires_at=timezone.now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
    )
    link = f"{settings.LOGITRACK_APP_URL}/reset-password?token={token}"
    _send_on_commit(
        to=user.email,
        subject="Reset your LogiTrack password",
        body=f"Someone asked to reset the password of this LogiTrack account.\n\n{link}\n\n"
        f"The link works once and expires in {settings.PASSWORD_RESET_TIMEOUT // 60} minutes. "
        "If it was not you, ignore this email.",
    )
    return token


@transaction.atomic
def password_reset_confirm(*, new_password: str, token: str | None = None, token_hash: str | None = None) -> None:
    """Set a new password with a reset token (or its digest). The account's failed logins are forgotten: the
    lockout page sends people here, and the new password must then let them in."""
    digest = selectors.link_digest(token=token, token_hash=token_hash)
    reset = PasswordReset.objects.select_for_update().select_related("user").filter(token_hash=digest).first()
    if reset is None or reset.used_at is not None or reset.expires_at <= timezone.now() or not reset.user.is_active:
        raise ResetTokenInvalid("this reset link is invalid or has expired; ask for a new one")
    _set_password(reset.user, new_password)
    reset.used_at = timezone.now()
    reset.save(update_fields=["used_at"])
    login_guard.account_failures_forget(reset.user.email)


# ---- memberships and invitations -----------------------------------------------------------


def fleet_name_record(*, fleet_id: uuid.UUID, name: str) -> None:
    """Remember a fleet's display name (the fleet context pushes it down: identity may not ask fleet)."""
    FleetName.objects.update_or_create(fleet_id=fleet_id, defaults={"name": name})


def _require_manager(principal: Principal, fleet_id: uuid.UUID) -> None:
    """Only the fleet's managers; to anyone else another fleet looks like no fleet at all (404, never 403)."""
    if not _manages(principal, fleet_id):
        raise NotFound("no such fleet", code="fleet.not_found")


def _sync_staff(user: User) -> None:
    """Fleet managers work in the admin through the fleet-manager group; nobody else is staff by role."""
    manages = Membership.objects.filter(user=user, role=FleetRole.FLEET_MANAGER, revoked_at__isnull=True).exists()
    group, _ = Group.objects.get_or_create(name=FLEET_MANAGERS_GROUP)
    if manages:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    staff = manages or user.is_superuser
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff", "updated_at"])


@transaction.atomic
def membership_grant(
    *, user_id: uuid.UUID, fleet_id: uuid.UUID, role: FleetRole, granted_by_id: uuid.UUID | None
) -> Membership:
    user = _get_user(user_id, lock=True)
    if not user.is_active:
        raise UserNotFound(f"user {user_id} is not active")
    if Membership.objects.filter(user=user, fleet_id=fleet_id, role=role, revoked_at__isnull=True).exists():
        raise MembershipExists(f"the user is already {role} of this fleet")
    membership = Membership.objects.create(user=user, fleet_id=fleet_id, role=role, granted_by_id=granted_by_id)
    _sync_staff(user)
    publish(MembershipGrantedV1(membership_id=membership.id, user_id=user.id, fleet_id=fleet_id, role=FleetRole(role)))
    return membership


@transaction.atomic
def membership_revoke(*, membership_id: uuid.UUID, principal: Principal | None) -> Membership:
    """Revoke a membership. `principal` None means a trusted internal caller (another context's api)."""
    membership = Membership.objects.select_for_update().select_related("user").filter(id=membership_id).first()
    if membership is None or (principal is not None and not _manages(principal, membership.fleet_id)):
        raise NotFound("no such membership", code="identity.membership_not_found")
    if membership.revoked_at is None:
        membership.revoked_at = timezone.now()
        membership.save(update_fields=["revoked_at"])
        _sync_staff(membership.user)
        publish(
            MembershipRevokedV1(
                membership_id=membership.id,
                user_id=membership.user_id,
                fleet_id=membership.fleet_id,
                role=FleetRole(membership.role),
            )
        )
    return membership


def _manages(principal: Principal, fleet_id: uuid.UUID) -> bool:
    return principal.may_act_on_fleet(fleet_id, Role.FLEET_MANAGER)


@transaction.atomic
def invitation_create(
    *, principal: Principal, email: str, fleet_id: uuid.UUID, role: FleetRole
) -> tuple[Invitation, str]:
    _require_manager(principal, fleet_id)
    if not selectors.fleet_known(fleet_id=fleet_id):  # only a platform admin gets here with such an id
        raise NotFound("no such fleet", code="fleet.not_found")
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=UserManager.normalize(email),
        fleet_id=fleet_id,
        role=role,
        token_hash=_hash(token),
        invited_by_id=principal.user_id,
        expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    link = f"{settings.LOGITRACK_APP_URL}/invitation?token={token}"
    _send_on_commit(
        to=invitation.email,
        subject="You are invited to LogiTrack",
        body=f"You have been invited to join a fleet on LogiTrack as {role.replace('_', ' ')}.\n\n{link}\n\n"
        f"The invitation expires in {settings.INVITATION_VALID_DAYS} days.",
    )
    return invitation, token


@transaction.atomic
def invitation_revoke(*, principal: Principal, invitation_id: uuid.UUID) -> Invitation:
    invitation = Invitation.objects.select_for_update().filter(id=invitation_id).first()
    if invitation is None or not _manages(principal, invitation.fleet_id):
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


@transaction.atomic
def _invitation_accept(*, digest: str, password: str, display_name: str, proven: User | None) -> Membership:
    invitation = _invitation_open(Invitation.objects.select_for_update().filter(token_hash=digest).first())
    user = User.objects.select_for_update().filter(email=invitation.email).first()
    if user is None:
        user = User(email=invitation.email, display_name=display_name)
        _check_password(password, user)
        user.set_password(password)
        user.save()
        publish(UserRegisteredV1(user_id=user.id, is_customer=False))
    elif proven is None or proven.id != user.id:  # the account appeared a moment ago: its password is unproven
        raise InvalidCredentials("this email already has an account: enter its password to accept")
    membership = membership_grant(
        user_id=user.id,
        fleet_id=invitation.fleet_id,
        role=FleetRole(invitation.role),
        granted_by_id=invitation.invited_by_id,
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


# ---- deactivation and erasure --------------------------------------------------------------


@transaction.atomic
def user_deactivate(*, user_id: uuid.UUID) -> User:
    user = _get_user(user_id, lock=True)
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active", "updated_at"])
        tokens.user_tokens_revoke(user_id=user.id, reason="deactivated")
        publish(UserDeactivatedV1(user_id=user.id))
    return user


@transaction.atomic
def user_erase(*, user_id: uuid.UUID) -> User:
    """GDPR erasure: personal data anonymised, login disabled, other contexts told to anonymise theirs.

    The row stays (ids referenced by ledgers and audit trails keep resolving), pseudonymous.
    """
    user = _get_user(user_id, lock=True)
    if user.erased_at is not None:
        return user
    old_email = user.email
    user.email = f"erased-{user.id.hex}@erased.invalid"
    user.display_name = ""
    user.phone = ""
    user.set_unusable_password()
    user.is_active = False
    user.is_staff = False
    user.erased_at = timezone.now()
    user.save()
    user.groups.clear()
    tokens.user_tokens_revoke(user_id=user.id, reason="erased")
    PasswordReset.objects.filter(user=user).delete()
    login_guard.account_failures_forget(old_email)
    Invitation.objects.filter(email=old_email).update(email=user.email)
    for membership in Membership.objects.filter(user=user, revoked_at__isnull=True):
        membership_revoke(membership_id=membership.id, principal=None)
    publish(UserErasedV1(user_id=user.id))
    return user


INVITATION_KEPT_AFTER_EXPIRY = dt.timedelta(days=30)


def identity_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete what can no longer be used, hourly in beat:

    - refresh tokens past their expiry: an app rotates every few minutes, so each login adds hundreds of rows a
      day, and an expired token is refused (signature and `exp`) before its row is looked up;
    - password resets past their expiry or used;
    - invitations never accepted, 30 days after they expired or were revoked (they hold an email address);
    - expired admin and dispatch-screen sessions;
    - the login guard's failed logins once they no longer count (older than the lockout period; they hold an
      email address and a client address).
    """
    now = now or timezone.now()
    kept_until = now - INVITATION_KEPT_AFTER_EXPIRY
    stale_invitations = Invitation.objects.filter(accepted_at__isnull=True).filter(
        Q(expires_at__lt=kept_until) | Q(revoked_at__lt=kept_until)
    )
    return {
        "refresh tokens": RefreshToken.objects.filter(expires_at__lt=now).delete()[0],
        "password resets": PasswordReset.objects.filter(Q(expires_at__lt=now) | Q(used_at__isnull=False)).delete()[0],
        "invitations": stale_invitations.delete()[0],
        "sessions": Session.objects.filter(expire_date__lt=now).delete()[0],
        "login failures": login_guard.failures_forget(before=now - login_guard.lockout_period(None)),
    }
