"""A recipient's choices: opt-outs per channel, language, quiet hours (one transaction each)."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

from apps.notifications.contracts import Channel
from apps.notifications.models import Preference
from apps.notifications.rendering.copy import LANGUAGES
from logitrack.db import contexts
from logitrack.exceptions import ValidationFailed

PEOPLE_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PUSH)


def preference_get(*, user_id: uuid.UUID) -> Preference:
    """The recipient's preferences (defaults, unsaved, when they never chose)."""
    return Preference.objects.filter(user_id=user_id).first() or Preference(user_id=user_id)


@contexts.atomic("notifications")
def preference_update(
    *,
    user_id: uuid.UUID,
    opted_out: list[str] | None = None,
    language: str | None = None,
    quiet_start: dt.time | None = None,
    quiet_end: dt.time | None = None,
    time_zone: str | None = None,
    quiet_given: bool = False,
    digest: bool | None = None,
) -> Preference:
    pref, _ = Preference.objects.select_for_update().get_or_create(user_id=user_id)
    errors: dict[str, list[str]] = {}
    if opted_out is not None:
        unknown = sorted(set(opted_out) - {c.value for c in PEOPLE_CHANNELS})
        if unknown:
            errors["opted_out"] = [f"unknown channel(s): {', '.join(unknown)}"]
        pref.opted_out = sorted(set(opted_out))
    if language is not None:
        if language and language not in LANGUAGES:
            errors["language"] = [f"one of: {', '.join(LANGUAGES)} (or empty for the fleet's language)"]
        pref.language = language
    if quiet_given:
        if (quiet_start is None) != (quiet_end is None):
            errors["quiet_hours"] = ["give both the start and the end of quiet hours, or neither"]
        elif quiet_start is not None and quiet_start == quiet_end:
            errors["quiet_hours"] = ["quiet hours must start and end at different times"]
        pref.quiet_start, pref.quiet_end = quiet_start, quiet_end
    if time_zone is not None:
        if time_zone:
            try:
                zoneinfo.ZoneInfo(time_zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder: IsADirectoryError
                errors["time_zone"] = ["an IANA time zone such as Europe/Berlin"]
        pref.time_zone = time_zone
    if digest is not None:
        pref.digest = digest
    if errors:
        raise ValidationFailed("invalid preferences", code="notifications.bad_preferences", extra={"errors": errors})
    pref.save()
    return pref


@contexts.atomic("notifications")
def channel_opt_out(*, user_id: uuid.UUID, channel: str) -> Preference:
    """One-click unsubscribe: turn `channel` off for the recipient (idempotent)."""
    pref, _ = Preference.objects.select_for_update().get_or_create(user_id=user_id)
    if channel not in pref.opted_out:
        pref.opted_out = sorted({*pref.opted_out, channel})
        pref.save(update_fields=["opted_out", "updated_at"])
    return pref
