"""Webhook endpoints and their deliveries in the admin, for a fleet's managers (their fleets' rows only).

Endpoints: event types as checkboxes; the signing secret is shown once, in a message, after the endpoint is made or
its secret rotated; an endpoint switched off for failing says so in the list. Deliveries: read-only, every attempt
inline (request and response), filters, and replay: of the selected deliveries (an action) or of a time range (a
page linked from the list)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from apps.notifications import integrations
from apps.notifications.contracts import DeliveryStatus
from apps.notifications.models import WebhookDelivery, WebhookEndpoint
from apps.notifications.webhooks import catalogue, services
from logitrack import formatting
from logitrack.admin import FleetScopedAdmin, apply_each, managed_fleets
from logitrack.admin.export import Exportable
from logitrack.admin.filters import DateRangeFilter
from logitrack.admin.readable import Readable
from logitrack.exceptions import ApplicationError
from logitrack.http.principal import principal

EVENT_TYPE_CHOICES = [(t.name, f"{t.name} — {t.description}") for t in catalogue.PUBLIC_TYPES]


class WebhookReadable(Readable):
    """Rows on their fleet's clock, with the fleet by name."""

    localities = staticmethod(integrations.fleet_localities)
    named_ids = {"fleet_id": integrations.fleet_names}


def _lines(headers: dict) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers.items())


def _icon(ok: bool) -> str:
    return static(f"admin/img/icon-{'yes' if ok else 'no'}.svg")


class EndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https", label="URL")
    event_types = forms.MultipleChoiceField(
        choices=EVENT_TYPE_CHOICES, widget=forms.CheckboxSelectMultiple, help_text="what this endpoint receives"
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("fleet_id", "url", "description", "event_types", "is_active")

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            return services.check_url(url)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None


class _EndpointPage:
    """The add page asks for what an integrator chooses; the change page shows where the endpoint stands too."""

    EDITABLE = ("fleet_id", "url", "description", "event_types", "is_active")

    def get_fields(self, request, obj=None):
        return [*self.EDITABLE, *(self.readonly_fields if obj is not None else ())]

    def get_readonly_fields(self, request, obj=None):
        # an endpoint stays with the fleet it was made for: its fleet is shown, not offered for change
        return ("fleet_id", *self.readonly_fields) if obj is not None else ()


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(WebhookReadable, _EndpointPage, Exportable, FleetScopedAdmin):
    form = EndpointForm
    foreign_ids = {"fleet_id": integrations.fleet_choices}
    local_times = ("created_at", "disabled_at", "failing_since", "last_success_at", "previous_secret_expires_at")
    # the state first: on a phone it is what shows without scrolling sideways
    list_display = ("state", "url", "description", "types", "fleet_id", "last_success_at", "created_at")
    list_display_links = ("url",)
    list_filter = ("is_active", "disabled_reason")
    search_fields = ("url", "description")
    readonly_fields = (
        "state", "failing_since", "last_success_at", "last_error", "previous_secret_expires_at", "created_at",
    )  # fmt: skip
    actions = ("rotate_secret", "send_ping", "switch_on", "switch_off")

    @admin.display(description="State")
    def state(self, endpoint):
        if endpoint.is_active:
            if endpoint.failing_since is not None:
                since = self.shown(endpoint, "failing_since")
                return format_html('<img src="{}" alt=""> On, failing since {}', _icon(False), since)
            return format_html('<img src="{}" alt=""> On', _icon(True))
        when = self.shown(endpoint, "disabled_at")
        if endpoint.disabled_reason == WebhookEndpoint.DisabledReason.FAILING:
            return format_html(
                '<img src="{}" alt=""> <strong>Switched off {}</strong><br>failing since {}',
                _icon(False), when, self.shown(endpoint, "failing_since"),
            )  # fmt: skip
        return format_html('<img src="{}" alt=""> Off (switched off {})', _icon(False), when)

    @admin.display(description="Event types")
    def types(self, endpoint):
        return format_html_join(mark_safe("<br>"), "{}", ((t,) for t in endpoint.event_types))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.endpoint_update(
                endpoint_id=obj.pk,
                changes={k: data[k] for k in ("url", "description", "event_types", "is_active") if k in data},
            )
            return
        actor = principal(request)
        made = services.endpoint_create(
            fleet_id=data["fleet_id"],
            url=data["url"],
            description=data.get("description", ""),
            event_types=data["event_types"],
            is_active=data.get("is_active", True),
            actor_id=actor.user_id if actor else None,
        )
        obj.pk, obj._state.adding = made.endpoint.pk, False
        self._show_secret(request, made)

    def _show_secret(self, request, made: services.WithSecret) -> None:
        self.message_user(
            request,
            f"Signing secret of {made.endpoint.url}: {made.secret} — copy it now, it is not shown again.",
            messages.WARNING,
        )

    @admin.action(description="Rotate the signing secret (the old one keeps signing for the grace period)")
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            self._show_secret(request, services.endpoint_rotate_secret(endpoint_id=endpoint.pk))

    @admin.action(description="Send a test ping now")
    def send_ping(self, request, queryset):
        for endpoint in queryset:
            delivery = services.endpoint_ping(endpoint_id=endpoint.pk)
            ok = delivery.status == DeliveryStatus.SENT
            self.message_user(
                request,
                f"Ping to {endpoint.url}: {'delivered' if ok else 'failed'}"
                + ("" if ok else f" ({delivery.last_error})"),
                messages.SUCCESS if ok else messages.ERROR,
            )

    @admin.action(description="Switch on")
    def switch_on(self, request, queryset):
        apply_each(self, request, queryset, lambda e: services.endpoint_update(endpoint_id=e.pk,
                   changes={"is_active": True}), done_message="Switched on")  # fmt: skip

    @admin.action(description="Switch off")
    def switch_off(self, request, queryset):
        apply_each(self, request, queryset, lambda e: services.endpoint_update(endpoint_id=e.pk,
                   changes={"is_active": False}), done_message="Switched off")  # fmt: skip


class ReplayRangeForm(forms.Form):
    since = forms.DateTimeField(help_text="made at or after (your time zone)")
    until = forms.DateTimeField(help_text="made before")
    endpoint = forms.ModelChoiceField(queryset=WebhookEndpoint.objects.none(), required=False, empty_label="every one")
    event_type = forms.ChoiceField(choices=[("", "every type"), *[(n, n) for n in catalogue.PUBLIC_NAMES]],
                                   required=False)  # fmt: skip
    status = forms.ChoiceField(
        choices=[("", "any status"), *[(s.value, s.value) for s in DeliveryStatus]], required=False
    )

    def __init__(self, *args, endpoints, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["endpoint"].queryset = endpoints

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] <= data["since"]:
            raise forms.ValidationError("The range ends before it starts.")
        return data


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(WebhookReadable, Exportable, FleetScopedAdmin):
    local_times = ("created_at", "occurred_at", "next_attempt_at", "delivered_at", "dead_at")
    list_display = (
        "created_at", "event_type", "endpoint_name", "status", "attempts", "last_status_code", "next_attempt_at",
        "fleet_id",
    )  # fmt: skip
    list_filter = (
        ("created_at", DateRangeFilter), "status", "event_type", ("endpoint", admin.RelatedOnlyFieldListFilter),
    )  # fmt: skip
    search_fields = ("event_id",)
    fields = (
        "endpoint_name", "fleet_id", "event_type", "event_id", "occurred_at", "status", "attempts",
        "next_attempt_at", "last_status_code", "last_error", "delivered_at", "dead_at", "replays", "created_at",
        "pretty_body", "attempt_log_shown",
    )  # fmt: skip
    readonly_fields = fields
    actions = ("replay",)
    change_list_template = "admin/notifications/webhookdelivery/change_list.html"  # links the range replay

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("endpoint")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Endpoint", ordering="endpoint__url")
    def endpoint_name(self, delivery):
        return str(delivery.endpoint)

    @admin.display(description="Body as sent")
    def pretty_body(self, delivery):
        return format_html("<pre>{}</pre>", services.pretty(delivery.body))

    @admin.display(description="Attempts")
    def attempt_log_shown(self, delivery):
        """Every try, newest last: when (the fleet's clock), the answer, and the request and response as sent."""
        place = self.locality(delivery)

        def block(attempt):
            when = formatting.local_datetime(attempt.started_at, place.time_zone, place.locale)
            answer = attempt.response_status if attempt.response_status is not None else "no answer"
            return format_html(
                "<h3>#{} · {} · {} in {} ms{}</h3>"
                "<p>Request: POST {}</p><pre>{}</pre><pre>{}</pre><p>Response</p><pre>{}</pre><pre>{}</pre>",
                attempt.number, when, answer, attempt.duration_ms, f" · {attempt.error}" if attempt.error else "",
                attempt.request_url, _lines(attempt.request_headers), services.pretty(attempt.request_body),
                _lines(attempt.response_headers), attempt.response_body or "(empty)",
            )  # fmt: skip

        attempts = delivery.attempt_log.order_by("number")
        return format_html_join("", "{}", ((block(a),) for a in attempts)) or "none yet"

    @admin.action(description="Replay the selected deliveries")
    def replay(self, request, queryset):
        apply_each(self, request, queryset, lambda d: services.delivery_replay(delivery_id=d.pk),
                   done_message="Queued to send again")  # fmt: skip

    def get_urls(self):
        return [
            path("replay/", self.admin_site.admin_view(self.replay_view), name="notifications_webhookdelivery_replay"),
            *super().get_urls(),
        ]

    def replay_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        with timezone.override(self.filter_time_zone(request)):  # the times typed are on the fleet's clock
            return self._replay_view(request)

    def _replay_view(self, request):
        fleets = managed_fleets(request)
        endpoints = WebhookEndpoint.objects.order_by("url")
        if fleets is not None:
            endpoints = endpoints.filter(fleet_id__in=fleets)
        now = dt.datetime.now(self.filter_time_zone(request)).replace(microsecond=0, tzinfo=None)
        form = ReplayRangeForm(
            request.POST or None, endpoints=endpoints, initial={"since": now - dt.timedelta(days=1), "until": now}
        )
        if request.method == "POST" and form.is_valid():
            v = form.cleaned_data
            reopened = services.deliveries_replay_range(
                deliveries=self.get_queryset(request),
                since=v["since"],
                until=v["until"],
                endpoint_id=v["endpoint"].pk if v["endpoint"] else None,
                event_type=v["event_type"] or None,
                status=v["status"] or None,
            )
            self.message_user(request, f"Queued {len(reopened)} deliveries to send again.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:notifications_webhookdelivery_changelist"))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": "Replay webhook deliveries of a time range"}  # fmt: skip
        return TemplateResponse(request, "admin/notifications/webhookdelivery/replay.html", context)
