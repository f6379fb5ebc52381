"""Reads of the notifications context for its pages."""

from __future__ import annotations

import dataclasses
import uuid

from django.conf import settings

from apps.notifications import integrations, tokens
from apps.notifications.rendering.copy import language_of


@dataclasses.dataclass(frozen=True, kw_only=True)
class UnsubscribeLink:
    user_id: uuid.UUID
    channel: str
    fleet_name: str
    logo_url: str
    language: str


def unsubscribe_link(*, token: str) -> UnsubscribeLink:
    """Whose link this is and whose name the page shows (tokens.BadToken for a forged or damaged one)."""
    user_id, channel, fleet_id = tokens.unsubscribe_read(token)
    brand = integrations.branding(fleet_id=fleet_id) if fleet_id else None
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return UnsubscribeLink(
        user_id=user_id,
        channel=channel,
        fleet_name=brand.name if brand else "LogiTrack",
        logo_url=f"{base}/brand/{brand.fleet_id}/logo.png?v={brand.logo_version}"
        if brand and brand.logo_version
        else "",
        language=language_of(brand.language if brand else "en"),
    )
