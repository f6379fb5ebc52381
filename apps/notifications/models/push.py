"""Web Push subscriptions: one per browser (or installed driver app) that asked to be woken up."""

from __future__ import annotations

import uuid

from django.db import models


class PushSubscription(models.Model):
    """A browser's PushSubscription (RFC 8030 endpoint + RFC 8291 keys) for one user. The endpoint is the device:
    registering it again (another login on the same phone) moves it to that user. Removed when the push service
    says it is gone (404/410) or the user unsubscribes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.UUIDField(db_index=True)  # identity's user; no FK across contexts
    endpoint = models.CharField(max_length=2048, unique=True)
    p256dh = models.CharField(max_length=128)  # the browser's P-256 public key, URL-safe base64
    auth = models.CharField(max_length=64)  # the 16-byte auth secret, URL-safe base64
    label = models.CharField(max_length=200, blank=True)  # the app's name for the device, else its user agent
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_failure = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label or self.endpoint[:60]

    def as_webpush(self) -> dict:
        """The subscription as the browser's `PushSubscription.toJSON()` gives it (what pywebpush takes)."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}
