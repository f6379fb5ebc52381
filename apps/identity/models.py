"""Tables owned by the identity context. Foreign identities are UUIDs, never relations."""

from __future__ import annotations

import hashlib
import uuid
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from apps.identity.contracts import API_KEY_PREFIX, FleetRole

ROLE_CHOICES = [(r.value, r.value.replace("_", " ").capitalize()) for r in FleetRole]
E164 = RegexValidator(r"^\+[1-9]\d{6,14}$", "Enter a phone number in E.164 form, e.g. +4915112345678.")


def token_digest(token: str) -> str:
    """What is stored of an emailed token (invitations, password resets): its sha256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @staticmethod
    def normalize(email: str) -> str:
        return email.strip().lower()

    def get_by_natural_key(self, email: str | None) -> User:
        if email is None:  # Django's signature allows it; no user lacks an email
            raise self.model.DoesNotExist("a user's natural key is their email")
        return self.get(email__iexact=self.normalize(email))

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("users need an email address")
        user = self.model(email=self.normalize(email), **extra)
        user.set_password(password)  # None gives an unusable password (invited users set theirs later)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. Email is the login, unique regardless of case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)  # stored lower-cased; the constraint below guards raw writes
    phone = models.CharField(max_length=16, blank=True, default="", validators=[E164])
    display_name = models.CharField(max_length=150, blank=True, default="")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="may log in to the admin site")
    is_customer = models.BooleanField(default=False, help_text="registered through the customer app")
    erased_at = models.DateTimeField(null=True, blank=True, help_text="personal data erased (GDPR)")
    date_joined = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="identity_user_email_ci_unique")]
        ordering = ("email",)

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = UserManager.normalize(self.email)


class Membership(models.Model):
    """A user holds a role in a fleet. `fleet_id` belongs to the fleet context: a UUID, not a relation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    fleet_id = models.UUIDField(db_index=True)
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "fleet_id", "role"],
                condition=models.Q(revoked_at__isnull=True),
                name="identity_one_active_membership_per_role",
            )
        ]
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.user} as {self.role.replace('_', ' ')}"  # no ids: admin titles show it


class Invitation(models.Model):
    """A fleet manager invites someone to a fleet role; accepted by setting a password."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254)
    fleet_id = models.UUIDField(db_index=True)
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    token_hash = models.CharField(max_length=64, unique=True, help_text="sha256 of the emailed token")
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.email} as {self.role.replace('_', ' ')}"  # no ids: admin titles show it


class PasswordReset(models.Model):
    """A single-use, expiring password reset token (only its hash is stored)."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"reset for {self.user_id}"


class RefreshToken(models.Model):
    """Every refresh token issued, in families: a login starts a family, each rotation extends it.

    Presenting a token that was already rotated means two parties hold the family: the whole
    family is revoked (token theft detection).
    """

    id = models.BigAutoField(primary_key=True)
    jti = models.CharField(max_length=64, unique=True)
    family = models.UUIDField(db_index=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=30, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="identity_refresh_user_idx")]

    def __str__(self) -> str:
        return f"{self.jti} ({self.family})"


class FleetName(models.Model):
    """A fleet's display name, as the fleet context tells identity (on activation and on every rename), so
    identity's admin can offer fleets by name without calling up the context map. Labels only."""

    fleet_id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=120)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class ServiceAccount(models.Model):
    """A fleet's named integration ("Shopify connector") that calls the API with keys instead of a person's login.

    It belongs to the fleet, not to whoever created it: the creator's deactivation or erasure leaves it working
    (`created_by` is kept for the record and nulled if the user row ever goes). Revoking it revokes its keys.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    fleet_id = models.UUIDField(db_index=True)
    name = models.CharField(max_length=120)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "fleet_id",
                Lower("name"),
                condition=models.Q(revoked_at__isnull=True),
                name="identity_service_account_name_per_fleet",
            )
        ]
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """One key of a service account. Of the secret only a keyed hash is stored (see services/api_keys.py);
    `prefix` is stored in clear: it finds the row and names the key in lists ("lt_3f9a0c1b2d4e_…")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service_account = models.ForeignKey(ServiceAccount, on_delete=models.CASCADE, related_name="keys")
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64, help_text="HMAC-SHA256 of the secret, hex")
    scopes = models.JSONField(default=list)  # a list of ApiScope values (JSON, so SQLite serves it too)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, help_text="written at most once a minute")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True, help_text="replaced; works until expires_at (grace)")
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("-created_at",)
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    def __str__(self) -> str:
        return f"{self.service_account.name} ({API_KEY_PREFIX}{self.prefix}_…)"
