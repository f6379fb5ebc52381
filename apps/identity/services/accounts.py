"""Accounts: self-registration, accounts made for demo operators and fixtures, accounts provisioned by bulk
imports (their owner chooses a password through an emailed link), my profile, and deactivation."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError

from apps.identity import selectors, tokens
from apps.identity.contracts import EmailTaken
from apps.identity.events import UserDeactivatedV1, UserRegisteredV1
from apps.identity.models import User, UserManager
from apps.identity.services import passwords
from logitrack.db import contexts
from logitrack.db.services import model_update
from logitrack.exceptions import ValidationFailed
from logitrack.outbox.api import publish


def _existing_with_password(*, email: str, password: str) -> User | None:
    """The account with this email, made to log in with `password` (demo set-up), or None."""
    user = User.objects.select_for_update().filter(email=UserManager.normalize(email)).first()
    if user is not None and not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password", "updated_at"])
    return user


@contexts.atomic("identity")
def platform_admin_ensure(*, email: str, password: str) -> tuple[User, bool]:
    """Make sure a platform admin with this email exists and logs in with `password` (demo set-up)."""
    user = _existing_with_password(email=email, password=password)
    if user is not None:
        return user, False
    return User.objects.create_superuser(UserManager.normalize(email), password, display_name="Platform admin"), True


@contexts.atomic("identity")
def user_ensure(*, email: str, password: str, display_name: str, is_customer: bool = False) -> tuple[User, bool]:
    """Make sure an account with this email exists and logs in with `password` (demo operators, fixtures).
    An existing account keeps its roles; only its password is reset to `password`."""
    user = _existing_with_password(email=email, password=password)
    if user is not None:
        return user, False
    user = User(email=UserManager.normalize(email), display_name=display_name, is_customer=is_customer)
    passwords.password_check(password, user)
    user.set_password(password)
    user.save()
    publish(UserRegisteredV1(user_id=user.id, is_customer=is_customer))
    return user, True


@contexts.atomic("identity")
def user_register(*, email: str, password: str, display_name: str, phone: str = "", is_customer: bool = True) -> User:
    """Self-registration: a customer of the apps, or (`is_customer=False`) an operator who will apply for a fleet
    and should hold no role until one is granted."""
    email = UserManager.normalize(email)
    user = User(email=email, display_name=display_name, phone=phone, is_customer=is_customer)
    passwords.password_check(password, user)
    user.set_password(password)
    try:
        with contexts.atomic("identity"):
            user.save()
    except IntegrityError:
        raise EmailTaken("an account with this email already exists") from None
    publish(UserRegisteredV1(user_id=user.id, is_customer=is_customer))
    return user


@contexts.atomic("identity")
def user_provision(*, email: str, display_name: str, phone: str = "", fleet_id: uuid.UUID | None = None) -> User:
    """The account for `email`, made without a password if new; its owner is mailed a welcome link to choose one,
    in the name of `fleet_id` (the fleet that made it) when given."""
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
    passwords.password_reset_request(email=email, welcome=True, fleet_id=fleet_id)
    return user


@contexts.atomic("identity")
def user_profile_update(*, user_id: uuid.UUID, display_name: str | None = None, phone: str | None = None) -> User:
    """Change my name or phone (None leaves a field as it is); validated, and saved only if something changed."""
    user = selectors.user_get(user_id=user_id, for_update=True)
    data = {field: value for field, value in (("display_name", display_name), ("phone", phone)) if value is not None}
    user, _ = model_update(instance=user, fields=["display_name", "phone"], data=data, exclude=["password"])
    return user


@contexts.atomic("identity")
def user_deactivate(*, user_id: uuid.UUID) -> User:
    user = selectors.user_get(user_id=user_id, for_update=True)
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active", "updated_at"])
        tokens.user_tokens_revoke(user_id=user.id, reason="deactivated")
        publish(UserDeactivatedV1(user_id=user.id))
    return user
