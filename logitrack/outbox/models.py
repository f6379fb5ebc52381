"""Tables of the transactional outbox: what was published, who applied it, what failed for good."""

from django.db import models


class OutboxMessage(models.Model):
    """One published integration event, written in the publisher's own transaction."""

    id = models.BigAutoField(primary_key=True)  # relay order
    event_id = models.UUIDField(unique=True)
    event_type = models.CharField(max_length=200, db_index=True)
    source = models.CharField(max_length=50)
    envelope = models.JSONField()
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    relay_attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["id"], condition=models.Q(published_at__isnull=True), name="outbox_unpublished_idx"),
            models.Index(fields=["published_at"], name="outbox_published_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class InboxRecord(models.Model):
    """Subscriber `subscriber` has applied event `event_id`; written with the handler's own writes."""

    id = models.BigAutoField(primary_key=True)
    subscriber = models.CharField(max_length=200)
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=200)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "event_id"], name="inbox_once_per_subscriber")]

    def __str__(self) -> str:
        return f"{self.subscriber} <- {self.event_id}"


class DeadLetter(models.Model):
    """A delivery that kept failing and was parked for an operator to replay."""

    id = models.BigAutoField(primary_key=True)
    subscriber = models.CharField(max_length=200)
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=200, db_index=True)
    envelope = models.JSONField()
    attempts = models.PositiveIntegerField()
    last_error = models.TextField()
    failed_at = models.DateTimeField()
    replayed_at = models.DateTimeField(null=True, blank=True)
    replay_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "event_id"], name="dead_letter_once_per_subscriber")
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} x {self.event_id}"
