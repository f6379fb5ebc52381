"""The notifications context's own outbox: one row per message to send, and one row per try of it."""

from __future__ import annotations

from django.db import models

from apps.notifications.contracts import Channel, DeliveryStatus
from logitrack.db.models import BaseModel


class Delivery(BaseModel):
    """One message to one recipient on one channel, for one source event.

    `key` makes it idempotent: the same event delivered twice finds its row and creates nothing. What is sent is
    rendered once, when the row is made, and kept, so a retry or a replay sends exactly the same message."""

    key = models.CharField(max_length=200, unique=True)  # "<event id>:<recipient>:<channel>:<kind>"
    source_event_id = models.UUIDField()
    source_event_type = models.CharField(max_length=200)
    kind = models.CharField(max_length=60)  # "trip.confirmed", "trip.arriving", ...
    channel = models.CharField(max_length=20, choices=[(c.value, c.value) for c in Channel])
    recipient_id = models.UUIDField(null=True, blank=True)  # identity's user id, when the recipient has an account
    fleet_id = models.UUIDField(null=True, blank=True)  # whose name it is sent in (branding, time zone)
    address = models.CharField(max_length=2000, blank=True, default="")  # email, phone, push subscription JSON
    language = models.CharField(max_length=8, default="en")
    urgent = models.BooleanField(default=False)  # rate limits and quiet hours do not hold it back
    # account security (a password link, an invitation): sent even to a recipient who opted out of the channel
    essential = models.BooleanField(default=False)
    # what was rendered
    subject = models.CharField(max_length=300, blank=True, default="")
    text = models.TextField(blank=True, default="")
    html = models.TextField(blank=True, default="")
    headers = models.JSONField(default=list, blank=True)  # [[name, value], ...]
    sender_name = models.CharField(max_length=200, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)  # what the attachments are made from at send time, push data
    traceparent = models.CharField(max_length=64, blank=True, default="")  # the cause's trace: a resend rejoins it
    # progress
    status = models.CharField(
        max_length=20, choices=[(s.value, s.value) for s in DeliveryStatus], default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)  # a sender's lease; a lapsed one is retaken
    last_error = models.TextField(blank=True, default="")
    provider = models.CharField(max_length=40, blank=True, default="")
    provider_id = models.CharField(max_length=300, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    replay_count = models.PositiveIntegerField(default=0)

    class Meta(BaseModel.Meta):
        indexes = [
            # the sweep: pending rows by due time
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(status="pending"), name="notif_delivery_due_idx"
            ),
            # rate limits: what a recipient was sent on a channel lately
            models.Index(
                fields=["recipient_id", "channel", "sent_at"],
                condition=models.Q(status="sent"),
                name="notif_delivery_sent_idx",
            ),
            models.Index(fields=["status", "created_at"], name="notif_delivery_status_idx"),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try of a delivery (or a decision not to try yet), for the log and the replay."""

    class Outcome(models.TextChoices):
        SENT = "sent"
        TRANSIENT = "transient"  # failed; tried again later
        PERMANENT = "permanent"  # failed for good
        DEFERRED = "deferred"  # held back: quiet hours, rate limit, a receipt not issued yet
        SUPPRESSED = "suppressed"  # not sent on purpose: opted out, no address, no adapter

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    status_code = models.IntegerField(null=True, blank=True)  # SMTP reply code or HTTP status
    error = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("delivery", "id")
        indexes = [models.Index(fields=["delivery", "at"], name="notif_attempt_delivery_idx")]

    def __str__(self) -> str:
        return f"{self.outcome} at {self.at:%Y-%m-%d %H:%M:%S}"
