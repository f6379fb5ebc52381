"""Identity's account mails: a password reset, the welcome of an account made for someone (choose your password),
an invitation to a fleet role. Essential (sent even to someone who turned email off) and urgent (no quiet hours, no
rate limit). The body is kept with a slot where the link goes; the sender asks identity for the live link when it
sends (services.deliveries), so the log holds no working link, and one used or expired is not sent at all."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any, Literal

import structlog
from django.conf import settings
from django.utils import timezone

from apps.notifications import domain, integrations, rendering
from apps.notifications.contracts import Channel
from apps.notifications.models import Preference
from apps.notifications.services.deliveries import NewDelivery, delivery_create
from logitrack.formatting import local_date, zone

log = structlog.get_logger(__name__)

MailKind = Literal["account.password_reset", "account.welcome", "account.invitation"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class AccountMail:
    event_id: uuid.UUID
    event_type: str
    kind: MailKind
    link_kind: Literal["password_reset", "invitation"]
    link_id: str
    fleet_id: uuid.UUID | None = None  # whose name and language it is sent in; LogiTrack's own without one


def account_mail_send(*, mail: AccountMail) -> int:
    """Make the mail's delivery (1), or nothing when it was made before or its link already opens nothing (0)."""
    link = integrations.account_link(kind=mail.link_kind, link_id=mail.link_id)
    if link is None:
        log.info("notifications.account_link_gone", kind=mail.kind, link_id=mail.link_id)
        return 0
    fleet_id = mail.fleet_id or link.fleet_id
    brand = integrations.branding(fleet_id=fleet_id) if fleet_id else None
    pref = Preference.objects.filter(user_id=link.user_id).first() if link.user_id else None
    language = rendering.copy.language_of(
        (pref.language if pref and pref.language else "") or (brand.language if brand else settings.LANGUAGE_CODE)
    )
    fleet = brand.name if brand else "LogiTrack"
    first_name = link.display_name.split()[0] if link.display_name.strip() else ""
    phrase = rendering.copy.text
    greeting = phrase(language, "_", "hello_name" if first_name else "hello").format(name=first_name)
    minutes = max(1, round((link.expires_at - timezone.now()).total_seconds() / 60))
    role = phrase(language, "_", f"role_{link.role}") if link.role else ""
    context: dict[str, Any] = {
        "fleet": fleet,
        "name": first_name,
        "greeting": greeting,
        "email": link.email,
        "minutes": minutes,
        "role": role,
        "who": link.invited_by or fleet,
        "expires": local_date(
            timezone.localtime(link.expires_at, timezone=zone(brand.time_zone if brand else "UTC")).date(),
            brand.locale if brand else language,
            format="long",
        ),
        "brand": rendering.brand_context(brand),
        "action_url": domain.ACCOUNT_LINK_SLOT,
    }
    rendered = rendering.render(kind=mail.kind, language=language, context=context)
    _, created = delivery_create(
        new=NewDelivery(
            event_id=mail.event_id,
            event_type=mail.event_type,
            kind=mail.kind,
            channel=Channel.EMAIL,
            recipient_id=link.user_id,
            fleet_id=fleet_id,
            address=link.email,
            language=language,
            urgent=True,
            essential=True,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            sender_name=fleet,
            data={"account_link": {"kind": mail.link_kind, "id": mail.link_id}},
        )
    )
    return int(created)
