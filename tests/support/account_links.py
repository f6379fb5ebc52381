"""The account links identity hands out to be mailed, taken as the notifications context takes them: the account
events in the outbox (`PasswordResetRequestedV1`, `InvitationCreatedV1`), and `identity.api.account_link` for the
live URL. The mailing itself is the notifications context's, tested there (tests/integration)."""

from __future__ import annotations

from apps.identity import api
from apps.identity.events import InvitationCreatedV1, PasswordResetRequestedV1
from logitrack.events import IntegrationEvent, from_envelope
from logitrack.outbox.models import OutboxMessage

EVENTS: dict[str, type[IntegrationEvent]] = {
    "reset-password": PasswordResetRequestedV1,
    "invitation": InvitationCreatedV1,
}


def published(kind: str | None = None) -> list[IntegrationEvent]:
    """Account events in the outbox, oldest first; of one kind ("reset-password" or "invitation") if named."""
    wanted = [EVENTS[kind]] if kind else list(EVENTS.values())
    types = [cls.TYPE for cls in wanted]
    rows = OutboxMessage.objects.filter(event_type__in=types).order_by("id")
    return [from_envelope(row.envelope) for row in rows]


def last_link(kind: str) -> str:
    """The URL the last account mail of `kind` carries ("reset-password" or "invitation")."""
    events = published(kind)
    assert events, f"no {kind} link was published"
    event = events[-1]
    if isinstance(event, PasswordResetRequestedV1):
        link = api.account_link(kind="password_reset", link_id=str(event.reset_id))
    else:
        assert isinstance(event, InvitationCreatedV1)
        link = api.account_link(kind="invitation", link_id=str(event.invitation_id))
    assert link is not None, f"the last {kind} link opens nothing"
    return link.url
