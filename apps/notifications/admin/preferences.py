"""Recipients' notification preferences in the admin, for platform admins only (a row is one person's, of any
fleet): look one up, and order or stop a manager's daily digest or change their language on their behalf. People
change their own through `/api/v1/notifications/preferences/`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from apps.notifications.models import Preference
from apps.notifications.rendering.copy import LANGUAGES
from apps.notifications.services import preferences

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
else:  # not subscriptable at run time
    ModelAdmin = admin.ModelAdmin


class PreferenceForm(forms.ModelForm):
    language = forms.ChoiceField(
        choices=[("", "the fleet's language"), *((code, code) for code in LANGUAGES)], required=False
    )

    class Meta:
        model = Preference
        fields = ("digest", "language")


@admin.register(Preference)
class PreferenceAdmin(ModelAdmin):
    form = PreferenceForm
    list_display = ("user_id", "digest", "language", "opted_out", "updated_at")
    list_filter = ("digest", "language")
    search_fields = ("user_id",)
    fields = ("user_id", "digest", "language", "opted_out", "quiet_start", "quiet_end", "time_zone")
    readonly_fields = ("user_id", "opted_out", "quiet_start", "quiet_end", "time_zone")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # through the service (its checks, its transaction), not a bare save
        preferences.preference_update(
            user_id=obj.user_id, digest=form.cleaned_data["digest"], language=form.cleaned_data["language"]
        )

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a row is made when someone first chooses

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
