"""Integrators' webhook endpoints, one delivery per (event, endpoint), and every attempt's request and response.

Fleets are referenced by UUID (fleet owns them). A delivery's body is stored as sent the first time, so a retry or a
replay carries the same bytes (only the signature's timestamp changes)."""

from __future__ import annotations

import uuid

from django.db import models

from apps.notifications.contracts import DeliveryStatus


class WebhookEndpoint(models.Model):
    class DisabledReason(models.TextChoices):
        NONE = "", "not switched off"
        FAILING = "failing", "failing for days"
        MANUAL = "manual", "switched off"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    fleet_id = models.UUIDField(db_index=True, verbose_name="fleet")
    url = models.URLField(max_length=2000, verbose_name="URL")
    description = models.CharField(max_length=200, blank=True, default="")
    event_types = models.JSONField(default=list, help_text="public event types, e.g. trip.completed")
    is_active = models.BooleanField(default=True, verbose_name="active")
    # Fernet tokens (logitrack SECRET_KEY-derived key): the secret must be recoverable to sign, never shown again
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, default="", editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, help_text="first failure since the last success")
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=10, choices=DisabledReason.choices, blank=True, default="")
    created_by_id = models.UUIDField(null=True, blank=True, verbose_name="created by")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "notifications_webhook_endpoint"
        ordering = ("-created_at",)
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.description or self.url


class WebhookDelivery(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    fleet_id = models.UUIDField(db_index=True, verbose_name="fleet")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=60, db_index=True, verbose_name="type")
    traceparent = models.CharField(max_length=64, blank=True, default="")  # the event's trace: a resend rejoins it
    occurred_at = models.DateTimeField(help_text="when the event happened")
    body = models.TextField(help_text="the envelope as sent (JSON)")
    status = models.CharField(
        max_length=12, choices=[(s.value, s.value) for s in DeliveryStatus], default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # retries stop once this much time has passed since the window opened (creation or the last replay)
    window_started_at = models.DateTimeField()
    # a worker's claim: another worker takes the row only once the lease has run out (the worker died)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    claim = models.UUIDField(null=True, blank=True, editable=False)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name="last HTTP status")
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    dead_at = models.DateTimeField(null=True, blank=True)
    replays = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "notifications_webhook_delivery"
        ordering = ("-created_at",)
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=("event_id", "endpoint"), name="notifications_webhook_once_per_endpoint"),
        ]
        indexes = [
            models.Index(fields=("status", "next_attempt_at"), name="notif_webhook_due"),
            # a fleet's deliveries newest first, in the list's keyset order (and the log's by-time filters)
            models.Index(fields=("fleet_id", "-created_at", "-id"), name="notif_webhook_fleet_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {str(self.event_id)[:8]}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    request_url = models.URLField(max_length=2000)
    request_headers = models.JSONField(default=dict)
    request_body = models.TextField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict)
    response_body = models.TextField(blank=True, default="", help_text="truncated to the configured bound")
    error = models.TextField(blank=True, default="")
    succeeded = models.BooleanField(default=False)

    class Meta:
        db_table = "notifications_webhook_attempt"
        ordering = ("delivery", "number")
        constraints = [
            models.UniqueConstraint(fields=("delivery", "number"), name="notifications_webhook_attempt_number"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number}"
