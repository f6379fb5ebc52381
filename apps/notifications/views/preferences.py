"""The console's "Your notifications" page (`/notifications/preferences/`): the signed-in admin user's choices —
which channels reach them, the morning digest of each fleet they manage, their language, quiet hours. The same
preferences the apps set over `/api/v1/notifications/preferences/`, through the same service."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.notifications.contracts import Channel
from apps.notifications.services import preferences
from logitrack.exceptions import ValidationFailed
from logitrack.http.principal import principal
from logitrack.principal import Role

LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}


@cache
def _zones() -> list[tuple[str, str]]:
    return [("", "My fleet's time zone"), *((z, z) for z in sorted(zoneinfo.available_timezones()) if "/" in z)]


class PreferencesForm(forms.Form):
    email = forms.BooleanField(required=False, label="Email", help_text="Papers running out, switched-off webhooks.")
    sms = forms.BooleanField(required=False, label="Text messages (SMS)")
    push = forms.BooleanField(required=False, label="Push to the app")
    digest = forms.BooleanField(
        required=False,
        label="Morning summary",
        help_text="Every morning, an email per fleet you manage: yesterday's trips and revenue, and what waits for "
        "you (documents to review, payouts to approve, papers running out).",
    )
    language = forms.ChoiceField(
        required=False,
        choices=[("", "My fleet's language"), *LANGUAGE_NAMES.items()],
        label="Language of messages",
    )
    quiet_start = forms.TimeField(
        required=False, label="Quiet from", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    quiet_end = forms.TimeField(
        required=False, label="Quiet until", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    time_zone = forms.ChoiceField(required=False, label="Time zone of quiet hours")

    def __init__(self, *args: Any, manager: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone_field = self.fields["time_zone"]
        assert isinstance(zone_field, forms.ChoiceField)
        zone_field.choices = _zones()
        if not manager:  # the digest is of fleets one manages
            del self.fields["digest"]


@staff_member_required
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest) -> HttpResponse:
    found = principal(request)
    manager = bool(found and found.fleets(Role.FLEET_MANAGER))
    user_id = request.user.pk
    assert user_id is not None  # staff_member_required: signed in
    current = preferences.preference_get(user_id=user_id)
    initial = {
        **{c.value: c.value not in current.opted_out for c in preferences.PEOPLE_CHANNELS},
        "digest": current.digest,
        "language": current.language,
        "quiet_start": current.quiet_start,
        "quiet_end": current.quiet_end,
        "time_zone": current.time_zone,
    }
    form = PreferencesForm(request.POST or None, initial=initial, manager=manager)
    if request.method == "POST" and form.is_valid():
        given = form.cleaned_data
        try:
            preferences.preference_update(
                user_id=user_id,
                opted_out=[c.value for c in preferences.PEOPLE_CHANNELS if not given[c.value]],
                language=given["language"],
                quiet_start=given["quiet_start"],
                quiet_end=given["quiet_end"],
                time_zone=given["time_zone"],
                quiet_given=True,
                digest=given["digest"] if manager else None,
            )
        except ValidationFailed as exc:
            for field, problems in exc.extra.get("errors", {}).items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, "Your notification settings are saved.")
            return redirect("notifications:preferences")
    context = {
        **admin.site.each_context(request),
        "title": "Your notifications",
        "form": form,
        "channels": [form[c.value] for c in (Channel.EMAIL, Channel.SMS, Channel.PUSH)],
        "manager": manager,
    }
    return render(request, "notifications/preferences.html", context, status=400 if form.errors else 200)
