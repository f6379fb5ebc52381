"""What each recipient wants to hear, and how: opt-outs per channel, language, quiet hours."""

from __future__ import annotations

from django.db import models

from logitrack.db.models import BaseModel


class Preference(BaseModel):
    """One recipient's (identity's user id) choices. No row: every channel on, the fleet's language, no quiet
    hours."""

    user_id = models.UUIDField(unique=True)
    opted_out = models.JSONField(default=list, blank=True)  # channels the recipient turned off: ["sms", ...]
    language = models.CharField(max_length=8, blank=True, default="")  # "" : the fleet's language
    quiet_start = models.TimeField(null=True, blank=True)  # local time; both or neither
    quiet_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=60, blank=True, default="")  # "" : the fleet's time zone
    # fleet managers: the daily digest of each of their fleets by email (opt-in: nobody gets it unasked)
    digest = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"
