"""Identity in the admin. Platform admins see everyone; fleet managers see only their fleets' members,
and every change goes through a service (invitations, revocations, deactivation, erasure)."""

import uuid

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone

from apps.identity import principals, selectors
from apps.identity.contracts import API_KEY_PREFIX, API_SCOPE_DESCRIPTIONS, FleetRole
from apps.identity.models import ApiKey, Invitation, Membership, ServiceAccount, User
from apps.identity.services import accounts, api_keys, erasure, invitations, memberships
from logitrack.admin import FleetScopedAdmin, managed_fleets
from logitrack.admin.readable import Readable
from logitrack.exceptions import ApplicationError
from logitrack.http.principal import principal


def fleet_names(*, ids):
    """Fleets by the names fleet told identity (identity is below fleet: it may not ask); a fleet never named is left
    out, so it reads "unknown (…)" rather than its id. Times here are UTC for the same reason."""
    return {k: v for k, v in selectors.fleet_names(fleet_ids=ids).items() if v != str(k)}


def _visible(request, model, selector):
    """What `selector` lets the admin user see (the identity selectors decide who sees what); nothing without a
    principal."""
    found = principal(request)
    return model.objects.none() if found is None else selector(principal=found)


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    fields = ("fleet", "role", "created_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return _visible(request, Membership, selectors.memberships_visible)

    @admin.display(description="fleet")
    def fleet(self, membership):
        return fleet_names(ids=[membership.fleet_id]).get(membership.fleet_id, "unknown fleet")


@admin.register(User)
class UserAdmin(Readable, DjangoUserAdmin):
    local_times = ("date_joined", "last_login", "updated_at", "erased_at")
    ordering = ("email",)
    list_display = ("email", "display_name", "is_active", "is_customer", "is_staff", "date_joined")
    list_filter = ("is_active", "is_customer", "is_staff", "is_superuser")
    search_fields = ("email", "display_name", "phone")
    readonly_fields = ("date_joined", "last_login", "updated_at", "erased_at")
    inlines = [MembershipInline]
    actions = ("deactivate", "erase")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "phone", "is_customer")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined", "updated_at", "erased_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def get_queryset(self, request):
        return _visible(request, User, selectors.users_visible)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser  # fleet managers look; changes go through invitations and memberships

    def has_delete_permission(self, request, obj=None):
        return False  # users are deactivated or erased, never deleted (ids stay referenced)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        principals.forget(form.instance.pk)  # active, admin rights, memberships inline: the next request sees them

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST":
            principals.forget(id)  # tokens issued under the old password stop at once
        return response

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("deactivate", None)
            actions.pop("erase", None)
        return actions

    @admin.action(description="Deactivate the selected users (ends their sessions)")
    def deactivate(self, request, queryset):
        for user in queryset:
            accounts.user_deactivate(user_id=user.id)
        self.message_user(request, f"Deactivated {queryset.count()} user(s).", messages.SUCCESS)

    @admin.action(description="Erase the selected users' personal data (GDPR, irreversible)")
    def erase(self, request, queryset):
        ids = list(queryset.values_list("id", flat=True))
        for user_id in ids:
            erasure.user_erase(user_id=user_id)
        self.message_user(request, f"Erased {len(ids)} user(s).", messages.SUCCESS)


@admin.register(Membership)
class MembershipAdmin(Readable, FleetScopedAdmin):
    named_ids = {"fleet_id": fleet_names}
    local_times = ("created_at", "revoked_at")
    list_select_related = ("user",)
    list_display = ("user", "fleet_id", "role", "created_at", "revoked_at")
    list_filter = ("role", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("user__email", "user__display_name", "fleet_id")
    readonly_fields = ("user", "fleet_id", "role", "granted_by", "created_at", "revoked_at")
    actions = ("revoke",)

    def get_queryset(self, request):
        return _visible(request, Membership, selectors.memberships_visible)

    def has_add_permission(self, request):
        return False  # memberships come from accepted invitations or the fleet context

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected memberships")
    def revoke(self, request, queryset):
        for membership in queryset:
            memberships.membership_revoke(membership_id=membership.id, principal=principal(request))
        self.message_user(request, f"Revoked {queryset.count()} membership(s).", messages.SUCCESS)


NO_SUCH_FLEET = "No fleet with this id: it has no fleet manager."


def invitable_fleets(*, fleet_ids: frozenset[uuid.UUID] | None) -> dict[uuid.UUID, str]:
    """The fleets an invitation may name, by name: the user's own; a platform admin's, every fleet with a manager.
    The names are those the fleet context pushed down (identity_fleetname)."""
    return selectors.fleet_names(fleet_ids=selectors.fleets_known() if fleet_ids is None else fleet_ids)


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ("email", "fleet_id", "role")

    def clean_fleet_id(self):
        fleet_id = self.cleaned_data["fleet_id"]
        if not selectors.fleet_known(fleet_id=fleet_id):
            raise forms.ValidationError(NO_SUCH_FLEET)
        return fleet_id


class InvitationFacts:
    """A sent invitation is read-only (placed below `Readable`, which shows these fields its way)."""

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("email", "fleet_id", "role", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at")


@admin.register(Invitation)
class InvitationAdmin(Readable, InvitationFacts, FleetScopedAdmin):
    named_ids = {"fleet_id": fleet_names}
    local_times = ("created_at", "expires_at", "accepted_at", "revoked_at")
    form = InvitationForm
    foreign_ids = {"fleet_id": invitable_fleets}
    list_display = ("email", "fleet_id", "role", "created_at", "expires_at", "accepted_at", "revoked_at")
    list_filter = ("role", ("accepted_at", admin.EmptyFieldListFilter), ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "fleet_id")
    actions = ("revoke",)

    def get_queryset(self, request):
        return _visible(request, Invitation, selectors.invitations_visible)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "fleet_id" and managed_fleets(request) is None:
            field.error_messages["invalid_choice"] = NO_SUCH_FLEET  # a platform admin picks among every fleet
        return field

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        # the form only offers fleets the user manages, so the service's own check passes
        invitation, _ = invitations.invitation_create(
            principal=principal(request),
            email=form.cleaned_data["email"],
            fleet_id=form.cleaned_data["fleet_id"],
            role=FleetRole(form.cleaned_data["role"]),
        )
        obj.pk = invitation.pk

    @admin.action(description="Revoke the selected invitations")
    def revoke(self, request, queryset):
        for invitation in queryset:
            invitations.invitation_revoke(principal=principal(request), invitation_id=invitation.id)
        self.message_user(request, f"Revoked {queryset.count()} invitation(s).", messages.SUCCESS)


# ---- integrations: service accounts and their API keys ------------------------------------------------------------


class ServiceAccountForm(forms.ModelForm):
    class Meta:
        model = ServiceAccount
        fields = ("fleet_id", "name")

    def clean(self):
        data = super().clean()
        fleet_id, name = data.get("fleet_id"), (data.get("name") or "").strip()
        taken = ServiceAccount.objects.filter(fleet_id=fleet_id, name__iexact=name, revoked_at__isnull=True)
        if fleet_id and name and taken.exists():
            self.add_error("name", "This fleet already has an integration by that name.")
        return data


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    fields = ("key", "scopes_shown", "expires_at", "last_used_at", "rotated_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="key")
    def key(self, obj):
        return f"{API_KEY_PREFIX}{obj.prefix}_…"

    @admin.display(description="scopes")
    def scopes_shown(self, obj):
        return ", ".join(obj.scopes)


class ServiceAccountFacts:
    """A made integration is read-only (below `Readable`, which shows these fields its way: names, local times)."""

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("fleet_id", "name", "created_by", "created_at", "revoked_at", "revoked_by")


@admin.register(ServiceAccount)
class ServiceAccountAdmin(Readable, ServiceAccountFacts, FleetScopedAdmin):
    """An integration of a fleet ("Shopify connector"); its keys are listed below it and made on the keys page."""

    named_ids = {"fleet_id": fleet_names}
    local_times = ("created_at", "revoked_at")
    form = ServiceAccountForm
    foreign_ids = {"fleet_id": invitable_fleets}
    list_display = ("name", "fleet_id", "created_by", "created_at", "revoked_at")
    list_select_related = ("created_by",)
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name",)
    inlines = [ApiKeyInline]
    actions = ("revoke",)

    def get_queryset(self, request):
        return _visible(request, ServiceAccount, selectors.service_accounts_visible)

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: its keys' history stays

    def save_model(self, request, obj, form, change):
        if change:
            return
        account = api_keys.service_account_create(
            principal=principal(request), fleet_id=form.cleaned_data["fleet_id"], name=form.cleaned_data["name"]
        )
        obj.pk = account.pk

    @admin.action(description="Revoke the selected integrations and all their keys")
    def revoke(self, request, queryset):
        done = 0
        for account in queryset.filter(revoked_at__isnull=True):
            api_keys.service_account_revoke(principal=principal(request), service_account_id=account.id)
            done += 1
        self.message_user(request, f"Revoked {done} integration(s) and their keys.", messages.SUCCESS)


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(s.value, f"{s.value}: {d}") for s, d in API_SCOPE_DESCRIPTIONS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    expires_at = forms.SplitDateTimeField(
        required=False,
        widget=AdminSplitDateTime,
        help_text="Empty: the default lifetime. Keys live at most a year (API_KEY_MAX_DAYS).",
    )

    class Meta:
        model = ApiKey
        fields = ("service_account", "scopes", "expires_at")

    def clean_expires_at(self):
        try:
            return api_keys.expiry_for(self.cleaned_data["expires_at"], timezone.now())
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None


API_KEY_FACTS = (
    "key",
    "service_account",
    "scopes_shown",
    "expires_at",
    "last_used_at",
    "created_by",
    "created_at",
    "rotated_at",
    "replaced_by",
    "revoked_at",
    "revoked_by",
)


class ApiKeyFacts:
    """A made key is read-only; adding one asks only for the account, scopes and expiry."""

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else API_KEY_FACTS

    def get_fields(self, request, obj=None):
        return ("service_account", "scopes", "expires_at") if obj is None else API_KEY_FACTS

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:  # nothing to fill in (the add form's declared fields would be required)
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change=change, **kwargs)


@admin.register(ApiKey)
class ApiKeyAdmin(Readable, ApiKeyFacts, FleetScopedAdmin):
    """API keys. A new key's secret is shown once, in the message after saving; only its start is kept readable."""

    fleet_field = "service_account__fleet_id"
    local_times = ("expires_at", "last_used_at", "created_at", "rotated_at", "revoked_at")
    form = ApiKeyForm
    list_display = ("key", "service_account", "fleet", "scopes_shown", "expires_at", "last_used_at", "revoked_at")
    list_select_related = ("service_account",)
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "service_account__name")
    actions = ("rotate", "revoke")

    def get_queryset(self, request):
        found = principal(request)
        visible = selectors.service_accounts_visible(principal=found) if found else ServiceAccount.objects.none()
        return ApiKey.objects.filter(service_account__in=visible).select_related("service_account")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "service_account":
            found = principal(request)
            visible = selectors.service_accounts_visible(principal=found) if found else ServiceAccount.objects.none()
            kwargs["queryset"] = visible.filter(revoked_at__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="key")
    def key(self, obj):
        return f"{API_KEY_PREFIX}{obj.prefix}_…"

    @admin.display(description="scopes")
    def scopes_shown(self, obj):
        return ", ".join(obj.scopes)

    @admin.display(description="fleet")
    def fleet(self, obj):
        return fleet_names(ids=[obj.service_account.fleet_id]).get(obj.service_account.fleet_id, "unknown fleet")

    def save_model(self, request, obj, form, change):
        if change:
            return
        issued = api_keys.api_key_create(  # the form checked what the service checks
            principal=principal(request),
            service_account_id=form.cleaned_data["service_account"].id,
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data["expires_at"],
        )
        obj.pk, obj.prefix = issued.id, issued.prefix  # the "added" message names the key by its start
        self._show_once(request, issued)

    def _show_once(self, request, issued):
        self.message_user(
            request,
            f"Copy the new key now, it is shown only this once: {issued.secret}",
            messages.WARNING,
        )

    @admin.action(description="Rotate the selected keys (the old ones keep working for the grace period)")
    def rotate(self, request, queryset):
        for key in queryset:
            try:
                issued = api_keys.api_key_rotate(
                    principal=principal(request), service_account_id=key.service_account_id, key_id=key.id
                )
            except ApplicationError as exc:
                self.message_user(request, f"{self.key(key)}: {exc.message}", messages.ERROR)
                continue
            self._show_once(request, issued)

    @admin.action(description="Revoke the selected keys (they stop working at once)")
    def revoke(self, request, queryset):
        done = 0
        for key in queryset.filter(revoked_at__isnull=True):
            api_keys.api_key_revoke(
                principal=principal(request), service_account_id=key.service_account_id, key_id=key.id
            )
            done += 1
        self.message_user(request, f"Revoked {done} key(s).", messages.SUCCESS)


@admin.register(AccessAttempt)
class LoginFailureAdmin(AccessAttemptAdmin):
    """The login guard's failure counts (django-axes): platform admins only. Deleting a row lifts its lock, as
    `manage.py axes_reset_username` does; identity_purge deletes rows once they no longer count."""

    actions: list = []  # axes' clean-up action needs a login request; the hourly purge does it instead

    def _platform_admin(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._platform_admin(request)

    def has_view_permission(self, request, obj=None):
        return self._platform_admin(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self._platform_admin(request)
