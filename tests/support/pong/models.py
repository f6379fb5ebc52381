from django.db import models


class Receipt(models.Model):
    """One row per handler run that committed. Deliberately not unique: duplicates must be visible."""

    ping_id = models.UUIDField(db_index=True)
    event_id = models.UUIDField()
    label = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)
